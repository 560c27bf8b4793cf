"""Approximate nearest neighbours (NN-descent, pynndescent) for ``nearest_neighbors`` and
``query_neighbors`` beyond ``APPROXIMATE_ABOVE`` rows: candidates from the graph, exact scores
for the pairs found, and the recall measured against exact search on a sample of rows.
"""

from __future__ import annotations

import numpy as np

from smallbert_viz.analysis import neighbors as nb
from smallbert_viz.analysis._input import unit_rows


def _approximate(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    metric: str,
    self_ids: np.ndarray | None,
    owner: str,
    names: tuple[str, str],
) -> nb.Neighbors:
    """NN-descent neighbours, exact scores for the pairs found, recall measured on a sample.

    ``queries is corpus`` means the all-pairs graph (``self_ids`` then excludes each row).
    """
    import importlib.metadata

    try:
        import pynndescent
    except ImportError as exc:  # pragma: no cover - a dependency of umap-learn
        raise ImportError(
            "method='approximate' needs pynndescent: pip install pynndescent"
        ) from exc

    same = queries is corpus
    if metric == "cosine":
        # On unit vectors Euclidean order is cosine order, and Euclidean is NN-descent's
        # fastest, best-tested metric.
        corpus = unit_rows(corpus, names[1], owner)
        queries = corpus if same else unit_rows(queries, names[0], owner)
    n_c = corpus.shape[0]
    extra = 1 if self_ids is not None else 0
    graph_k = min(n_c - 1, max(k + extra, nb._MIN_GRAPH_NEIGHBORS))
    index = pynndescent.NNDescent(
        corpus, metric="euclidean", n_neighbors=graph_k, n_jobs=-1, low_memory=True
    )
    if same:
        candidates = index.neighbor_graph[0][:, : k + extra]
    else:
        candidates = index.query(queries, k=min(n_c, max(k, nb._MIN_GRAPH_NEIGHBORS)))[0]
    candidates = np.asarray(candidates, dtype=np.int64)
    indices, scores = _rank_candidates(queries, corpus, candidates, k, metric, self_ids)

    # Rows where NN-descent returned fewer than k usable candidates: search them exactly.
    short = np.flatnonzero(~np.isfinite(scores).all(axis=1))
    if short.size:
        sub_ids = None if self_ids is None else self_ids[short]
        fix = nb._search(queries[short], corpus, k, metric, sub_ids, None, owner, names)
        indices[short], scores[short] = fix.indices, fix.scores

    sample = nb._sample_rows(queries.shape[0], nb.RECALL_QUERIES)
    sub_ids = None if self_ids is None else self_ids[sample]
    truth = nb._search(queries[sample], corpus, k, metric, sub_ids, None, owner, names).indices
    found = (indices[sample][:, :, None] == truth[:, None, :]).any(axis=2)
    try:
        version = importlib.metadata.version("pynndescent")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown version"
    return nb.Neighbors(
        indices=indices,
        scores=scores,
        metric=metric,
        method="approximate",
        recall=float(found.mean()),
        recall_queries=int(sample.size),
        library=f"pynndescent {version}",
    )


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
