"""Near-duplicate sentences: every pair whose cosine similarity reaches a threshold.

How pairs are found without comparing all N^2 of them:

1. Each sentence's ``k`` nearest neighbours (``nearest_neighbors``, exact or approximate); those
   at or above the threshold are edges of a graph.
2. A sentence whose ``k``-th neighbour still reaches the threshold is *saturated*: its list may
   have been cut short (30 copies of one sentence, ``k = 10``). A pair missing from step 1 needs
   both its ends saturated, so the saturated sentences are searched again among themselves with
   ``2k``, ``4k``... neighbours, or all against all once there are at most
   :data:`BRUTE_FORCE_MAX` of them. Sentences with identical text are joined too.
3. Within each connected component of the graph, every pair is scored exactly and kept if it
   reaches the threshold.

With exact neighbours the result is every pair at or above the threshold. With approximate
neighbours a pair is lost only if the search misses it from both ends and no chain of found
pairs joins them; :attr:`NearDuplicates.method` says which search ran.

Kind: ``"lexical"`` when the two sentences use nearly the same words -- the Jaccard index of
their sets of lower-cased words (runs of letters, digits and ``_``) is at least ``jaccard``
(default 0.8; two sentences without any word count as the same words) -- else ``"semantic"``:
different words, similar meaning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from smallbert_viz._validation import check_choice, check_float, check_int, check_str_list
from smallbert_viz.analysis._input import as_matrix, unit_rows
from smallbert_viz.analysis.neighbors import Neighbors, nearest_neighbors

#: Saturated sentences are compared all against all once at most this many remain.
BRUTE_FORCE_MAX = 4096
#: Default Jaccard index of word sets from which a pair counts as ``"lexical"``.
LEXICAL_JACCARD = 0.8
_BLOCK_ELEMENTS = 2**24  # similarity scores held at once when pairs are scored exactly (64 MB)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class NearDuplicates:
    """Pairs of sentences at or above a cosine-similarity threshold, most similar first.

    Attributes
    ----------
    pairs : ndarray of shape (M, 2), int64
        Row numbers ``(i, j)`` with ``i < j``; ties in score ordered by ``(i, j)``.
    scores : ndarray of shape (M,), float32
        Cosine similarity of each pair, non-increasing.
    lexical : ndarray of shape (M,), bool
        True for ``"lexical"`` pairs (nearly the same words), False for ``"semantic"``.
    threshold : float
        Smallest similarity kept.
    k : int
        Neighbours searched per sentence before the saturated ones were searched again.
    method : {"exact", "approximate"}
        The neighbour search that ran; ``"approximate"`` may miss pairs (module docstring).
    jaccard : float
        Word-set Jaccard index from which a pair is ``"lexical"``.
    """

    pairs: np.ndarray
    scores: np.ndarray
    lexical: np.ndarray
    threshold: float
    k: int
    method: str
    jaccard: float

    def __len__(self) -> int:
        return int(self.scores.size)

    @property
    def kinds(self) -> np.ndarray:
        """ndarray of shape (M,) of ``"lexical"`` / ``"semantic"`` (dtype object)."""
        return np.where(self.lexical, "lexical", "semantic").astype(object)

    @property
    def rows(self) -> list[tuple[int, int, float, str]]:
        """The pairs as ``(i, j, score, kind)`` tuples of plain Python values."""
        return [
            (int(i), int(j), float(s), "lexical" if lex else "semantic")
            for (i, j), s, lex in zip(self.pairs, self.scores, self.lexical, strict=True)
        ]

    @property
    def counts(self) -> dict[str, int]:
        """Number of pairs of each kind: ``{"lexical": ..., "semantic": ...}``."""
        n_lexical = int(self.lexical.sum())
        return {"lexical": n_lexical, "semantic": len(self) - n_lexical}

    def to_columns(self) -> dict[str, np.ndarray]:
        """The table as columns ``i``, ``j``, ``score``, ``kind`` (e.g. for a DataFrame)."""
        return {
            "i": self.pairs[:, 0].copy(),
            "j": self.pairs[:, 1].copy(),
            "score": self.scores.copy(),
            "kind": self.kinds,
        }


def near_duplicates(
    embeddings: np.ndarray,
    texts: Sequence[str],
    *,
    threshold: float = 0.9,
    k: int = 10,
    method: Literal["auto", "exact", "approximate"] = "auto",
    jaccard: float = LEXICAL_JACCARD,
    neighbors: Neighbors | None = None,
) -> NearDuplicates:
    """Every pair of sentences with cosine similarity at least ``threshold``, with its kind.

    Parameters
    ----------
    embeddings : array-like of shape (N, n_features)
    texts : list of str of length N
        The sentences, for the lexical / semantic kind and to join identical ones.
    threshold : float
        Cosine similarity in [-1, 1] from which a pair is kept. Low thresholds make large
        groups, and the work grows with the square of a group's size.
    k : int
        Neighbours searched per sentence, in [1, N - 1]. Larger groups are still found whole
        (module docstring); a ``k`` above the usual group size saves the repeated searches.
    method : {"auto", "exact", "approximate"}
        Passed to ``nearest_neighbors``; approximate search makes 10^6 sentences feasible.
    jaccard : float
        Word-set Jaccard index in [0, 1] from which a pair is ``"lexical"``.
    neighbors : Neighbors, optional
        The cosine neighbours of every row of ``embeddings`` when the caller already has them
        (one graph for neighbours, projection, trust and duplicates): the first search is
        skipped and ``k`` is the graph's. Sentences whose every neighbour passes the
        threshold are still searched again, so large groups stay whole.

    Returns
    -------
    NearDuplicates
    """
    owner = "near_duplicates"
    x = as_matrix(embeddings, "embeddings", owner, min_rows=2)
    n = x.shape[0]
    texts = check_str_list(texts, n, "texts", owner, "row of embeddings")
    threshold = check_float("threshold", threshold, owner, low=-1.0, high=1.0)
    if neighbors is not None:
        if (
            not isinstance(neighbors, Neighbors)
            or neighbors.metric != "cosine"
            or len(neighbors.indices) != n
        ):
            got = neighbors.describe() if isinstance(neighbors, Neighbors) else type(neighbors)
            raise ValueError(
                f"The 'neighbors' parameter of {owner} must be the cosine Neighbors of all {n} "
                f"rows of embeddings (nearest_neighbors(embeddings, metric='cosine')). Got "
                f"{got} instead."
            )
        k = neighbors.k
    k = check_int("k", k, owner, low=1, high=n - 1)
    method = check_choice("method", method, ("auto", "exact", "approximate"), owner)
    jaccard = check_float("jaccard", jaccard, owner, low=0.0, high=1.0)
    unit = unit_rows(x, "embeddings", owner)

    if neighbors is None:
        found = nearest_neighbors(unit, k=k, metric="cosine", method=method)
    else:
        found = neighbors
    used = found.method
    edges = [_edges(found.indices, found.scores, threshold, np.arange(n))]
    saturated = np.flatnonzero(found.scores[:, -1] >= threshold)
    searched = k
    while saturated.size > 1:
        if saturated.size <= BRUTE_FORCE_MAX:
            edges.append(_pairs_within(unit, saturated, threshold)[0])
            break
        searched = min(2 * searched, saturated.size - 1)
        again = nearest_neighbors(unit[saturated], k=searched, metric="cosine", method=method)
        if again.method != "exact":
            used = again.method
        edges.append(_edges(again.indices, again.scores, threshold, saturated))
        if searched == saturated.size - 1:
            break  # every saturated sentence was compared with every other
        saturated = saturated[again.scores[:, -1] >= threshold]
    edges.append(_same_text_edges(texts))

    pairs, scores = _complete_components(unit, np.concatenate(edges), threshold)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -scores))
    pairs, scores = pairs[order], scores[order]
    words: dict[int, frozenset[str]] = {}
    lexical = np.fromiter(
        (_jaccard(_words(texts, i, words), _words(texts, j, words)) >= jaccard for i, j in pairs),
        dtype=bool,
        count=len(pairs),
    )
    return NearDuplicates(pairs, scores, lexical, threshold, k, used, jaccard)


def word_jaccard(a: str, b: str) -> float:
    """Jaccard index of the lower-cased word sets of two sentences (1.0 when both have none)."""
    return _jaccard(frozenset(_WORD.findall(a.lower())), frozenset(_WORD.findall(b.lower())))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return 1.0 if union == 0 else len(a & b) / union


def _words(texts: list[str], i: int, cache: dict[int, frozenset[str]]) -> frozenset[str]:
    i = int(i)
    if i not in cache:
        cache[i] = frozenset(_WORD.findall(texts[i].lower()))
    return cache[i]


def _edges(indices: np.ndarray, scores: np.ndarray, threshold: float, rows: np.ndarray):
    """Edges (E, 2) of global row numbers from a neighbour search over ``rows``."""
    q, c = np.nonzero(scores >= threshold)
    return np.column_stack([rows[q], rows[indices[q, c]]]).astype(np.int64)


def _same_text_edges(texts: list[str]) -> np.ndarray:
    """Chain the rows of each repeated text, so copies share a component whatever the search."""
    first: dict[str, int] = {}
    edges = []
    for i, text in enumerate(texts):
        j = first.setdefault(text, i)
        if j != i:
            edges.append((j, i))
    return np.asarray(edges, dtype=np.int64).reshape(-1, 2)


def _pairs_within(unit: np.ndarray, rows: np.ndarray, threshold: float):
    """All pairs among ``rows`` (sorted) at or above the threshold, scored exactly, chunked."""
    m = rows.size
    sub = unit[rows]
    step = max(1, _BLOCK_ELEMENTS // m)
    found_pairs, found_scores = [], []
    for start in range(0, m - 1, step):
        stop = min(start + step, m - 1)
        block = sub[start:stop] @ sub[start:].T  # only columns from `start` on: j > i below
        local_i, local_j = np.nonzero(block >= threshold)
        i, j = start + local_i, start + local_j
        keep = j > i
        found_pairs.append(np.column_stack([rows[i[keep]], rows[j[keep]]]))
        found_scores.append(block[local_i[keep], local_j[keep]])
    if not found_pairs:
        return np.empty((0, 2), np.int64), np.empty(0, np.float32)
    return (
        np.concatenate(found_pairs).astype(np.int64),
        np.concatenate(found_scores).astype(np.float32),
    )


def _complete_components(unit: np.ndarray, edges: np.ndarray, threshold: float):
    """Every pair at or above the threshold within each connected component of ``edges``."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = unit.shape[0]
    graph = sp.coo_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), (n, n))
    _, label = connected_components(graph, directed=False)
    sizes = np.bincount(label)
    order = np.argsort(label, kind="stable")  # rows of each component, ascending
    bounds = np.concatenate([[0], np.cumsum(sizes)])

    pairs, scores = [], []
    two = np.flatnonzero(sizes == 2)
    if two.size:  # most components are single pairs: score them all at once
        a, b = order[bounds[two]], order[bounds[two] + 1]
        s = np.einsum("ij,ij->i", unit[a], unit[b])
        keep = s >= threshold
        pairs.append(np.column_stack([a[keep], b[keep]]))
        scores.append(s[keep])
    for c in np.flatnonzero(sizes > 2):
        p, s = _pairs_within(unit, order[bounds[c] : bounds[c + 1]], threshold)
        pairs.append(p)
        scores.append(s)
    if not pairs:
        return np.empty((0, 2), np.int64), np.empty(0, np.float32)
    scores = np.clip(np.concatenate(scores), -1.0, 1.0).astype(np.float32)
    return np.concatenate(pairs).astype(np.int64), scores
