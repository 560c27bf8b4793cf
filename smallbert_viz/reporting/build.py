"""Compute everything a report shows, then hand it to :mod:`smallbert_viz.reporting.render`.

Sizes are bounded so that 1,000 sentences give a file of a few MB built in well under a minute:

* the similarity heatmap is the full N x N matrix up to ``MAX_HEATMAP_N`` (1,000) sentences;
  above that it shows a seeded random sample of ``MAX_HEATMAP_N`` sentences (the page says so),
  and its values travel as uint16 codes (about 2e-5 resolution for cosine) decoded in the page;
* neighbours: ``NEIGHBORS_SHOWN`` per sentence, exact cosine, scores rounded to 4 decimals;
* attention: only for the sentences in ``attention_for`` (default: the contribution pair and
  the first sentence, at most ``MAX_ATTENTION`` sentences);
* projection coordinates as float32 (plotly's binary arrays) and rounded copies for the links.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_float, check_int

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.models.model import BertModel

#: The full N x N heatmap up to this many sentences; a seeded sample of this size above.
MAX_HEATMAP_N = 1000
#: Neighbours listed per sentence in the linked view and the table.
NEIGHBORS_SHOWN = 10
#: Attention is precomputed for at most this many sentences (each grid is L x H heatmaps).
MAX_ATTENTION = 12
#: Distributions whose versions the provenance lists.
LIBRARIES = (
    "smallbert-viz",
    "tensorflow",
    "tensorflow-hub",
    "tensorflow-text",
    "plotly",
    "umap-learn",
    "numpy",
    "scipy",
)
OWNER = "report"


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
    provenance : list of (field, value) str pairs, in display order
    provenance_line : str
        ``Provenance.describe()``, shown under every figure.
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
        Seconds per stage.
    """

    title: str
    texts: list[str]
    labels: list[str] | None
    provenance: list[tuple[str, str]]
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


# ---- inputs -----------------------------------------------------------------------------------


def _resolve_model(model: Any) -> tuple[BertModel, str | None]:
    from smallbert_viz.models.loader import load_model_or_fallback
    from smallbert_viz.models.model import BertModel

    if model is None or isinstance(model, BertModel | str | os.PathLike):
        return load_model_or_fallback(model)
    raise TypeError(
        f"The 'model' parameter of {OWNER} must be a BertModel, a model name, handle or path, "
        f"or None. Got {type(model).__name__} instead; load one with smallbert_viz.load_model()."
    )


def _check_inputs(texts: Any, labels: Any) -> tuple[list[str], list[str] | None]:
    from smallbert_viz.embedding import check_texts

    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {OWNER} must be a list of str, one per sentence. Got a "
            "single str instead; wrap it in a list or split it into sentences."
        )
    texts = check_texts(list(texts))
    if len(texts) < 2:
        raise ValueError(
            f"The 'texts' parameter of {OWNER} must hold at least 2 sentences. Got "
            f"{len(texts)} instead; is the input file empty?"
        )
    if labels is None:
        return texts, None
    if isinstance(labels, str):
        raise TypeError(
            f"The 'labels' parameter of {OWNER} must be a list with one label per sentence. Got "
            "a single str instead."
        )
    labels = ["" if lab is None else str(lab) for lab in labels]
    if len(labels) != len(texts):
        raise ValueError(
            f"The 'labels' parameter of {OWNER} must have one label per sentence ({len(texts)}). "
            f"Got {len(labels)} instead."
        )
    return texts, labels


def _check_embeddings(embeddings: Any, n: int, model: BertModel, normalize: bool) -> np.ndarray:
    """Precomputed embeddings as read-only float32 (N, H), or ValueError naming the fix."""
    fix = (
        "pass model.embed(texts, pooling=..., normalize=..., max_length=...) of the same model "
        "and settings, or embeddings=None to embed here"
    )
    try:
        arr = np.asarray(embeddings, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"The 'embeddings' parameter of {OWNER} must be a float array of shape (N, H). "
            f"Got {type(embeddings).__name__} that is not numeric instead; {fix}."
        ) from exc
    h = model.hidden_size
    if arr.shape != (n, h):
        raise ValueError(
            f"The 'embeddings' parameter of {OWNER} must have shape ({n}, {h}): one row per "
            f"sentence, the model's hidden size. Got shape {arr.shape} instead; {fix}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(
            f"The 'embeddings' parameter of {OWNER} must be finite. Got NaN or inf values "
            f"instead; {fix}."
        )
    if normalize:
        norms = np.linalg.norm(arr, axis=1)
        if not np.allclose(norms, 1.0, atol=1e-3):
            raise ValueError(
                f"The 'embeddings' parameter of {OWNER} must have unit-length rows with "
                f"normalize=True. Got row norms from {norms.min():.4g} to {norms.max():.4g} "
                f"instead; {fix}."
            )
    arr = arr.copy() if arr is embeddings else arr
    arr.flags.writeable = False
    return arr


