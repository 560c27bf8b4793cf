"""The stages of a report, each a function over the views layer.

Sizes are bounded so that 1,000 sentences give a file of a few MB:

* the similarity heatmap follows the views' policy (a seeded sample above
  ``views.policy.HEATMAP_MAX_ROWS``; the page says so); its values travel as uint16 codes;
* neighbours: one graph (exact below ``nearest_neighbors``' cut-over, approximate above it)
  feeds the neighbour tables, UMAP (``project(..., neighbors=)``), layout trust and the most
  similar pair; the page stores ``NEIGHBORS_SHOWN`` per sentence: int32 ids and cosines on
  a grid of ``NEIGHBOR_SCORE_STEP`` (``render.Packer.row_codes``);
* attention: only for the sentences in ``attention_for`` (default: the contribution pair and
  the first sentence, at most ``MAX_ATTENTION`` sentences);
* which layer knows what: on a stratified sample of at most ``LAYER_MAX_TEXTS`` sentences
  (every layer of every sentence would be N forward passes again);
* projection coordinates as float32 (or the ``coords=`` given, then nothing is projected).
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_int
from smallbert_viz.reporting.content import CorpusSummary
from smallbert_viz.views.policy import (
    DEFAULT_UMAP_MIN_ROWS,
    LAYER_FOLDS,
    NEIGHBOR_SCORE_STEP,
    NEIGHBORS_SHOWN,
    default_method,
    neighbors_stored,
    projection_sample_rule,
    projection_sample_size,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import Neighbors, Projection
    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.duplicates import DuplicatesView
    from smallbert_viz.views.inputs import ViewCorpus
    from smallbert_viz.views.keywords import KeywordView
    from smallbert_viz.views.layers import LayerView
    from smallbert_viz.views.pair import PairView
    from smallbert_viz.views.similarity import SimilarityView
    from smallbert_viz.views.trust import TrustView

OWNER = "report"
#: Title of the projection when the layout was given (``coords=``).
GIVEN_TITLE = "coordinates given"
#: Attention is precomputed for at most this many sentences (each grid is L x H heatmaps).
MAX_ATTENTION = 12
#: The layer analysis runs on a stratified sample of at most this many sentences.
LAYER_MAX_TEXTS = 2000
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


def check_indices(
    values: Any, n: int, name: str, limit: int | None = None
) -> tuple[int, ...]:
    """Sentence indices (one int or several), deduplicated, each in [0, n)."""
    if isinstance(values, int | np.integer):
        values = [values]
    out = list(dict.fromkeys(check_int(name, v, OWNER, low=0, high=n - 1) for v in values))
    if limit is not None and len(out) > limit:
        raise ValueError(
            f"The {name!r} parameter of {OWNER} must list at most {limit} sentences (attention "
            f"is stored per sentence). Got {len(out)} instead."
        )
    return tuple(out)


def _stats(values: np.ndarray) -> tuple[float, float, float, float]:
    return (
        float(values.min()),
        float(np.median(values)),
        float(values.mean()),
        float(values.max()),
    )


def summary(corpus: ViewCorpus) -> CorpusSummary:
    """Counts and length statistics (wordpieces as the model's preprocessor splits them)."""
    from smallbert_viz.embedding import token_ids

    texts, labels, spec = corpus.texts, corpus.labels, corpus.spec
    words = np.array([len(t.split()) for t in texts], dtype=np.float64)
    pieces = np.array([len(ids) for ids in token_ids(spec.model, texts)], dtype=np.float64)
    counts = tuple(Counter(labels).most_common()) if labels is not None else ()
    return CorpusSummary(
        n_texts=len(texts),
        label_counts=counts,
        words=_stats(words),
        wordpieces=_stats(pieces),
        truncated=int(((pieces + 2) > spec.max_length).sum()),
        max_length=spec.max_length,
        n_duplicates=len(texts) - len(set(texts)),
    )


def graph_size(n: int, n_neighbors: int, umap: bool) -> int:
    """Neighbours searched per sentence: those shown, or UMAP's ``n_neighbors - 1`` if more.

    ``umap``: whether UMAP will project the corpus; it reads the graph only when it is fitted
    on every sentence (up to ``policy.PROJECTION_SAMPLE_ABOVE``).
    """
    umap = umap and projection_sample_size(n) is None
    k = max(NEIGHBORS_SHOWN, n_neighbors - 1) if umap else NEIGHBORS_SHOWN
    return min(k, n - 1)


def neighbors(corpus: ViewCorpus, k: int | None = None) -> Neighbors:
    """Each sentence's ``k`` nearest neighbours (cosine; exact or approximate by size)."""
    from smallbert_viz.analysis import nearest_neighbors

    k = min(NEIGHBORS_SHOWN, len(corpus.texts) - 1) if k is None else k
    return nearest_neighbors(corpus.embeddings, k=k, metric="cosine", method="auto")


def first_neighbors(nb: Neighbors, k: int) -> Neighbors:
    """The first ``k`` columns of a neighbour graph (the rest of its record unchanged)."""
    from dataclasses import replace

    if nb.k <= k:
        return nb
    return replace(nb, indices=nb.indices[:, :k], scores=nb.scores[:, :k])


def similarity(corpus: ViewCorpus, seed: int) -> SimilarityView:
    """The views' clustered cosine heatmap (sampled above the views' limit)."""
    from smallbert_viz.views.similarity import similarity_view

    return similarity_view(corpus, metric="cosine", clustered=True, seed=seed)


def projection(
    corpus: ViewCorpus,
    seed: int,
    n_neighbors: int,
    min_dist: float,
    graph: Neighbors | None = None,
    given: Projection | None = None,
) -> tuple[Projection, go.Figure]:
    """The views' projection of every sentence, or the ``given`` layout as it is.

    ``graph``: the report's neighbour graph, handed to UMAP so that it searches no second one
    (not above ``policy.PROJECTION_SAMPLE_ABOVE``: UMAP is then fitted on a sample, which
    needs a graph of its own).
    """
    from smallbert_viz.analysis import project
    from smallbert_viz.views.projection import compute_projection, projection_figure

    n = len(corpus.texts)
    if given is not None:
        proj = given
    elif (
        graph is not None
        and default_method(n) == "umap"
        and projection_sample_size(n) is None
        and graph.k >= n_neighbors - 1
    ):
        proj = project(
            corpus.embeddings,
            method="umap",
            neighbors=graph,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            seed=seed,
        )
    else:
        proj = compute_projection(
            corpus.embeddings, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist
        )
    # The page writes hover text from its one copy of the texts: none built here.
    fig = projection_figure(corpus, proj, labels=corpus.labels, hover=False)
    if proj.method == "given":
        fig.update_layout(title_text=f"Sentence layout, {GIVEN_TITLE}")
    return proj, fig


def pair(
    corpus: ViewCorpus, nb: Neighbors, chosen: tuple[int, int] | None
) -> tuple[PairView, float]:
    """The chosen pair (default: the most similar pair of different texts) explained."""
    from smallbert_viz.analysis import most_similar_pair, similarity_matrix
    from smallbert_viz.views.pair import pair_view

    i, j = chosen if chosen is not None else most_similar_pair(nb, corpus.texts)
    score = float(similarity_matrix(corpus.embeddings[[i, j]], metric="cosine").matrix[0, 1])
    return pair_view(corpus.spec, corpus.texts, i, j, metric="cosine"), score


def attention(corpus: ViewCorpus, rows: Sequence[int]) -> dict[str, go.Figure]:
    """The views' attention figure of each sentence in ``rows``."""
    from smallbert_viz.views.attention import attention_view

    out = {}
    for i in rows:
        _, fig = attention_view(
            corpus.spec.model, corpus.texts[i], max_length=corpus.spec.max_length, what=f"#{i}"
        )
        out[f"attention-{i}"] = fig
    return out


# ---- the analyses of issue 12: trust, keywords, near-duplicates, layers -------------------


def trust(corpus: ViewCorpus, proj: Projection, nb: Neighbors) -> TrustView:
    """Layout trust from the report's own neighbour graph (no second search)."""
    from smallbert_viz.views.policy import TRUST_K
    from smallbert_viz.views.trust import trust_view

    return trust_view(corpus, proj, k=min(TRUST_K, nb.k), neighbors=nb, hover=False)


def keywords(corpus: ViewCorpus, proj: Projection, seed: int) -> KeywordView:
    """Keywords of each label (or of k-means clusters without labels) at their centres."""
    from smallbert_viz.views.keywords import keyword_view

    return keyword_view(corpus, proj, seed=seed, figure=False)  # annotations only


def duplicates(corpus: ViewCorpus, nb: Neighbors) -> DuplicatesView:
    """Near-duplicate pairs from the report's own neighbour graph (no second search)."""
    from smallbert_viz.views.duplicates import duplicates_from_graph
    from smallbert_viz.views.policy import DUPLICATES_SHOWN

    return duplicates_from_graph(corpus, nb, shown=DUPLICATES_SHOWN)


def layer_sample(labels: Sequence[str], size: int, seed: int) -> np.ndarray | None:
    """Sorted rows of a seeded stratified sample of ``size`` (None: all rows fit).

    Each label keeps its share of ``size`` rounded down, but at least ``LAYER_FOLDS`` rows (or
    all of its rows), so the cross-validation sees every label that the full corpus would.
    """
    n = len(labels)
    if n <= size:
        return None
    rng = np.random.default_rng(seed)
    lab = np.asarray(labels, dtype=object).astype(str)
    names, inverse = np.unique(lab, return_inverse=True)
    picked = []
    for g in range(len(names)):
        rows = np.flatnonzero(inverse == g)
        take = min(len(rows), max(LAYER_FOLDS, len(rows) * size // n))
        picked.append(rng.choice(rows, size=take, replace=False))
    return np.sort(np.concatenate(picked))


def layers(corpus: ViewCorpus, seed: int = 0) -> tuple[LayerView, str | None]:
    """Which layer separates the labels (skipped, with the reason, when it cannot run).

    Above ``LAYER_MAX_TEXTS`` sentences on a stratified sample of them; the second value then
    says which (for the provenance and the section), else None.
    """
    from dataclasses import replace

    from smallbert_viz.views.layers import layer_view

    rows = None if corpus.labels is None else layer_sample(corpus.labels, LAYER_MAX_TEXTS, seed)
    if rows is None:
        return layer_view(corpus), None
    sample = replace(
        corpus,
        texts=[corpus.texts[i] for i in rows],
        labels=[corpus.labels[i] for i in rows],
        embeddings=corpus.embeddings[rows],
    )
    note = (
        f"on a stratified random sample of {len(rows):,} of the {len(corpus.texts):,} "
        f"sentences (seed {seed})"
    )
    return layer_view(sample), note


def annotated_projection(fig: go.Figure, tv: TrustView, kv: KeywordView) -> go.Figure:
    """The projection with the keyword annotations and a label / trust colour toggle."""
    from smallbert_viz.views.trust import add_trust_toggle

    out = add_trust_toggle(fig, tv)
    if kv.annotations and "z" not in kv.annotations[0]:  # 2-D: layout.annotations
        out.update_layout(annotations=kv.annotations)
    return out


def analyses_provenance(
    prov: Provenance,
    tv: TrustView,
    kv: KeywordView,
    dv: DuplicatesView,
    lv: LayerView,
    layers_note: str | None = None,
) -> Provenance:
    """``prov`` plus one row per analysis: trust, keywords, near-duplicates, layers."""
    layers = lv.describe()
    if layers_note and lv.analysis is not None:
        layers += f"; {layers_note}"
    return prov.with_extra(
        layout_trust=tv.describe(),
        keywords=kv.description,
        near_duplicates=dv.describe(),
        layers=layers,
    )


def analyses_sections(
    tv: TrustView,
    kv: KeywordView,
    dv: DuplicatesView,
    lv: LayerView,
    layers_note: str | None = None,
) -> dict[str, str]:
    """The plain-text explanations of the trust, keyword, near-duplicate and layer sections."""
    from smallbert_viz.views.policy import DUPLICATES_SHOWN

    c = dv.result.counts
    total = c["lexical"] + c["semantic"]
    groups = "label" if kv.source == "labels" else "k-means cluster (no labels were given)"
    return {
        "trust": f"Switch the colours to trust: the share of each sentence's {tv.k} nearest "
        f"neighbours (cosine, in the embeddings) that are also among its {tv.k} nearest in the "
        f"layout. Mean {tv.mean:.3f}; red points sit among strangers, so distances around "
        "them mislead.",
        "keywords": f"The words that set each {groups} apart (class-based TF-IDF over words), "
        "also written at the group's centre (median) on the projection. The page data holds "
        "them with the centres' coordinates.",
        "duplicates": f"{total:,} pairs with cosine similarity \u2265 {dv.result.threshold:g}: "
        f"{c['lexical']:,} lexical (nearly the same words: word-set Jaccard \u2265 "
        f"{dv.result.jaccard:g}) and {c['semantic']:,} semantic (different words)."
        + (f" The {DUPLICATES_SHOWN} most similar are listed." if total > DUPLICATES_SHOWN else "")
        + " Click a row to select its first sentence.",
        "layers": f"Skipped: {lv.skipped}"
        if lv.analysis is None
        else "How well a k-nearest-neighbour vote on each layer's sentence vectors recovers the "
        "labels (cross-validated), and how alike the layers are (linear CKA)"
        + (f", {layers_note}" if layers_note else "")
        + f". {lv.describe()}.",
    }


def versions() -> str:
    """The versions of the libraries that made the numbers."""
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


def report_provenance(
    corpus: ViewCorpus,
    nb: Neighbors,
    proj: Projection,
    seed: int,
    graph: Neighbors | None = None,
) -> Provenance:
    """The embeddings' provenance plus every parameter the report chose.

    ``graph``: the neighbour graph ``nb`` was cut from (its first ``nb.k`` columns), if wider.
    """
    proj_text = proj.describe()
    if proj.method == "pca":
        proj_text += f" (PCA: fewer than {DEFAULT_UMAP_MIN_ROWS} sentences for UMAP)"
    elif proj.method == "umap" and proj.sample_size is not None:
        proj_text += f" ({projection_sample_rule()})"
    neighbours = f"{nb.k} per sentence: {nb.describe()}"
    if graph is not None and graph.k > nb.k:
        neighbours = (
            f"{nb.k} per sentence, the first of a graph of {graph.k} (also UMAP's): "
            f"{graph.describe()}"
        )
    stored = min(nb.k, neighbors_stored(len(corpus.texts)))
    neighbours += (
        f"; the page stores {stored} per sentence with cosines on a grid of "
        f"{NEIGHBOR_SCORE_STEP:g} (within {NEIGHBOR_SCORE_STEP / 2:g})"
    )
    return corpus.provenance.with_extra(
        similarity="cosine; rows ordered by average-linkage clustering",
        neighbours=neighbours,
        projection=proj_text,
        seed=seed,
        libraries=versions(),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def sections(
    corpus: ViewCorpus, sim: SimilarityView, pv: PairView, score: float, chosen: bool, seed: int
) -> dict[str, str]:
    """The plain-text explanations under the section headings."""
    n = len(corpus.texts)
    i, j = pv.i, pv.j
    sampled = (
        f"A random sample (seed {seed}) of {len(sim.rows)} of the {n} sentences: the full "
        f"matrix would be {n}\u00d7{n}. Neighbours and the projection use all sentences. "
        if sim.sampled
        else ""
    )
    e = pv.explanation
    how = (
        "With mean pooling the similarity splits exactly into token pairs: the cells sum to it."
        if pv.exact
        else f"With {e.pooling} pooling the similarity is explained by integrated Jacobians "
        f"(Moeller, Nikolaev and Pado, EMNLP 2023; {e.steps} Gauss-Legendre steps per text): "
        f"the cells plus an offset of {e.offset:.4f}, the part no token pair carries, add up "
        f"to the score within {e.completeness_error:.2g}."
    )
    return {
        "similarity": sampled + "Rows and columns are ordered so that similar sentences sit "
        "together. Click a cell to select its row's sentence.",
        "contributions": f"Sentences #{i} and #{j}"
        + (" (chosen)" if chosen else " (the most similar pair of different texts)")
        + f": cosine similarity of their embeddings {score:.4f}. "
        + how,
    }
