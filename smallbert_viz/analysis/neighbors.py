"""Nearest neighbours: exact by chunked matrix products, approximate (faiss IVF) at scale.

Scores follow one convention in every analysis: larger means more similar. For
``metric="euclidean"`` the score is the *negative* Euclidean distance.

Exact search processes rows in chunks, so at most ``chunk_size x N`` scores (plus the
``argpartition`` indices) exist at once; the full N x N matrix is never built (about 64 MB with
the default chunking, whatever N is). Its time grows as N^2, so beyond
:data:`APPROXIMATE_ABOVE` rows ``method="auto"`` switches to an approximate neighbour graph
built from an inverted-file index (faiss; NN-descent from pynndescent, which umap-learn
depends on, when faiss is not installed; see ``_approximate.py``), with exact scores for the
pairs found; time and memory then grow far slower than N^2. An approximate result always carries its measured recall: the share
of the exact k nearest neighbours it found, on a sample of up to :data:`RECALL_QUERIES` rows
(benchmarks/bench_neighbors.py prints times, recall and peak memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from smallbert_viz._validation import check_choice, check_int
from smallbert_viz.analysis._input import as_matrix, check_same_width, unit_rows

NeighborMetric = Literal["cosine", "dot", "euclidean"]
NeighborMethod = Literal["auto", "exact", "approximate"]
METRICS: tuple[str, ...] = ("cosine", "dot", "euclidean")
NEIGHBOR_METHODS: tuple[str, ...] = ("auto", "exact", "approximate")
# Approximate search needs a true metric; the dot product of unnormalised vectors is not one.
APPROXIMATE_METRICS: tuple[str, ...] = ("cosine", "euclidean")

#: Rows above which ``method="auto"`` uses approximate neighbours (exact work grows as N^2).
APPROXIMATE_ABOVE = 50_000
#: Query rows on which the recall of an approximate search is measured against exact search.
RECALL_QUERIES = 1_000
#: ``progress=None`` prints a stage line from this many rows on (the search takes a while).
PROGRESS_MIN_ROWS = 50_000
# NN-descent (the pynndescent fallback) finds the k nearest more reliably with a longer list.
_MIN_GRAPH_NEIGHBORS = 20

# Bytes per score-matrix element while a chunk is alive: float32 scores + int64 argpartition.
_BYTES_PER_ELEMENT = 12
_DEFAULT_CHUNK_BYTES = 64 * 2**20


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class Neighbors:
    """The ``k`` most similar corpus rows of each query row, most similar first.

    Attributes
    ----------
    indices : ndarray of shape (n_queries, k), int64
        Row numbers in the corpus.
    scores : ndarray of shape (n_queries, k), float32
        Similarity of each neighbour, non-increasing along each row: cosine similarity, dot
        product, or negative Euclidean distance. Exact for the pairs listed, also when the
        pairs were found approximately.
    metric : {"cosine", "dot", "euclidean"}
    method : {"exact", "approximate"}
        How the pairs were found.
    recall : float
        Share of the exact k nearest neighbours found, measured on ``recall_queries`` rows;
        1.0 for exact search.
    recall_queries : int
        Rows on which ``recall`` was measured (0 for exact search: nothing to measure).
    library : str
        What found the pairs, with its version for approximate search.
    """

    indices: np.ndarray
    scores: np.ndarray
    metric: str
    method: str = "exact"
    recall: float = 1.0
    recall_queries: int = 0
    library: str = "numpy"

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    def describe(self) -> str:
        """One line for provenance: "10 neighbours, approximate (faiss 1.15.1, IVF ...), ..."."""
        head = f"{self.k} neighbour{'s' if self.k != 1 else ''} by {self.metric}"
        if self.method == "exact":
            return f"{head}, exact"
        return (
            f"{head}, approximate ({self.library}), recall@{self.k} {self.recall:.3f} "
            f"on {self.recall_queries:,} queries"
        )


def nearest_neighbors(
    embeddings: np.ndarray,
    *,
    k: int = 10,
    metric: NeighborMetric = "cosine",
    method: NeighborMethod = "auto",
    exclude_self: bool = True,
    chunk_size: int | None = None,
    approximate_above: int | None = None,
    progress: bool | None = None,
) -> Neighbors:
    """The ``k`` nearest neighbours of every row among the rows of ``embeddings``.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
    k : int
        Neighbours per row; at most ``n_samples - 1`` when ``exclude_self`` else ``n_samples``.
    metric : {"cosine", "dot", "euclidean"}
        Euclidean scores are negative distances, so larger is always more similar.
    method : {"auto", "exact", "approximate"}
        ``"auto"``: exact up to ``approximate_above`` rows, approximate beyond (always exact for
        ``metric="dot"``, which approximate search does not support). ``"approximate"``:
        faiss's IVF index, its search effort raised until a tuning sample reaches 0.97
        recall (pynndescent if faiss is missing); the result's ``recall`` says how many of
        the exact neighbours it found, measured on another sample.
    exclude_self : bool
        Leave each row out of its own neighbours (an identical duplicate row still counts).
    chunk_size : int, optional
        Exact search: rows scored at once; default keeps each chunk near 64 MB.
    approximate_above : int, optional
        Row count above which ``"auto"`` goes approximate; default :data:`APPROXIMATE_ABOVE`.
    progress : bool, optional
        Print a line when the search starts and its time when it ends; None: from
        :data:`PROGRESS_MIN_ROWS` rows on.

    Returns
    -------
    Neighbors
        ``indices`` and ``scores`` of shape (n_samples, k), with the method and its recall.
    """
    owner = "nearest_neighbors"
    metric = check_choice("metric", metric, METRICS, owner)
    method = check_choice("method", method, NEIGHBOR_METHODS, owner)
    x = as_matrix(embeddings, "embeddings", owner, min_rows=2 if exclude_self else 1)
    n = x.shape[0]
    k = check_int("k", k, owner, low=1, high=n - 1 if exclude_self else n)
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, owner, low=1)
    method = _choose(method, metric, n * n, approximate_above, owner)
    self_ids = np.arange(n) if exclude_self else None
    from smallbert_viz.progress import stage_line

    show = n >= PROGRESS_MIN_ROWS if progress is None else bool(progress)
    with stage_line(f"finding the {k} nearest neighbours of {n:,} rows ({method})", show=show):
        if method == "exact":
            names = ("embeddings", "embeddings")
            return _search(x, x, k, metric, self_ids, chunk_size, owner, names)
        from smallbert_viz.analysis._approximate import _approximate

        return _approximate(x, x, k, metric, self_ids, owner, ("embeddings", "embeddings"))


def query_neighbors(
    queries: np.ndarray,
    corpus: np.ndarray,
    *,
    k: int = 10,
    metric: NeighborMetric = "cosine",
    method: NeighborMethod = "auto",
    chunk_size: int | None = None,
    approximate_above: int | None = None,
) -> Neighbors:
    """The ``k`` nearest corpus rows of each query row.

    Parameters
    ----------
    queries : array-like of shape (n_queries, n_features)
    corpus : array-like of shape (n_samples, n_features)
    k : int
        Neighbours per query, at most ``n_samples``.
    metric : {"cosine", "dot", "euclidean"}
    method : {"auto", "exact", "approximate"}
        ``"auto"`` goes approximate only when scoring every query against every corpus row
        would cost more than an exact all-pairs search of ``approximate_above`` rows (a few
        queries against any corpus stay exact: building an index would cost more).
    chunk_size : int, optional
        Exact search: query rows scored at once; default keeps each chunk near 64 MB.
    approximate_above : int, optional
        Default :data:`APPROXIMATE_ABOVE`.

    Returns
    -------
    Neighbors
        ``indices`` into ``corpus`` and ``scores``, both of shape (n_queries, k).
    """
    owner = "query_neighbors"
    metric = check_choice("metric", metric, METRICS, owner)
    method = check_choice("method", method, NEIGHBOR_METHODS, owner)
    q = as_matrix(queries, "queries", owner)
    c = as_matrix(corpus, "corpus", owner)
    check_same_width(q, c, ("queries", "corpus"), owner)
    k = check_int("k", k, owner, low=1, high=c.shape[0])
    if chunk_size is not None:
        chunk_size = check_int("chunk_size", chunk_size, owner, low=1)
    method = _choose(method, metric, q.shape[0] * c.shape[0], approximate_above, owner)
    if method == "exact":
        return _search(q, c, k, metric, None, chunk_size, owner, ("queries", "corpus"))
    from smallbert_viz.analysis._approximate import _approximate

    return _approximate(q, c, k, metric, None, owner, ("queries", "corpus"))


def _choose(
    method: str, metric: str, pairs: int, approximate_above: int | None, owner: str
) -> str:
    """Resolve ``"auto"``; refuse approximate search for a metric it cannot do."""
    if approximate_above is None:
        approximate_above = APPROXIMATE_ABOVE
    else:
        approximate_above = check_int("approximate_above", approximate_above, owner, low=0)
    if method == "auto":
        big = pairs > approximate_above * approximate_above
        return "approximate" if big and metric in APPROXIMATE_METRICS else "exact"
    if method == "approximate" and metric not in APPROXIMATE_METRICS:
        raise ValueError(
            f"The 'metric' parameter of {owner} must be one of 'cosine', 'euclidean' with "
            f"method='approximate'. Got {metric!r} instead; use method='exact', or normalise "
            "the vectors and use metric='cosine'."
        )
    return method


def _search(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    metric: str,
    self_ids: np.ndarray | None,
    chunk_size: int | None,
    owner: str,
    names: tuple[str, str],
) -> Neighbors:
    """Exact search; ``self_ids[i]`` is the corpus row left out of query row i's neighbours."""
    n_q, n_c = queries.shape[0], corpus.shape[0]
    if chunk_size is None:
        chunk_size = max(1, _DEFAULT_CHUNK_BYTES // (_BYTES_PER_ELEMENT * n_c))

    if metric == "cosine":
        corpus_unit = unit_rows(corpus, names[1], owner)
        queries = corpus_unit if queries is corpus else unit_rows(queries, names[0], owner)
        corpus = corpus_unit
    sq_norms = np.einsum("ij,ij->i", corpus, corpus) if metric == "euclidean" else None
    corpus_t = corpus.T  # a view: BLAS reads the transpose in place, no copy

    indices = np.empty((n_q, k), dtype=np.int64)
    scores = np.empty((n_q, k), dtype=np.float32)
    for start in range(0, n_q, chunk_size):
        stop = min(start + chunk_size, n_q)
        q = queries[start:stop]
        block = q @ corpus_t
        if sq_norms is not None:
            # Rank by -|q - c|^2 + |q|^2 = 2 q.c - |c|^2; exact distances are computed below.
            block *= 2.0
            block -= sq_norms
        if self_ids is not None:
            block[np.arange(stop - start), self_ids[start:stop]] = -np.inf
        if k < n_c:
            top = np.argpartition(block, n_c - k, axis=1)[:, n_c - k :]
        else:
            top = np.broadcast_to(np.arange(n_c), (stop - start, n_c))
        top_scores = np.take_along_axis(block, top, axis=1)
        if sq_norms is not None:
            # Recompute the few selected distances directly: the expanded form loses precision
            # for near-duplicates.
            diff = q[:, None, :] - corpus[top]
            top_scores = -np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        order = np.argsort(-top_scores, axis=1, kind="stable")
        indices[start:stop] = np.take_along_axis(top, order, axis=1)
        scores[start:stop] = np.take_along_axis(top_scores, order, axis=1)
    return Neighbors(indices=indices, scores=scores, metric=metric)


def _sample_rows(n: int, size: int, seed: int = 0) -> np.ndarray:
    """Sorted row numbers of a fixed random sample of ``min(n, size)`` rows."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def sampled_preservation(
    embeddings: np.ndarray,
    coords: np.ndarray,
    *,
    k: int = 10,
    metric: str = "cosine",
    sample_size: int = RECALL_QUERIES,
) -> tuple[float, int]:
    """:func:`neighbor_preservation` measured on a fixed sample of rows, and the sample size.

    Each sampled row's exact k nearest neighbours among all rows of ``embeddings`` and of
    ``coords`` are compared; cost O(sample_size x N), so it stays cheap at a million rows.
    Inputs must already be validated float32 matrices with the same number of rows.
    """
    n = embeddings.shape[0]
    k = min(k, n - 1)
    sample = _sample_rows(n, sample_size)
    names = ("embeddings", "embeddings")
    high = _search(embeddings[sample], embeddings, k, metric, sample, None, "project", names)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    low = _search(coords[sample], coords, k, "euclidean", sample, None, "project", names)
    shared = (high.indices[:, :, None] == low.indices[:, None, :]).any(axis=2)
    return float(shared.mean()), int(sample.size)


def neighbor_preservation(
    embeddings: np.ndarray,
    coords: np.ndarray,
    *,
    k: int = 10,
    metric: NeighborMetric = "cosine",
) -> float:
    """Mean fraction of each point's k nearest neighbours kept by a low-dimensional layout.

    For every row, the k nearest neighbours in ``embeddings`` (by ``metric``) are compared with
    its k nearest neighbours in ``coords`` (Euclidean); the result is the mean overlap in [0, 1]
    (1: every neighbourhood preserved; about k / N for a random layout).

    Parameters
    ----------
    embeddings : array-like of shape (N, n_features)
    coords : array-like of shape (N, n_components)
        E.g. ``Projection.coords``.
    k : int
    metric : {"cosine", "dot", "euclidean"}
        Similarity in the original space.

    Returns
    -------
    float
    """
    owner = "neighbor_preservation"
    metric = check_choice("metric", metric, METRICS, owner)
    x = as_matrix(embeddings, "embeddings", owner, min_rows=2)
    y = as_matrix(coords, "coords", owner, min_rows=2)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"The 'embeddings' and 'coords' arguments of {owner} must have the same number of "
            f"rows. Got {x.shape[0]} and {y.shape[0]} instead."
        )
    k = check_int("k", k, owner, low=1, high=x.shape[0] - 1)
    every = np.arange(x.shape[0])
    high = _search(x, x, k, metric, every, None, owner, ("embeddings", "embeddings")).indices
    low = _search(y, y, k, "euclidean", every, None, owner, ("coords", "coords")).indices
    high.sort(axis=1)
    low.sort(axis=1)
    # Overlap of two sorted rows of distinct indices, chunked to keep memory at N x k x k / c.
    shared = 0
    step = max(1, 2**22 // (k * k))
    for start in range(0, x.shape[0], step):
        h, lo = high[start : start + step], low[start : start + step]
        shared += int((h[:, :, None] == lo[:, None, :]).sum())
    return shared / (x.shape[0] * k)


def most_similar_pair(neighbors: Neighbors, texts: Sequence[str]) -> tuple[int, int]:
    """The most similar pair of sentences with different texts, from their neighbour lists.

    Exact duplicates are the most similar pairs of any corpus and say nothing; this is the pair
    a report shows first ("why are these two similar?").

    Parameters
    ----------
    neighbors : Neighbors
        Each sentence's neighbours, as :func:`nearest_neighbors` returns them (self excluded,
        most similar first).
    texts : sequence of str
        The sentences, one per row of ``neighbors``.

    Returns
    -------
    tuple of int
        ``(i, j)`` with ``i < j``; ``(0, 1)`` when every listed neighbour duplicates its
        sentence.
    """
    owner = "most_similar_pair"
    if len(texts) != neighbors.indices.shape[0] or len(texts) < 2:
        raise ValueError(
            f"The 'texts' argument of {owner} needs one sentence per row of 'neighbors' "
            f"({neighbors.indices.shape[0]}) and at least two. Got {len(texts)} instead."
        )
    best, best_score = None, -np.inf
    for i, (row, scores) in enumerate(zip(neighbors.indices, neighbors.scores, strict=True)):
        for j, score in zip(row, scores, strict=True):
            if texts[int(j)] != texts[i]:
                if score > best_score:
                    best, best_score = (i, int(j)), float(score)
                break  # sorted: the first different text is this row's best
    if best is None:
        return (0, 1)
    return (min(best), max(best))