def _check_indices(values: Any, n: int, name: str, limit: int | None = None) -> tuple[int, ...]:
    if isinstance(values, int | np.integer):
        values = [values]
    out = []
    for v in values:
        out.append(check_int(name, v, OWNER, low=0, high=n - 1))
    out = list(dict.fromkeys(out))
    if limit is not None and len(out) > limit:
        raise ValueError(
            f"The {name!r} parameter of {OWNER} must list at most {limit} sentences (attention "
            f"is stored per sentence). Got {len(out)} instead."
        )
    return tuple(out)


# ---- analyses ---------------------------------------------------------------------------------


def _stats(values: np.ndarray) -> tuple[float, float, float, float]:
    return (
        float(values.min()),
        float(np.median(values)),
        float(values.mean()),
        float(values.max()),
    )


def _summary(
    model: BertModel, texts: list[str], labels: list[str] | None, max_length: int
) -> CorpusSummary:
    from smallbert_viz.embedding import token_ids

    words = np.array([len(t.split()) for t in texts], dtype=np.float64)
    pieces = np.array([len(ids) for ids in token_ids(model, texts)], dtype=np.float64)
    counts = tuple(Counter(labels).most_common()) if labels is not None else ()
    return CorpusSummary(
        n_texts=len(texts),
        label_counts=counts,
        words=_stats(words),
        wordpieces=_stats(pieces),
        truncated=int(((pieces + 2) > max_length).sum()),
        max_length=max_length,
        n_duplicates=len(texts) - len(set(texts)),
    )


