"""What a report shows, before it becomes HTML: plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance


@dataclass(frozen=True)
class CorpusSummary:
    """Counts and length statistics of the corpus.

    ``words`` / ``wordpieces``: (min, median, mean, max) per sentence (wordpieces without
    [CLS]/[SEP]); ``truncated``: sentences longer than ``max_length`` wordpieces with them;
    ``label_counts``: (label, count) most common first, or empty without labels.
    """

    n_texts: int
    label_counts: tuple[tuple[str, int], ...]
    words: tuple[float, float, float, float]
    wordpieces: tuple[float, float, float, float]
    truncated: int
    max_length: int
    n_duplicates: int


@dataclass(frozen=True)
class ReportContent:
    """Everything a report shows, before it becomes HTML.

    Attributes
    ----------
    title : str
    texts : list of str, length N
    labels : list of str of length N, or None
    provenance : Provenance
        The embeddings' provenance plus the report's own parameters (similarity, neighbours,
        projection, seed, libraries, time); the page's provenance table is its ``rows()``.
    provenance_line : str
        The embeddings' ``Provenance.describe()``, shown at the top.
    note : str or None
        Why this model was used (e.g. the offline fallback), shown at the top.
    summary : CorpusSummary
    figures : dict of str -> go.Figure
        ``"similarity"``, ``"projection"``, ``"contributions"`` and ``"attention-<i>"``.
    heatmap_rows : ndarray of shape (M,), int64
        Sentence index of each heatmap row, in display order (M = N, or the sample size).
    heatmap_matrix : ndarray of shape (M, M), float32
        The reordered similarities (what the heatmap shows).
    coords : ndarray of shape (N, 2), float32
    neighbor_indices, neighbor_scores : ndarrays of shape (N, k)
    attention_for : tuple of int
    pair : (int, int, float)
        The contribution pair and its similarity.
    sections : dict of str -> str
        Plain-text explanations shown under the section headings.
    timings : dict of str -> float
        Seconds per stage (wall clock).
    cpu_timings : dict of str -> float
        CPU seconds (user + system, all threads of the process) per stage: what a stage costs
        whatever else the machine is doing.
    trust : ndarray of shape (N,) or None
        Per-sentence layout trust (the projection's trust colouring).
    keyword_source : str
        ``"labels"`` or ``"clusters"``: what the keyword groups are.
    keywords : list of dict
        ``keyword_table`` rows: group, centre (x, y), size, keywords.
    duplicates : list of (int, int, float, str)
        The most similar near-duplicate pairs shown, ``(i, j, score, kind)``.
    duplicate_counts : dict of str -> int
        All near-duplicate pairs found, by kind (``"lexical"``, ``"semantic"``).
    layers_skipped : str or None
        Why the layer section is empty (no labels, too few per label), else None.
    """

    title: str
    texts: list[str]
    labels: list[str] | None
    provenance: Provenance
    provenance_line: str
    note: str | None
    summary: CorpusSummary
    figures: dict[str, go.Figure]
    heatmap_rows: np.ndarray
    heatmap_matrix: np.ndarray
    coords: np.ndarray
    neighbor_indices: np.ndarray
    neighbor_scores: np.ndarray
    attention_for: tuple[int, ...]
    pair: tuple[int, int, float]
    sections: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    cpu_timings: dict[str, float] = field(default_factory=dict)
    trust: np.ndarray | None = None
    keyword_source: str = "labels"
    keywords: list[dict] = field(default_factory=list)
    duplicates: list[tuple[int, int, float, str]] = field(default_factory=list)
    duplicate_counts: dict[str, int] = field(default_factory=dict)
    layers_skipped: str | None = None
