"""The words that set each group of sentences apart: class-based TF-IDF (c-TF-IDF).

c-TF-IDF, as BERTopic defines it (Grootendorst 2022, arXiv 2203.05794), treats all sentences of a
group as one document. For word ``x`` and group ``c``::

    W(x, c) = tf(x, c) * log(1 + A / f(x))

``tf(x, c)`` is the count of ``x`` in group ``c`` divided by the group's word count (L1
normalisation, so big groups do not win by size), ``f(x)`` the count of ``x`` over all groups and
``A`` the mean word count per group. A word frequent in one group and rare elsewhere scores
highest. BERTopic's code rounds ``A`` down to an integer; we keep the mean, which changes scores
slightly and rankings rarely.

Words, not wordpieces: scikit-learn's ``CountVectorizer`` (lower-cased tokens of two or more
letters or digits, its English stop list by default), so keywords read as words a user typed.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from smallbert_viz._validation import check_int, check_str_list
from smallbert_viz.analysis._input import as_matrix


def cluster_keywords(
    texts: Sequence[str],
    groups: Sequence[Hashable] | np.ndarray,
    *,
    top: int = 5,
    stop_words: str | Sequence[str] | None = "english",
) -> dict[Hashable, list[str]]:
    """The ``top`` words that distinguish each group, by c-TF-IDF (see the module docstring).

    Parameters
    ----------
    texts : list of str of length N
    groups : sequence of length N
        A group per sentence: given labels, or clusters such as ``cluster_labels(...)``.
    top : int
        Words per group, at least 1. A group with fewer distinct (non stop) words gets fewer.
    stop_words : "english", list of str or None
        Words never returned: scikit-learn's English list, your own list (any case), or none.

    Returns
    -------
    dict
        Group -> its words, best first (ties alphabetical); groups in order of first
        appearance, numpy scalars turned into Python ones (``np.str_("a")`` -> ``"a"``).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    owner = "cluster_keywords"
    keys, inverse = group_index(groups, owner)
    texts = check_str_list(texts, inverse.size, "texts", owner, "entry of groups")
    top = check_int("top", top, owner, low=1)
    stop_words = _check_stop_words(stop_words, owner)

    # One document per group, as BERTopic does: no token spans two sentences joined by a
    # space, and a few long documents tokenize faster than many short ones.
    members: list[list[str]] = [[] for _ in keys]
    for text, g in zip(texts, inverse.tolist(), strict=True):
        members[g].append(text)
    vectorizer = CountVectorizer(stop_words=stop_words)
    try:
        counts = vectorizer.fit_transform([" ".join(m) for m in members])
    except ValueError:  # empty vocabulary: only stop words, single letters or punctuation
        return {key: [] for key in keys}
    scores = ctfidf(counts)
    words = vectorizer.get_feature_names_out()
    out: dict[Hashable, list[str]] = {}
    for g, key in enumerate(keys):
        row = scores.getrow(g)
        # Columns are in alphabetical order, so sorting by (-score, column) breaks ties by word.
        best = np.lexsort((row.indices, -row.data))[:top]
        out[key] = [str(words[row.indices[b]]) for b in best if row.data[b] > 0]
    return out


def ctfidf(counts: Any) -> Any:
    """c-TF-IDF scores (sparse, float64) of a group x word count matrix."""
    import scipy.sparse as sp

    counts = sp.csr_matrix(counts, dtype=np.float64)
    per_word = np.asarray(counts.sum(axis=0)).ravel()  # f(x)
    per_group = np.asarray(counts.sum(axis=1)).ravel()
    mean_words = per_group.mean()  # A
    idf = np.log1p(mean_words / np.maximum(per_word, 1.0))
    tf = sp.diags(1.0 / np.maximum(per_group, 1.0)) @ counts  # L1 per group; empty rows stay 0
    return (tf @ sp.diags(idf)).tocsr()