def _versions() -> str:
    parts = []
    for dist in LIBRARIES:
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    import plotly.offline

    parts.append(f"plotly.js {plotly.offline.get_plotlyjs_version()}")
    parts.append(f"Python {platform.python_version()}")
    return ", ".join(parts)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def build_content(
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    model: Any = None,
    *,
    pooling: str | None = None,
    normalize: bool = False,
    attention_for: Sequence[int] | None = None,
    pair: tuple[int, int] | None = None,
    seed: int = 42,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    max_length: int = 128,
    title: str | None = None,
    note: str | None = None,
    embeddings: np.ndarray | None = None,
) -> ReportContent:
    """Compute the analyses and figures of a report (see :func:`report` for the parameters).

    Returns
    -------
    ReportContent
    """
    from smallbert_viz.analysis import (
        cluster_order,
        default_method,
        most_similar_pair,
        nearest_neighbors,
        project,
        similarity_matrix,
        token_contributions,
    )
    from smallbert_viz.attention import compute_attention
    from smallbert_viz.embedding import token_vectors
    from smallbert_viz.figures import (
        attention_grid,
        contribution_heatmap,
        projection_scatter,
        similarity_heatmap,
    )

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    texts, labels = _check_inputs(texts, labels)
    n = len(texts)
    seed = check_int("seed", seed, OWNER, low=0, high=2**32 - 1)
    n_neighbors = check_int("n_neighbors", n_neighbors, OWNER, low=2)
    min_dist = check_float("min_dist", min_dist, OWNER, low=0.0)
    if pair is not None:
        pair_idx = _check_indices(pair, n, "pair")
        if len(pair_idx) != 2:
            raise ValueError(
                f"The 'pair' parameter of {OWNER} must be two different sentence indices. Got "
                f"{pair!r} instead."
            )
    if attention_for is not None:
        attention_for = _check_indices(attention_for, n, "attention_for", MAX_ATTENTION)
    model, load_note = _resolve_model(model)
    note = " ".join(x for x in (note, load_note) if x) or None
    timings["load model"] = time.perf_counter() - t0

    t = time.perf_counter()
    if embeddings is not None:
        emb = _check_embeddings(embeddings, n, model, normalize)
    else:
        with warnings.catch_warnings():
            # The summary counts truncated sentences itself; no need for embed's warning.
            warnings.filterwarnings("ignore", message=".*longer than max_length.*")
            emb = model.embed(texts, pooling=pooling, normalize=normalize, max_length=max_length)
    prov = model.provenance(pooling, normalize=normalize, max_length=max_length)
    line = prov.describe()
    summary = _summary(model, texts, labels, max_length)
    timings["embed"] = time.perf_counter() - t

    t = time.perf_counter()
    k = min(NEIGHBORS_SHOWN, n - 1)
    nb = nearest_neighbors(emb, k=k, metric="cosine")
    if n > MAX_HEATMAP_N:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n, size=MAX_HEATMAP_N, replace=False))
    else:
        rows = np.arange(n)
    sim = similarity_matrix(emb[rows], metric="cosine")
    order = cluster_order(sim, linkage="average")
    heat_rows = rows[order]
    heat_texts = [texts[i] for i in rows]
    heat_labels = None if labels is None else [labels[i] for i in rows]
    sampled = n > MAX_HEATMAP_N
    fig_sim = similarity_heatmap(
        sim.matrix,
        heat_texts,
        labels=heat_labels,
        order=order,
        ids=rows,
        metric="cosine",
        provenance=line,
        title=(
            f"Cosine similarity of a random sample of {len(rows)} of {n} sentences, clustered"
            if sampled
            else f"Cosine similarity of {n} sentences, clustered"
        ),
    )
    heat_matrix = sim.reordered(order).matrix
    timings["similarity"] = time.perf_counter() - t

    t = time.perf_counter()
    if default_method(n) == "umap":
        proj = project(emb, method="umap", n_neighbors=n_neighbors, min_dist=min_dist, seed=seed)
    else:
        proj = project(emb, method="pca", n_components=2)
    fig_proj = projection_scatter(
        proj.coords,
        texts,
        labels=labels,
        provenance=line,
        title="UMAP projection" if proj.method == "umap" else "PCA projection",
        method_description=proj.describe(),
    )
    timings["projection"] = time.perf_counter() - t

    t = time.perf_counter()
    if pair is not None:
        pi, pj = pair_idx
    else:
        pi, pj = most_similar_pair(nb, texts)
    tv = token_vectors(model, [texts[pi], texts[pj]], max_length=max_length)
    contrib = token_contributions(tv[0].vectors, tv[1].vectors, metric="cosine")
    pair_score = float(similarity_matrix(emb[[pi, pj]], metric="cosine").matrix[0, 1])
    pooling_used = prov.pooling
    is_mean = pooling_used == "mean"
    contrib_line = (
        line
        if is_mean
        else f"{line} | contributions: mean pooling of last-layer token vectors (the embeddings "
        f"use {pooling_used})"
    )
    fig_contrib = contribution_heatmap(
        contrib.matrix,
        list(tv[0].tokens),
        list(tv[1].tokens),
        total=contrib.total,
        metric="cosine",
        provenance=contrib_line,
        title=(
            f"Token contributions, #{pi} \u00d7 #{pj}"
            if is_mean
            else f"Token contributions (mean-pooling decomposition), #{pi} \u00d7 #{pj}"
        ),
    )
    timings["contributions"] = time.perf_counter() - t

    t = time.perf_counter()
    if attention_for is None:
        attention_for = tuple(dict.fromkeys([pi, pj, 0]))[:3]
    figures = {"similarity": fig_sim, "projection": fig_proj, "contributions": fig_contrib}
    for i in attention_for:
        att = compute_attention(model, texts[i], max_length=max_length)
        figures[f"attention-{i}"] = attention_grid(
            att.probs,
            list(att.tokens),
            provenance=att.provenance,
            title=f"Attention of #{i}: {_short(texts[i])}",
        )
    timings["attention"] = time.perf_counter() - t

    info = prov.model
    if proj.method == "umap":
        proj_text = proj.describe()
    else:
        from smallbert_viz.analysis.projection import DEFAULT_UMAP_MIN_ROWS

        proj_text = (
            f"{proj.describe()} (PCA: fewer than {DEFAULT_UMAP_MIN_ROWS} sentences for UMAP)"
        )
    provenance = [
        ("model", info.name),
        ("source", info.source + (f" \u2014 {note}" if note else "")),
        ("encoder", info.encoder_handle),
        ("preprocessor", info.preprocessor_handle),
        (
            "size",
            f"{info.num_layers} layers, hidden size {info.hidden_size}, {info.num_heads} heads, "
            f"vocabulary {info.vocab_size:,}",
        ),
        ("parameters", f"{info.num_parameters:,}"),
        ("pooling", pooling_used + (" (model default)" if pooling is None else "")),
        ("normalization", "unit length (L2)" if normalize else "none"),
        ("max_length", f"{max_length} wordpieces including [CLS] and [SEP]"),
        ("similarity", "cosine; rows ordered by average-linkage clustering"),
        ("neighbours", f"{k} per sentence, exact cosine"),
        ("projection", proj_text),
        ("seed", str(seed)),
        ("libraries", _versions()),
        ("created", datetime.now(UTC).isoformat(timespec="seconds")),
    ]

    sections = {
        "similarity": (
            f"A random sample (seed {seed}) of {MAX_HEATMAP_N} of the {n} sentences: the full "
            f"matrix would be {n}\u00d7{n}. Neighbours and the projection use all sentences. "
            if sampled
            else ""
        )
        + "Rows and columns are ordered so that similar sentences sit together. Click a cell "
        "to select its row's sentence.",
        "contributions": (
            f"Sentences #{pi} and #{pj}"
            + (" (chosen)" if pair is not None else " (the most similar pair of different texts)")
            + f": cosine similarity of their embeddings {pair_score:.4f}. "
            + (
                "With mean pooling the similarity splits exactly into token pairs: the cells sum "
                "to it."
                if is_mean
                else f"The report's pooling is {pooling_used!r}; the cells decompose the cosine "
                "similarity of the mean-pooled token vectors instead (shown in the title), "
                "which differs from the score above."
            )
        ),
    }
    return ReportContent(
        title=title or f"smallbert-viz report: {n:,} sentences, {info.name}",
        texts=texts,
        labels=labels,
        provenance=provenance,
        provenance_line=line,
        note=note,
        summary=summary,
        figures=figures,
        heatmap_rows=heat_rows.astype(np.int64),
        heatmap_matrix=heat_matrix,
        coords=np.asarray(proj.coords, dtype=np.float32),
        neighbor_indices=nb.indices,
        neighbor_scores=nb.scores,
        attention_for=tuple(attention_for),
        pair=(pi, pj, pair_score),
        sections=sections,
        timings=timings,
    )


