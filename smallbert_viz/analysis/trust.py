"""How far a 2-D or 3-D layout can be trusted, point by point.

For each sentence, :func:`projection_trust` is the share of its ``k`` nearest neighbours in the
embedding space that are also among its ``k`` nearest neighbours in the layout. Its mean is
:func:`~smallbert_viz.analysis.neighbors.neighbor_preservation`; the per-point values show
*where* a layout tears neighbourhoods apart (points near 0 sit among strangers).

Embedding-space neighbours come from :func:`~smallbert_viz.analysis.neighbors.nearest_neighbors`
(exact, or approximate at scale through ``method``). Layout neighbours are always exact: a k-d
tree over 2 or 3 columns answers a million points in seconds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from smallbert_viz._validation import check_choice, check_int
from smallbert_viz.analysis._input import as_matrix
from smallbert_viz.analysis.neighbors import METRICS, NeighborMetric, nearest_neighbors

#: Bound on the boolean block compared at once when counting shared neighbours (elements).
_OVERLAP_BLOCK = 2**22


def projection_trust(
    embeddings: np.ndarray,
    coords: np.ndarray,
    *,
    k: int = 10,
    metric: NeighborMetric = "cosine",
    method: Literal["auto", "exact", "approximate"] = "auto",
) -> np.ndarray:
    """Per point, the share of its ``k`` embedding-space neighbours kept by the layout.

    Parameters
    ----------
    embeddings : array-like of shape (N, n_features)
        The sentence embeddings the layout was made from.
    coords : array-like of shape (N, n_components)
        The layout, e.g. ``Projection.coords`` (any number of columns; neighbours by Euclidean
        distance).
    k : int
        Neighbours compared per point, in [1, N - 1].
    metric : {"cosine", "dot", "euclidean"}
        Similarity in the embedding space.
    method : {"auto", "exact", "approximate"}
        How the embedding-space neighbours are found, passed to ``nearest_neighbors``:
        approximate neighbours (pynndescent) make 10^6 points feasible and make the values
        approximate too: each true neighbour the search misses moves that point's value by at
        most ``1 / k``.

    Returns
    -------
    ndarray of shape (N,), float64
        Values in {0, 1/k, ..., 1}; 1 means the point's neighbourhood is intact in the layout.
        The mean equals ``neighbor_preservation(embeddings, coords, k=k, metric=metric)`` when
        neighbours are exact and distances have no ties.
    """
    owner = "projection_trust"
    metric = check_choice("metric", metric, METRICS, owner)
    method = check_choice("method", method, ("auto", "exact", "approximate"), owner)
    x = as_matrix(embeddings, "embeddings", owner, min_rows=2)
    y = as_matrix(coords, "coords", owner, min_rows=2, dtype=np.float64)
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"The 'embeddings' and 'coords' arguments of {owner} must have the same number of "
            f"rows (one layout point per sentence). Got {x.shape[0]} and {y.shape[0]} instead."
        )
    k = check_int("k", k, owner, low=1, high=x.shape[0] - 1)
    high = nearest_neighbors(x, k=k, metric=metric, method=method).indices
    low = layout_neighbors(y, k)
    return shared_fraction(high, low)


def layout_neighbors(coords: np.ndarray, k: int) -> np.ndarray:
    """Exact ``k`` nearest rows of each row of ``coords`` (Euclidean, self excluded).

    Returns
    -------
    ndarray of shape (N, k), int64
    """
    from scipy.spatial import cKDTree

    n = coords.shape[0]
    _, idx = cKDTree(coords).query(coords, k=k + 1)
    idx = np.asarray(idx, dtype=np.int64).reshape(n, k + 1)
    # Each row normally lists itself first; with duplicate points it may come later, so drop
    # the self entry wherever it is (or the farthest one when a tie pushed self out).
    is_self = idx == np.arange(n)[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(n), drop] = False
    return idx[keep].reshape(n, k)


def shared_fraction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, the share of the ``k`` indices of ``a`` that also appear in the row of ``b``.

    ``a`` and ``b`` have shape (N, k) with distinct indices within each row.
    """
    n, k = a.shape
    out = np.empty(n, dtype=np.float64)
    step = max(1, _OVERLAP_BLOCK // (k * b.shape[1]))
    for start in range(0, n, step):
        ha, hb = a[start : start + step], b[start : start + step]
        out[start : start + step] = (ha[:, :, None] == hb[:, None, :]).sum(axis=(1, 2)) / k
    return out
