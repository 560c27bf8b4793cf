"""Similarity matrices and a cluster order for showing them.

Scores follow one convention in every analysis: larger means more similar. For
``metric="euclidean"`` the matrix holds the *negative* Euclidean distance (0 on the diagonal,
negative elsewhere); ``-result.matrix`` gives the distances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from smallbert_viz._validation import check_choice
from smallbert_viz.analysis._input import as_matrix, unit_rows

SimilarityMetric = Literal["cosine", "dot", "euclidean"]
METRICS: tuple[str, ...] = ("cosine", "dot", "euclidean")
LINKAGES: tuple[str, ...] = ("average", "complete", "single", "ward")

# Optimal leaf ordering grows much faster than the linkage itself (about 8x from N=1000 to
# N=2000, against 4x for the linkage), so above this size the plain dendrogram order is used
# unless optimal=True is asked for.
OPTIMAL_ORDERING_MAX_N = 1000


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class SimilarityMatrix:
    """Pairwise similarities of N embeddings.

    Attributes
    ----------
    matrix : ndarray of shape (N, N), float32
        Symmetric. Cosine similarity, dot product, or negative Euclidean distance.
    metric : {"cosine", "dot", "euclidean"}
    """

    matrix: np.ndarray
    metric: str

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def reordered(self, order: np.ndarray) -> SimilarityMatrix:
        """The same similarities with rows and columns permuted by ``order`` (shape (N,))."""
        order = np.asarray(order)
        return SimilarityMatrix(self.matrix[np.ix_(order, order)], self.metric)


def similarity_matrix(
    embeddings: np.ndarray, *, metric: SimilarityMetric = "cosine"
) -> SimilarityMatrix:
    """All pairwise similarities of the rows of ``embeddings``.

    Parameters
    ----------
    embeddings : array-like of shape (N, n_features)
    metric : {"cosine", "dot", "euclidean"}
        ``"euclidean"`` gives the negative distance so that larger is more similar.

    Returns
    -------
    SimilarityMatrix
        ``matrix`` of shape (N, N), float32. Builds the full matrix: use
        :func:`~smallbert_viz.analysis.nearest_neighbors` for large N.
    """
    owner = "similarity_matrix"
    metric = check_choice("metric", metric, METRICS, owner)
    x = as_matrix(embeddings, "embeddings", owner, dtype=np.float64)
    if metric == "cosine":
        x = unit_rows(x, "embeddings", owner)
    gram = x @ x.T
    if metric == "cosine":
        np.clip(gram, -1.0, 1.0, out=gram)
        np.fill_diagonal(gram, 1.0)
        matrix = gram
    elif metric == "dot":
        matrix = gram
    else:
        matrix = -_gram_to_distance(gram)
    matrix = (matrix + matrix.T) / 2  # exact symmetry despite rounding
    return SimilarityMatrix(matrix=matrix.astype(np.float32), metric=metric)


def cluster_order(
    similarity: SimilarityMatrix,
    *,
    linkage: str = "average",
    optimal: bool | None = None,
) -> np.ndarray:
    """A permutation that puts similar items next to each other (hierarchical clustering).

    Similarities are turned into distances first: ``-matrix`` for ``"euclidean"``, and for
    ``"cosine"`` / ``"dot"`` the Euclidean distance implied by the Gram matrix,
    ``sqrt(s_ii + s_jj - 2 s_ij)`` (for cosine, the chord distance between unit vectors).

    Parameters
    ----------
    similarity : SimilarityMatrix
    linkage : {"average", "complete", "single", "ward"}
        Method of :func:`scipy.cluster.hierarchy.linkage`.
    optimal : bool, optional
        Use optimal leaf ordering (adjacent leaves as similar as possible). Default: only up to
        ``OPTIMAL_ORDERING_MAX_N`` items, where it is cheap; above, the dendrogram order.

    Returns
    -------
    ndarray of shape (N,), int64
        Show ``similarity.reordered(order)``.
    """
    from scipy.cluster import hierarchy
    from scipy.spatial.distance import squareform

    owner = "cluster_order"
    if not isinstance(similarity, SimilarityMatrix):
        raise TypeError(
            f"The 'similarity' argument of {owner} must be a SimilarityMatrix. Got "
            f"{type(similarity).__name__} instead; build one with similarity_matrix(embeddings)."
        )
    linkage = check_choice("linkage", linkage, LINKAGES, owner)
    n = similarity.size
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    s = similarity.matrix.astype(np.float64)
    dist = -s if similarity.metric == "euclidean" else _gram_to_distance(s)
    dist = np.maximum((dist + dist.T) / 2, 0.0)
    np.fill_diagonal(dist, 0.0)
    condensed = squareform(dist, checks=False)
    if optimal is None:
        optimal = n <= OPTIMAL_ORDERING_MAX_N
    tree = hierarchy.linkage(condensed, method=linkage, optimal_ordering=bool(optimal))
    return hierarchy.leaves_list(tree).astype(np.int64)


def _gram_to_distance(gram: np.ndarray) -> np.ndarray:
    """Euclidean distances from a Gram matrix: |a-b|^2 = a.a + b.b - 2 a.b."""
    sq = np.diag(gram)
    d2 = sq[:, None] + sq[None, :] - 2.0 * gram
    return np.sqrt(np.maximum(d2, 0.0))