def report(
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    model: Any = None,
    path: str | os.PathLike = "report.html",
    *,
    pooling: str | None = None,
    normalize: bool = False,
    attention_for: Sequence[int] | None = None,
    pair: tuple[int, int] | None = None,
    seed: int = 42,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    max_length: int = 128,
    title: str | None = None,
    note: str | None = None,
    embeddings: np.ndarray | None = None,
) -> Path:
    """Write one self-contained, offline HTML report of ``texts`` and return its path.

    The page shows the provenance, a corpus summary, the clustered similarity heatmap, the UMAP
    projection coloured by label, each sentence's nearest neighbours, per-head attention of
    a few sentences and one pair's token contributions. Clicking a point, a heatmap cell or a
    table row selects a sentence and shows its neighbours and (if precomputed) its attention.

    Parameters
    ----------
    texts : list of str, length N >= 2
    labels : list of str of length N, optional
        Colours the projection; counted in the summary.
    model : BertModel, str, path or None
        A loaded model, a name/handle/path for :func:`smallbert_viz.load_model`, or None: the TF
        Hub small BERT when reachable, else the offline model (the report says which and why).
    path : str or path
        Output file; parent folders are created.
    pooling : {"cls", "pooled", "mean"}, optional
        Default: the model's own.
    normalize : bool
        Unit-length embeddings (cosine similarity is unchanged; UMAP with cosine too).
    attention_for : list of int, optional
        Sentences whose attention (every layer x head) is stored, at most 12. Default: the
        contribution pair and sentence 0.
    pair : (int, int), optional
        The pair whose token contributions are shown; default the most similar pair of
        different texts.
    seed : int
        UMAP seed (reproducible layout) and the heatmap sample's seed above 1,000 sentences.
    n_neighbors, min_dist : UMAP parameters.
    max_length : int
        Wordpieces per sentence including [CLS]/[SEP].
    title : str, optional
    note : str, optional
        A line shown at the top of the page, e.g. why this model was used.
    embeddings : ndarray of shape (N, H), optional
        Precomputed sentence embeddings, to skip embedding ``texts`` again. They MUST be
        ``model.embed(texts, pooling=pooling, normalize=normalize, max_length=max_length)`` of
        this very model (only shape (N, model.hidden_size), finiteness and, with ``normalize``,
        unit length are checked; anything else raises ValueError). Cast to float32.

    Returns
    -------
    pathlib.Path
        The absolute path of the written file.
    """
    from smallbert_viz.reporting.render import render_html

    out = Path(path).expanduser()
    if out.is_dir():
        raise IsADirectoryError(
            f"The 'path' parameter of {OWNER} is a folder ({str(out)!r}). Pass a file name such "
            "as report.html."
        )
    content = build_content(
        texts,
        labels,
        model,
        pooling=pooling,
        normalize=normalize,
        attention_for=attention_for,
        pair=pair,
        seed=seed,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        max_length=max_length,
        title=title,
        note=note,
        embeddings=embeddings,
    )
    page = render_html(content)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out.resolve()