def keyword_table(
    coords: np.ndarray,
    groups: Sequence[Hashable] | np.ndarray,
    keywords: dict[Hashable, Sequence[str]],
) -> list[dict[str, Any]]:
    """One row per group: its centre in the layout, its size and its keywords, for export.

    The centre is the coordinate-wise median of the group's points: unlike the mean, it stays on
    the group when a layout flings a few of its points far away.

    Parameters
    ----------
    coords : array-like of shape (N, 2) or (N, 3)
        The layout, e.g. ``Projection.coords``.
    groups : sequence of length N
        The groups the keywords were computed for.
    keywords : dict
        As :func:`cluster_keywords` returns it; a group missing from it gets no words.

    Returns
    -------
    list of dict
        Rows ``{"group", "x", "y", ("z",) "size", "keywords"}`` of plain Python values, in order
        of first appearance: ``json.dumps``, ``csv.DictWriter`` and ``pandas.DataFrame`` take
        them as they are.
    """
    owner = "keyword_table"
    xyz = as_matrix(coords, "coords", owner, dtype=np.float64)
    if xyz.shape[1] not in (2, 3):
        raise ValueError(
            f"The 'coords' argument of {owner} must have 2 or 3 columns. Got shape {xyz.shape} "
            "instead; project to 2 or 3 dimensions first."
        )
    keys, inverse = group_index(groups, owner)
    if inverse.size != xyz.shape[0]:
        raise ValueError(
            f"The 'groups' argument of {owner} must have one entry per row of 'coords' "
            f"({xyz.shape[0]}). Got {inverse.size} instead."
        )
    if not isinstance(keywords, dict):
        raise TypeError(
            f"The 'keywords' argument of {owner} must be a dict group -> list of words, as "
            f"cluster_keywords returns it. Got {type(keywords).__name__} instead."
        )
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
    axes = ("x", "y", "z")[: xyz.shape[1]]
    rows = []
    for g, key in enumerate(keys):
        centre = np.median(xyz[order[bounds[g] : bounds[g + 1]]], axis=0)
        row: dict[str, Any] = {"group": key}
        row.update({axis: float(c) for axis, c in zip(axes, centre, strict=True)})
        row["size"] = int(bounds[g + 1] - bounds[g])
        row["keywords"] = [str(w) for w in keywords.get(key, [])]
        rows.append(row)
    return rows


def group_index(groups: Any, owner: str) -> tuple[list[Hashable], np.ndarray]:
    """Distinct groups in order of first appearance, and each entry's position among them."""
    if isinstance(groups, str) or not hasattr(groups, "__len__"):
        raise TypeError(
            f"The 'groups' argument of {owner} must be a sequence with one group per sentence. "
            f"Got {type(groups).__name__} instead."
        )
    index: dict[Hashable, int] = {}
    inverse = np.empty(len(groups), dtype=np.int64)
    for i, value in enumerate(groups):
        if isinstance(value, np.generic):
            value = value.item()
        try:
            inverse[i] = index.setdefault(value, len(index))
        except TypeError:
            raise TypeError(
                f"The 'groups' argument of {owner} must hold hashable labels (str, int). Got "
                f"{type(value).__name__} at position {i} instead."
            ) from None
    if inverse.size == 0:
        raise ValueError(f"The 'groups' argument of {owner} must hold at least one entry.")
    return list(index), inverse


def _check_stop_words(stop_words: Any, owner: str) -> str | list[str] | None:
    if stop_words is None or stop_words == "english":
        return stop_words
    if isinstance(stop_words, str):
        raise ValueError(
            f"The 'stop_words' parameter of {owner} must be 'english', a list of str or None. "
            f"Got {stop_words!r} instead."
        )
    words = list(stop_words)
    if not all(isinstance(w, str) for w in words):
        raise TypeError(
            f"The 'stop_words' parameter of {owner} must be 'english', a list of str or None. "
            "Got a list holding non-str values instead."
        )
    return [w.lower() for w in words]  # texts are lower-cased before stop words are removed
