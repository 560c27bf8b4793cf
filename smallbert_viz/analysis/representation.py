"""Comparing representations of the same sentences: layers of one model, or two models.

* :func:`linear_cka` / :func:`cka_matrix` -- linear centered kernel alignment (Kornblith, Norouzi,
  Lee, Hinton, "Similarity of Neural Network Representations Revisited", ICML 2019): 1 for
  representations equal up to a rotation and an isotropic scale, near 0 for unrelated ones;
  works across different widths.
* :func:`knn_accuracy` -- how well a representation separates given labels: the accuracy of a
  k-nearest-neighbour vote (cosine) under stratified k-fold cross-validation, fold by fold as
  scikit-learn's ``cross_val_score`` returns it; :func:`chance_accuracy` is its baseline.
* :func:`neighbor_overlap` -- per row, the share of its k nearest neighbours two representations
  have in common.
* :func:`procrustes_align` -- rotate (or reflect), scale and shift one 2-D layout onto another.

Pure numpy (plus scikit-learn's fold splitter and scipy's Procrustes solver, imported inside
the functions); no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from smallbert_viz._validation import check_int, check_str_list
from smallbert_viz.analysis._input import as_matrix, check_same_width, unit_rows
from smallbert_viz.analysis.neighbors import _search

# ---- linear CKA ----------------------------------------------------------------------------


def _centered(x: Any, name: str, owner: str) -> tuple[np.ndarray, float]:
    """Column-centred float64 copy of ``x`` and the Frobenius norm of its Gram matrix."""
    arr = as_matrix(x, name, owner, min_rows=2, dtype=np.float64)
    arr = arr - arr.mean(axis=0)
    norm = _self_norm(arr)
    if norm == 0.0:
        raise ValueError(
            f"The {name!r} argument of {owner} has no variance (all rows are equal), so its CKA "
            "is undefined. Use at least two different sentences."
        )
    return arr, norm


def _use_gram(n: int, p: int, q: int) -> bool:
    # ||X^T Y||_F^2 costs n*p*q; the equal <XX^T, YY^T>_F costs n^2*(p+q). Pick the cheaper.
    return n * (p + q) < p * q


def _self_norm(x: np.ndarray) -> float:
    """||X^T X||_F = ||X X^T||_F, through the smaller of the two Gram matrices."""
    n, p = x.shape
    gram = x @ x.T if n < p else x.T @ x
    return float(np.linalg.norm(gram))


def _cross(x: np.ndarray, y: np.ndarray) -> float:
    """||X^T Y||_F^2 (the unnormalised linear HSIC of centred X and Y)."""
    n, p = x.shape
    q = y.shape[1]
    if _use_gram(n, p, q):
        return float(np.sum((x @ x.T) * (y @ y.T)))
    return float(np.sum((x.T @ y) ** 2))


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA between two representations of the same rows.

    ``CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)`` on column-centred ``x`` and ``y``
    (Kornblith et al. 2019, eq. 5): invariant to orthogonal transforms and isotropic scaling of
    either, not to arbitrary invertible linear maps.

    Parameters
    ----------
    x : array-like of shape (n_samples, p)
    y : array-like of shape (n_samples, q)
        ``q`` may differ from ``p`` (e.g. two models of different widths).

    Returns
    -------
    float
        In [0, 1]; 1 when ``y`` is a rotation and scaling of ``x``.
    """
    owner = "linear_cka"
    xc, nx = _centered(x, "x", owner)
    yc, ny = _centered(y, "y", owner)
    if xc.shape[0] != yc.shape[0]:
        raise ValueError(
            f"The 'x' and 'y' arguments of {owner} must have the same number of rows (one per "
            f"sentence, in the same order). Got {xc.shape[0]} and {yc.shape[0]} instead."
        )
    return float(np.clip(_cross(xc, yc) / (nx * ny), 0.0, 1.0))


