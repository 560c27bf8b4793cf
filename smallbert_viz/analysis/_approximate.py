"""Approximate nearest neighbours for ``nearest_neighbors`` and ``query_neighbors`` beyond
``APPROXIMATE_ABOVE`` rows: candidates from an index, exact scores for the pairs found, and the
recall measured against exact search on a sample of rows.

Two libraries can supply the candidates, tried in the order of :data:`LIBRARIES`:

- faiss (``faiss-cpu``): an inverted-file index with 8-bit scalar-quantised vectors
  (``IndexIVFScalarQuantizer``: k-means cells, each query scans the vectors of its ``nprobe``
  nearest cells in 8 bits, a quarter of the memory traffic of float32). It returns
  :data:`IVF_CANDIDATES` times ``k`` candidates, which are then scored exactly, so the
  quantisation only decides which candidates are kept. Compiled C++, so no JIT cost in a fresh
  process; ``nprobe`` starts at :data:`IVF_START_PROBES` and doubles until the recall measured
  on a tuning sample reaches :data:`TARGET_RECALL`.
- pynndescent (NN-descent, a dependency of umap-learn): the fallback when faiss is missing. Its
  Numba code is compiled on first use in every fresh process without a warm Numba cache.

benchmarks/bench_neighbors.py measured both (and usearch) at 200,000 and 1,000,000 rows.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math

import numpy as np

from smallbert_viz.analysis import neighbors as nb
from smallbert_viz.analysis._input import unit_rows

#: Approximate-search libraries in order of preference; the first that imports is used.
LIBRARIES: tuple[str, ...] = ("faiss", "pynndescent")
#: Recall@k that faiss's search effort (``nprobe``) is raised to reach on a tuning sample.
TARGET_RECALL = 0.97
#: Cells probed per query at first (doubled while the tuning recall is below target).
IVF_START_PROBES = 8
#: Candidates per wanted neighbour that faiss returns for exact re-scoring.
IVF_CANDIDATES = 2
#: Inverted-file cells per square root of the corpus size (about 4 sqrt(N) cells).
IVF_CELLS_PER_SQRT = 4
# k-means training: rows per cell and iterations (cells need not converge to index well).
_IVF_TRAIN_PER_CELL = 40  # faiss warns below 39
_IVF_TRAIN_ITERATIONS = 4
# Query rows searched at once: bounds the candidate arrays faiss allocates.
_SEARCH_BLOCK = 65_536
_INSTALL_HINT = "pip install faiss-cpu (fast, preferred) or pynndescent"


def _library() -> str:
    """The first importable library of :data:`LIBRARIES`."""
    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return name
    raise ImportError(f"method='approximate' needs an approximate-search library: {_INSTALL_HINT}")


def _version(name: str) -> str:
    dist = {"faiss": "faiss-cpu"}.get(name, name)
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown version"


def _approximate(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    metric: str,
    self_ids: np.ndarray | None,
    owner: str,
    names: tuple[str, str],
) -> nb.Neighbors:
    """Approximate neighbours, exact scores for the pairs found, recall measured on a sample.

    ``queries is corpus`` means the all-pairs graph (``self_ids`` then excludes each row).
    """
    library = _library()
    same = queries is corpus
    if metric == "cosine":
        # On unit vectors inner-product and Euclidean order are cosine order.
        corpus = unit_rows(corpus, names[1], owner)
        queries = corpus if same else unit_rows(queries, names[0], owner)
    extra = 1 if self_ids is not None else 0

    sample = nb._sample_rows(queries.shape[0], nb.RECALL_QUERIES)
    truth = _truth(queries, corpus, sample, k, metric, self_ids, owner, names)
    if library == "faiss":
        width = min(corpus.shape[0], IVF_CANDIDATES * k + extra)
        candidates, setting = _faiss_candidates(
            queries, corpus, k, width, metric, self_ids, owner, names
        )
    else:
        candidates, setting = _pynndescent_candidates(queries, corpus, same, k + extra)
    indices, scores = _rank_candidates(queries, corpus, candidates, k, metric, self_ids)

    # Rows where the index returned fewer than k usable candidates: search them exactly.
    short = np.flatnonzero(~np.isfinite(scores).all(axis=1))
    if short.size:
        sub_ids = None if self_ids is None else self_ids[short]
        fix = nb._search(queries[short], corpus, k, metric, sub_ids, None, owner, names)
        indices[short], scores[short] = fix.indices, fix.scores

    found = (indices[sample][:, :, None] == truth[:, None, :]).any(axis=2)
    return nb.Neighbors(
        indices=indices,
        scores=scores,
        metric=metric,
        method="approximate",
        recall=float(found.mean()),
        recall_queries=int(sample.size),
        library=f"{library} {_version(library)}{setting}",
    )


def _truth(queries, corpus, rows, k, metric, self_ids, owner, names) -> np.ndarray:
    """Exact neighbour ids of the query ``rows`` (the reference recall is measured against)."""
    sub_ids = None if self_ids is None else self_ids[rows]
    return nb._search(queries[rows], corpus, k, metric, sub_ids, None, owner, names).indices


def _pynndescent_candidates(
    queries: np.ndarray, corpus: np.ndarray, same: bool, width: int
) -> tuple[np.ndarray, str]:
    import pynndescent

    n_c = corpus.shape[0]
    graph_k = min(n_c - 1, max(width, nb._MIN_GRAPH_NEIGHBORS))
    index = pynndescent.NNDescent(
        corpus, metric="euclidean", n_neighbors=graph_k, n_jobs=-1, low_memory=True
    )
    if same:
        candidates = index.neighbor_graph[0][:, :width]
    else:
        candidates = index.query(queries, k=min(n_c, max(width, nb._MIN_GRAPH_NEIGHBORS)))[0]
    return np.asarray(candidates, dtype=np.int64), ""


def _faiss_candidates(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    width: int,
    metric: str,
    self_ids: np.ndarray | None,
    owner: str,
    names: tuple[str, str],
) -> tuple[np.ndarray, str]:
    """``width`` IVF candidates per row (the row itself included when ``self_ids`` is given),
    ``nprobe`` raised until the exact ``k`` neighbours of a tuning sample are among them at a
    rate of :data:`TARGET_RECALL` (what exact re-scoring then keeps).

    The tuning sample differs from the sample the reported recall is measured on, so the
    reported figure is not flattered by the tuning.
    """
    import faiss

    n_c, dim = corpus.shape
    cells = int(min(max(1, n_c // _IVF_TRAIN_PER_CELL), IVF_CELLS_PER_SQRT * math.sqrt(n_c)))
    inner = metric == "cosine"
    quantizer = faiss.IndexFlatIP(dim) if inner else faiss.IndexFlatL2(dim)
    kind = faiss.METRIC_INNER_PRODUCT if inner else faiss.METRIC_L2
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, cells, faiss.ScalarQuantizer.QT_8bit, kind
    )
    index.cp.niter = _IVF_TRAIN_ITERATIONS
    index.cp.seed = 0
    index.cp.max_points_per_centroid = _IVF_TRAIN_PER_CELL
    train = corpus[nb._sample_rows(n_c, _IVF_TRAIN_PER_CELL * cells, seed=1)]
    index.train(np.ascontiguousarray(train))
    index.add(corpus)

    tune = nb._sample_rows(queries.shape[0], nb.RECALL_QUERIES // 2, seed=1)
    truth = _truth(queries, corpus, tune, k, metric, self_ids, owner, names)
    probes = min(IVF_START_PROBES, cells)
    while True:
        index.nprobe = probes
        got = _faiss_search(index, queries[tune], width)
        if self_ids is not None:
            got = np.where(got == self_ids[tune, None], -1, got)
        # Share of the exact neighbours among the candidates (exact re-scoring keeps them).
        recall = (truth[:, :, None] == got[:, None, :]).any(axis=2).mean()
        if recall >= TARGET_RECALL or probes >= cells:
            break
        probes = min(2 * probes, cells)
    candidates = np.empty((queries.shape[0], width), dtype=np.int64)
    for start in range(0, queries.shape[0], _SEARCH_BLOCK):
        stop = min(start + _SEARCH_BLOCK, queries.shape[0])
        candidates[start:stop] = _faiss_search(index, queries[start:stop], width)
    return candidates, (
        f", IVF-SQ8 {cells:,} cells, nprobe {probes}, "
        f"{width - (self_ids is not None)} candidates re-scored"
    )


def _faiss_search(index, rows: np.ndarray, width: int) -> np.ndarray:
    return index.search(np.ascontiguousarray(rows, dtype=np.float32), width)[1].astype(np.int64)


def _rank_candidates(
    queries: np.ndarray,
    corpus: np.ndarray,
    candidates: np.ndarray,
    k: int,
    metric: str,
    self_ids: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` of each row's candidates by exactly computed scores, best first.

    ``queries`` and ``corpus`` are already unit rows for cosine. Invalid candidates (negative
    ids, the row itself) score -inf.
    """
    n_q, width = candidates.shape
    indices = np.empty((n_q, k), dtype=np.int64)
    scores = np.empty((n_q, k), dtype=np.float32)
    step = max(1, 2**24 // (width * corpus.shape[1]))  # about 64 MB of gathered rows at once
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        cand = candidates[start:stop]
        valid = cand >= 0
        if self_ids is not None:
            valid &= cand != self_ids[start:stop, None]
        rows = corpus[np.where(valid, cand, 0)]
        q = queries[start:stop, None, :]
        if metric == "euclidean":
            diff = rows - q
            s = -np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        else:
            s = np.einsum("ijk,ijk->ij", rows, q)
        s = np.where(valid, s, -np.inf).astype(np.float32)
        # Duplicated candidate ids (possible in NN-descent output) keep only their first copy.
        srt = np.sort(np.where(valid, cand, -1), axis=1)
        if (srt[:, 1:] == srt[:, :-1])[srt[:, 1:] >= 0].any():
            for r in range(stop - start):
                _, first = np.unique(cand[r], return_index=True)
                keep = np.zeros(width, dtype=bool)
                keep[first] = True
                s[r][~keep] = -np.inf
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
        indices[start:stop] = np.take_along_axis(cand, order, axis=1)
        scores[start:stop] = np.take_along_axis(s, order, axis=1)
    return indices, scores
