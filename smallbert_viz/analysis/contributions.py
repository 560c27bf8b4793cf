"""Why two sentences are similar, token by token, for mean pooling.

With token vectors a_1..a_n and b_1..b_m and mean-pooled sentence vectors u = mean(a_i),
v = mean(b_j), the dot product decomposes exactly:

    u . v = sum_ij C_ij,   C_ij = (a_i . b_j) / (n m)

and dividing by |u| |v| gives a matrix that sums to the cosine similarity. Pass only the real
tokens (no padding); whether [CLS]/[SEP] count depends on what the pooling averaged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from smallbert_viz._validation import check_choice
from smallbert_viz.analysis._input import as_matrix, check_same_width

ContributionMetric = Literal["cosine", "dot"]
METRICS: tuple[str, ...] = ("cosine", "dot")


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class TokenContributions:
    """Token x token contributions to the similarity of two mean-pooled sentences.

    Attributes
    ----------
    matrix : ndarray of shape (n, m), float32
        ``matrix[i, j]``: share of token i of the first sentence and token j of the second.
    total : float
        The similarity itself, equal to ``matrix.sum()`` up to float32 rounding.
    metric : {"cosine", "dot"}
    """

    matrix: np.ndarray
    total: float
    metric: str


def token_contributions(
    a: np.ndarray, b: np.ndarray, *, metric: ContributionMetric = "cosine"
) -> TokenContributions:
    """Decompose the similarity of two mean-pooled sentences into token pairs.

    Parameters
    ----------
    a : array-like of shape (n, H)
        Token vectors of the first sentence (real tokens only).
    b : array-like of shape (m, H)
        Token vectors of the second sentence.
    metric : {"cosine", "dot"}

    Returns
    -------
    TokenContributions
        ``matrix`` of shape (n, m) summing to ``total`` = mean(a) . mean(b) (``"dot"``) or
        their cosine similarity (``"cosine"``).
    """
    owner = "token_contributions"
    metric = check_choice("metric", metric, METRICS, owner)
    a64 = as_matrix(a, "a", owner, dtype=np.float64)
    b64 = as_matrix(b, "b", owner, dtype=np.float64)
    check_same_width(a64, b64, ("a", "b"), owner)
    n, m = a64.shape[0], b64.shape[0]
    contrib = (a64 @ b64.T) / (n * m)
    if metric == "cosine":
        scale = np.linalg.norm(a64.mean(axis=0)) * np.linalg.norm(b64.mean(axis=0))
        if scale == 0.0:
            raise ValueError(
                f"The mean of 'a' or 'b' in {owner} is the zero vector, for which cosine "
                "similarity is undefined. Use metric='dot'."
            )
        contrib /= scale
    return TokenContributions(
        matrix=contrib.astype(np.float32), total=float(contrib.sum()), metric=metric
    )
