import warnings

import numpy as np
import pytest
from scipy.spatial import procrustes as scipy_procrustes
from scipy.stats import ortho_group
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors

from smallbert_viz.analysis.representation import (
    Alignment,
    chance_accuracy,
    cka_matrix,
    knn_accuracy,
    linear_cka,
    neighbor_overlap,
    procrustes_align,
    stratified_folds,
)


def hsic_cka(x, y):
    """CKA through the HSIC formula with explicit centring matrices (Kornblith et al. eq. 3-4)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    k, l_ = x @ x.T, y @ y.T

    def hsic(a, b):
        return np.trace(a @ h @ b @ h) / (n - 1) ** 2

    return hsic(k, l_) / np.sqrt(hsic(k, k) * hsic(l_, l_))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def blobs(rng):
    """240 points in 4 overlapping clusters in 24-D, and their labels as str."""
    centers = rng.normal(size=(4, 24)) * 1.2
    codes = rng.integers(0, 4, 240)
    x = centers[codes] + rng.normal(size=(240, 24))
    return x.astype(np.float32), [f"group {c}" for c in codes]


# ---- CKA -----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape_x, shape_y", [((50, 8), (50, 5)), ((12, 40), (12, 64))])
def test_linear_cka_matches_hsic_formula(rng, shape_x, shape_y):
    # The two shapes take the feature-space and the Gram-space paths respectively.
    x = rng.normal(size=shape_x)
    shared = min(shape_x[1], shape_y[1])
    y = x[:, :shared] @ rng.normal(size=(shared, shape_y[1])) + rng.normal(size=shape_y)
    expected = hsic_cka(x, y)
    assert 0.05 < expected < 0.99
    assert linear_cka(x, y) == pytest.approx(expected, rel=1e-9)


def test_linear_cka_of_unrelated_data_is_small_and_symmetric(rng):
    x, y = rng.normal(size=(400, 10)), rng.normal(size=(400, 7))
    assert linear_cka(x, y) < 0.1
    assert linear_cka(x, y) == pytest.approx(linear_cka(y, x), rel=1e-12)


def test_linear_cka_invariances(rng):
    x = rng.normal(size=(60, 16)) * rng.uniform(0.1, 3, size=16)
    y = np.tanh(x @ rng.normal(size=(16, 9)))
    base = linear_cka(x, y)
    q = ortho_group.rvs(16, random_state=1)
    assert linear_cka(x, x) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(x, 3.7 * x @ q + 5.0) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(2.5 * x @ q - 1.0, y) == pytest.approx(base, rel=1e-9)
    # Not invariant to an arbitrary invertible linear map (that is what sets CKA apart from CCA).
    stretch = np.diag(np.r_[10.0, np.ones(15)])
    assert abs(linear_cka(x @ stretch, y) - base) > 1e-3


def test_cka_matrix_matches_pairwise_and_accepts_different_widths(rng):
    x = rng.normal(size=(30, 6))
    layers = [x, x @ rng.normal(size=(6, 10)), rng.normal(size=(30, 4)), 2 * x]
    m = cka_matrix(layers)
    assert m.shape == (4, 4)
    np.testing.assert_allclose(m, m.T)
    np.testing.assert_allclose(np.diag(m), 1.0)
    for i in range(4):
        for j in range(4):
            assert m[i, j] == pytest.approx(hsic_cka(layers[i], layers[j]), rel=1e-9, abs=1e-12)
    stack = rng.normal(size=(3, 20, 5)).astype(np.float32)
    np.testing.assert_allclose(cka_matrix(stack)[0, 1], hsic_cka(stack[0], stack[1]), rtol=1e-6)


def test_cka_bad_input(rng):
    with pytest.raises(ValueError, match="same number of rows"):
        linear_cka(rng.normal(size=(5, 3)), rng.normal(size=(6, 3)))
    with pytest.raises(ValueError, match="no variance"):
        linear_cka(np.ones((5, 3)), rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match=r"3-D array .* Got shape \(5, 3\)"):
        cka_matrix(rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="same number of rows"):
        cka_matrix([rng.normal(size=(5, 3)), rng.normal(size=(4, 3))])


# ---- k-NN accuracy ----------------------------------------------------------------------------


@pytest.mark.parametrize("k, folds, seed", [(5, 5, 0), (1, 3, 7), (8, 4, 3)])
def test_knn_accuracy_matches_sklearn(blobs, k, folds, seed):
    x, labels = blobs
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    clf = KNeighborsClassifier(n_neighbors=k, metric="cosine", algorithm="brute")
    expected = cross_val_score(clf, x.astype(np.float64), labels, cv=cv)
    got = knn_accuracy(x, labels, k=k, folds=folds, seed=seed)
    assert got.shape == (folds,)
    np.testing.assert_allclose(got, expected)
    assert 0.4 < got.mean() < 1.0  # overlapping clusters: informative, not trivial


def test_knn_accuracy_ties_go_to_first_label_like_sklearn(rng):
    # k=2 with two classes ties often; scikit-learn then predicts the label that sorts first.
    x = rng.normal(size=(60, 3)).astype(np.float32)
    labels = ["b" if v else "a" for v in rng.integers(0, 2, 60)]
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    clf = KNeighborsClassifier(n_neighbors=2, metric="cosine", algorithm="brute")
    expected = cross_val_score(clf, x.astype(np.float64), labels, cv=cv)
    np.testing.assert_allclose(knn_accuracy(x, labels, k=2, folds=3, seed=0), expected)


@pytest.mark.parametrize("folds, seed", [(5, 0), (3, 11), (7, 2)])
def test_stratified_folds_are_scikit_learns_and_silent(rng, folds, seed):
    # Groups numbered out of first-appearance order, one smaller than the folds (scikit-learn
    # warns about it; the copy must not).
    codes = np.concatenate([np.full(2, 3), rng.integers(0, 3, 57), np.full(4, 4)])
    codes = codes[rng.permutation(len(codes))]
    with pytest.warns(UserWarning, match="least populated class"):
        expected = list(
            StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(codes)), codes)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = stratified_folds(codes, folds, seed)
    assert len(got) == folds
    for (train, test), (want_train, want_test) in zip(got, expected, strict=True):
        np.testing.assert_array_equal(train, want_train)
        np.testing.assert_array_equal(test, want_test)


def test_knn_accuracy_of_separable_and_shuffled_labels(blobs, rng):
    x, labels = blobs
    far = x + 50 * np.eye(24, dtype=np.float32)[[int(s[-1]) for s in labels]]
    assert knn_accuracy(far, labels).mean() == 1.0
    shuffled = list(rng.permutation(labels))
    assert knn_accuracy(x, shuffled).mean() < chance_accuracy(labels) + 0.15


def test_chance_accuracy():
    assert chance_accuracy(["a", "b", "a", "a"]) == 0.75
    assert chance_accuracy([1, 2, 3, 3, 2, 2]) == 0.5


def test_knn_accuracy_bad_input(blobs):
    x, labels = blobs
    with pytest.raises(ValueError, match="at least 2 different groups. Got 1"):
        knn_accuracy(x, ["same"] * len(x))
    with pytest.raises(ValueError, match=r"one entry per sentence \(240\). Got 3"):
        knn_accuracy(x, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"'folds' parameter of knn_accuracy must be at most 2"):
        knn_accuracy(x[:4], ["a", "b", "a", "b"], folds=3, k=1)
    with pytest.raises(ValueError, match=r"'k' parameter of knn_accuracy must be an int in the "
                       r"range \[1, 192\]. Got 500"):
        knn_accuracy(x, labels, k=500)
    with pytest.raises(ValueError, match="all-zero rows"):
        knn_accuracy(np.vstack([np.zeros((1, 24)), x[1:]]), labels)


# ---- neighbour overlap ------------------------------------------------------------------------


def test_neighbor_overlap_matches_sklearn_sets(blobs, rng):
    x, _ = blobs
    y = (x @ rng.normal(size=(24, 40)) + 2.0 * rng.normal(size=(240, 40))).astype(np.float32)
    na = NearestNeighbors(n_neighbors=7, metric="cosine", algorithm="brute").fit(x).kneighbors()[1]
    nb = NearestNeighbors(n_neighbors=7, metric="cosine", algorithm="brute").fit(y).kneighbors()[1]
    expected = np.array([len(set(a) & set(b)) / 7 for a, b in zip(na, nb, strict=True)])
    got = neighbor_overlap(x, y, k=7)
    assert got.shape == (240,)
    np.testing.assert_array_equal(got, expected)
    assert 0.0 < got.mean() < 1.0


def test_neighbor_overlap_of_a_rotated_copy_is_one_and_of_noise_near_chance(blobs, rng):
    x, _ = blobs
    q = ortho_group.rvs(24, random_state=2)
    np.testing.assert_array_equal(neighbor_overlap(x, 3 * x @ q, k=10), 1.0)
    noise = rng.normal(size=x.shape)
    assert neighbor_overlap(x, noise, k=10).mean() < 3 * 10 / 239


def test_neighbor_overlap_bad_input(blobs):
    x, _ = blobs
    with pytest.raises(ValueError, match="same number of rows"):
        neighbor_overlap(x, x[:10])
    with pytest.raises(ValueError, match=r"range \[1, 239\]. Got 240"):
        neighbor_overlap(x, x, k=240)


# ---- Procrustes -------------------------------------------------------------------------------


def test_procrustes_recovers_a_known_similarity_transform(rng):
    target = rng.normal(size=(50, 2))
    angle = 1.1
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    reflect = np.diag([1.0, -1.0])
    source = 0.3 * target @ rot @ reflect + np.array([4.0, -2.0])
    result = procrustes_align(source, target)
    assert isinstance(result, Alignment)
    np.testing.assert_allclose(result.coords, target, atol=1e-5)
    np.testing.assert_allclose(result.rotation @ result.rotation.T, np.eye(2), atol=1e-12)
    assert result.scale == pytest.approx(1 / 0.3)
    assert result.disparity == pytest.approx(0.0, abs=1e-12)
    assert result.coords.dtype == np.float32


def test_procrustes_matches_scipy_on_noisy_layouts(rng):
    target = rng.normal(size=(40, 2))
    source = target @ rng.normal(size=(2, 2)) + 0.5 * rng.normal(size=(40, 2))
    std_target, std_source, disparity = scipy_procrustes(target, source)
    result = procrustes_align(source, target)
    assert result.disparity == pytest.approx(disparity, rel=1e-9)
    # scipy returns both standardised (centred, unit norm); standardise ours the same way.
    centred_target = target - target.mean(axis=0)
    ours = (result.coords - target.mean(axis=0)) / np.linalg.norm(centred_target)
    np.testing.assert_allclose(ours, std_source, atol=1e-6)
    np.testing.assert_allclose(centred_target / np.linalg.norm(centred_target), std_target)
    # Least squares: no better fit among nearby rotations.
    best = np.sum((result.coords - target) ** 2)
    for delta in (-0.05, 0.05):
        r = np.array([[np.cos(delta), -np.sin(delta)], [np.sin(delta), np.cos(delta)]])
        moved = (result.coords - target.mean(axis=0)) @ r + target.mean(axis=0)
        assert np.sum((moved - target) ** 2) > best


def test_procrustes_bad_input(rng):
    with pytest.raises(ValueError, match="same number of columns"):
        procrustes_align(rng.normal(size=(5, 2)), rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="same number of rows"):
        procrustes_align(rng.normal(size=(5, 2)), rng.normal(size=(6, 2)))
    with pytest.raises(ValueError, match="'source' argument of procrustes_align has all points"):
        procrustes_align(np.ones((5, 2)), rng.normal(size=(5, 2)))