def cka_matrix(layers: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """Linear CKA between every pair of representations of the same rows.

    Parameters
    ----------
    layers : array-like of shape (n_layers, n_samples, n_features), or a sequence of arrays
        of shape (n_samples, n_features_l)
        For example ``model.layer_embeddings(texts)``.

    Returns
    -------
    ndarray of shape (n_layers, n_layers), float64
        Symmetric, ones on the diagonal, values in [0, 1].
    """
    owner = "cka_matrix"
    if isinstance(layers, np.ndarray) and layers.ndim != 3:
        raise ValueError(
            f"The 'layers' argument of {owner} must be a 3-D array of shape (n_layers, "
            f"n_samples, n_features) or a list of 2-D arrays. Got shape {layers.shape} instead."
        )
    if len(layers) == 0:
        raise ValueError(f"The 'layers' argument of {owner} must hold at least one layer.")
    centred = [_centered(layer, f"layers[{i}]", owner) for i, layer in enumerate(layers)]
    rows = {c.shape[0] for c, _ in centred}
    if len(rows) != 1:
        raise ValueError(
            f"The layers passed to {owner} must all have the same number of rows (one per "
            f"sentence). Got {sorted(rows)} instead."
        )
    n = len(centred)
    out = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            (xi, ni), (xj, nj) = centred[i], centred[j]
            out[i, j] = out[j, i] = np.clip(_cross(xi, xj) / (ni * nj), 0.0, 1.0)
    return out


# ---- k-NN label accuracy ---------------------------------------------------------------------


def chance_accuracy(labels: Sequence[Any]) -> float:
    """The majority-class rate: the accuracy of always guessing the most frequent label."""
    _, counts = np.unique(np.asarray([str(v) for v in labels], dtype=object), return_counts=True)
    if counts.size == 0:
        raise ValueError("The 'labels' argument of chance_accuracy must not be empty.")
    return float(counts.max() / counts.sum())


def check_labels(labels: Any, n: int, owner: str, folds: int) -> np.ndarray:
    """``labels`` as integer class codes (classes sorted by name); raise for unusable labels."""
    names = check_str_list(labels, n, "labels", owner, "sentence")
    classes, codes = np.unique(np.asarray(names, dtype=object), return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"The 'labels' argument of {owner} must name at least 2 different groups. Got "
            f"{classes.size} instead; a k-NN accuracy needs something to tell apart."
        )
    counts = np.bincount(codes)
    if counts.max() < folds:
        raise ValueError(
            f"The 'folds' parameter of {owner} must be at most {int(counts.max())}, the size of "
            f"the largest label group (stratified folds need members of a group in each fold). "
            f"Got {folds} instead; pass a smaller folds or more sentences per label."
        )
    return codes.astype(np.int64)


def knn_accuracy(
    embeddings: np.ndarray,
    labels: Sequence[Any],
    *,
    k: int = 5,
    folds: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Cross-validated accuracy of a k-nearest-neighbour vote on ``labels`` (cosine).

    Each fold of a stratified, shuffled k-fold split (scikit-learn's ``StratifiedKFold(folds,
    shuffle=True, random_state=seed)``) is classified by a majority vote of its rows' ``k``
    nearest training rows (cosine similarity, exact); ties go to the label that sorts first, as
    in scikit-learn's ``KNeighborsClassifier``.

    Parameters
    ----------
    embeddings : array-like of shape (n_samples, n_features)
    labels : sequence of length n_samples
        One group per row (compared as str); at least two groups.
    k : int
        Neighbours that vote, at most the size of the smallest training fold.
    folds : int
        Number of folds, from 2 to the size of the largest label group.
    seed : int
        Seed of the fold shuffling.

    Returns
    -------
    ndarray of shape (folds,), float64
        The accuracy on each held-out fold, as ``cross_val_score`` returns it; ``.mean()`` is
        the usual summary.
    """
    owner = "knn_accuracy"
    # float64: sentence vectors of one model often lie within a few degrees of each other, where
    # float32 dot products cannot order neighbours 1e-7 apart (seen: a layer whose 3rd and 4th
    # neighbours were 1.7e-7 apart voted otherwise than scikit-learn's float64 cosine).
    x = as_matrix(embeddings, "embeddings", owner, min_rows=2, dtype=np.float64)
    n = x.shape[0]
    folds = check_int("folds", folds, owner, low=2, high=n)
    codes = check_labels(labels, n, owner, folds)
    seed = check_int("seed", seed, owner, low=0, high=2**32 - 1)
    splits = stratified_folds(codes, folds, seed)
    k = check_int("k", k, owner, low=1, high=min(len(train) for train, _ in splits))
    unit = unit_rows(x, "embeddings", owner)
    n_classes = int(codes.max()) + 1
    scores = np.empty(folds)
    for f, (train, test) in enumerate(splits):
        nb = _search(
            unit[test], unit[train], k, "dot", None, None, owner, ("embeddings", "embeddings")
        )
        votes = np.zeros((len(test), n_classes), np.int64)
        np.add.at(votes, (np.arange(len(test))[:, None], codes[train][nb.indices]), 1)
        scores[f] = float((votes.argmax(axis=1) == codes[test]).mean())
    return scores


def stratified_folds(
    codes: np.ndarray, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) rows of scikit-learn's ``StratifiedKFold(folds, shuffle=True,
    random_state=seed).split(X, codes)``, the same folds, without its warning that a group has
    fewer rows than folds (true and harmless here: that group is absent from some folds).

    scikit-learn's ``_make_test_folds`` (BSD-3-Clause), copied so that no warning filter is
    needed: ``warnings.catch_warnings`` changes the process-wide filters, unsafe in the report's
    worker thread. ``tests/analysis/test_representation.py`` checks it equal to scikit-learn's.
    """
    rng = np.random.RandomState(seed)
    _, y_idx, y_inv = np.unique(codes, return_index=True, return_inverse=True)
    # Groups numbered by first appearance, as scikit-learn numbers them.
    _, class_perm = np.unique(y_idx, return_inverse=True)
    y_encoded = class_perm[y_inv]
    n_classes = len(y_idx)
    y_order = np.sort(y_encoded)
    allocation = np.asarray(
        [np.bincount(y_order[i::folds], minlength=n_classes) for i in range(folds)]
    )
    test_folds = np.empty(len(codes), dtype="i")
    for k in range(n_classes):
        folds_for_class = np.arange(folds).repeat(allocation[:, k])
        rng.shuffle(folds_for_class)
        test_folds[y_encoded == k] = folds_for_class
    rows = np.arange(len(codes))
    return [(rows[test_folds != f], rows[test_folds == f]) for f in range(folds)]


# ---- neighbour overlap -----------------------------------------------------------------------


def neighbor_overlap(a: np.ndarray, b: np.ndarray, *, k: int = 10) -> np.ndarray:
    """Per row, the share of its ``k`` nearest neighbours (cosine) that ``a`` and ``b`` share.

    Parameters
    ----------
    a : array-like of shape (n_samples, p)
    b : array-like of shape (n_samples, q)
        The same sentences in the same order, e.g. embedded by two models; ``q`` may differ.
    k : int
        Neighbours per row (self excluded), at most ``n_samples - 1``.

    Returns
    -------
    ndarray of shape (n_samples,), float64
        In [0, 1]: 1 where both representations give a row the same k neighbours (in any
        order); about ``k / (n_samples - 1)`` for unrelated ones.
    """
    owner = "neighbor_overlap"
    xa = as_matrix(a, "a", owner, min_rows=2)
    xb = as_matrix(b, "b", owner, min_rows=2)
    if xa.shape[0] != xb.shape[0]:
        raise ValueError(
            f"The 'a' and 'b' arguments of {owner} must have the same number of rows (one per "
            f"sentence, in the same order). Got {xa.shape[0]} and {xb.shape[0]} instead."
        )
    n = xa.shape[0]
    k = check_int("k", k, owner, low=1, high=n - 1)
    own = np.arange(n)  # each row's own index, left out of its neighbours
    ia = np.sort(_search(xa, xa, k, "cosine", own, None, owner, ("a", "a")).indices, axis=1)
    ib = np.sort(_search(xb, xb, k, "cosine", own, None, owner, ("b", "b")).indices, axis=1)
    shared = np.empty(n, np.int64)
    step = max(1, 2**22 // (k * k))  # bounds the n x k x k comparison to ~4M elements
    for start in range(0, n, step):
        ra, rb = ia[start : start + step], ib[start : start + step]
        shared[start : start + step] = (ra[:, :, None] == rb[:, None, :]).sum(axis=(1, 2))
    return shared / k


# ---- Procrustes ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class Alignment:
    """``source`` moved onto ``target`` by ``coords = scale * (source - mean) @ rotation + shift``.

    Attributes
    ----------
    coords : ndarray of shape (n_samples, d), float32
        The aligned source, in the target's frame.
    rotation : ndarray of shape (d, d), float64
        Orthogonal; may include a reflection (layouts have no preferred handedness).
    scale : float
    shift : ndarray of shape (d,), float64
        The target's centroid.
    disparity : float
        ``scipy.spatial.procrustes``'s disparity: the sum of squared differences after both
        layouts are centred and scaled to unit norm; 0 for a perfect fit, at most 1.
    """

    coords: np.ndarray
    rotation: np.ndarray
    scale: float
    shift: np.ndarray
    disparity: float


def procrustes_align(source: np.ndarray, target: np.ndarray) -> Alignment:
    """Rotate (or reflect), scale and shift ``source`` to best fit ``target`` (least squares).

    Orthogonal Procrustes (scipy's ``orthogonal_procrustes``) on the centred layouts. The
    target is left as it is, so two aligned layouts can share axes.

    Parameters
    ----------
    source, target : array-like of shape (n_samples, d)
        The same points, in the same order, in two layouts of equal dimension.

    Returns
    -------
    Alignment
    """
    from scipy.linalg import orthogonal_procrustes

    owner = "procrustes_align"
    src = as_matrix(source, "source", owner, min_rows=2, dtype=np.float64)
    tgt = as_matrix(target, "target", owner, min_rows=2, dtype=np.float64)
    check_same_width(src, tgt, ("source", "target"), owner)
    if src.shape[0] != tgt.shape[0]:
        raise ValueError(
            f"The 'source' and 'target' arguments of {owner} must have the same number of rows "
            f"(the same points in the same order). Got {src.shape[0]} and {tgt.shape[0]} instead."
        )
    src_c = src - src.mean(axis=0)
    shift = tgt.mean(axis=0)
    tgt_c = tgt - shift
    ns, nt = np.linalg.norm(src_c), np.linalg.norm(tgt_c)
    if ns == 0 or nt == 0:
        raise ValueError(
            f"The {'source' if ns == 0 else 'target'!r} argument of {owner} has all points at "
            "one place; there is nothing to align."
        )
    rotation, singular_sum = orthogonal_procrustes(src_c, tgt_c)
    scale = float(singular_sum / ns**2)
    coords = scale * src_c @ rotation + shift
    disparity = float(max(0.0, 1.0 - (singular_sum / (ns * nt)) ** 2))
    return Alignment(
        coords=coords.astype(np.float32),
        rotation=rotation,
        scale=scale,
        shift=shift,
        disparity=disparity,
    )
