import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA

import smallbert_viz.analysis.projection as projection_module
from smallbert_viz.analysis import Projection, clear_projection_cache, project
from smallbert_viz.analysis._cache import ENV_VAR, disk_path


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    clear_projection_cache()
    yield
    clear_projection_cache()


@pytest.fixture
def blobs():
    """300 points in 4 well-separated clusters in 32-D, and their labels."""
    rng = np.random.default_rng(7)
    centers = rng.normal(size=(4, 32)) * 4
    labels = rng.integers(0, 4, 300)
    return (centers[labels] + rng.normal(size=(300, 32))).astype(np.float32), labels


@pytest.fixture
def count_computes(monkeypatch):
    """Count calls of the real internal compute function (the cache is what is under test)."""
    calls = []
    real = projection_module._compute

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(projection_module, "_compute", counting)
    return calls


def test_pca_matches_sklearn_up_to_sign(blobs):
    x, _ = blobs
    result = project(x, method="pca", n_components=3, cache="off")
    ref = PCA(n_components=3).fit(x.astype(np.float64))
    expected = ref.transform(x.astype(np.float64))
    signs = np.sign((result.coords * expected).sum(axis=0))
    np.testing.assert_allclose(result.coords, expected * signs, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(
        result.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-5
    )
    assert result.coords.dtype == np.float32
    assert result.method == "pca"
    assert "explained variance" in result.describe()


def test_umap_keeps_clusters_and_neighbours(blobs):
    from sklearn.neighbors import NearestNeighbors

    from smallbert_viz.analysis import neighbor_preservation

    x, labels = blobs
    result = project(x, seed=0, cache="off")
    assert isinstance(result, Projection)
    assert result.coords.shape == (300, 2) and result.coords.dtype == np.float32
    idx = NearestNeighbors(n_neighbors=10).fit(result.coords).kneighbors()[1]
    assert (labels[idx] == labels[:, None]).mean() > 0.99
    random_layout = np.random.default_rng(0).normal(size=(300, 2))
    ours = neighbor_preservation(x, result.coords)
    assert ours > 0.3
    assert ours > 5 * neighbor_preservation(x, random_layout)


def test_umap_params_and_describe(blobs):
    x, _ = blobs
    result = project(
        x,
        n_components=3,
        n_neighbors=10,
        min_dist=0.5,
        seed=3,
        n_epochs=50,
        metric="euclidean",
        cache="off",
    )
    assert result.coords.shape == (300, 3)
    p = result.params
    assert (p["n_neighbors"], p["min_dist"], p["seed"], p["n_epochs"], p["metric"]) == (
        10,
        0.5,
        3,
        50,
        "euclidean",
    )
    assert p["library"].startswith("umap-learn ")
    assert "place_epochs" not in p  # full fits only: their cache keys stay as they were
    text = result.describe()
    assert "UMAP of 300 points" in text and "seed=3" in text and "n_neighbors=10" in text
    unseeded = project(x, n_epochs=50, cache="off")
    assert unseeded.params["seed"] is None and "not bit-reproducible" in unseeded.describe()


def test_same_seed_same_layout(blobs):
    x, _ = blobs
    a = project(x, seed=11, n_epochs=60, cache="off")
    b = project(x, seed=11, n_epochs=60, cache="off")
    np.testing.assert_array_equal(a.coords, b.coords)


@pytest.mark.parametrize("seed", [3, None])
def test_umap_learn_runs_without_warnings_or_filter_changes_in_a_worker_thread(
    blobs, seed, monkeypatch
):
    # 300 rows: umap-learn itself fits (not the port). Widgets project in a worker thread, where
    # a warnings.catch_warnings would race with the user's own (it swaps the process-wide
    # filter list): our code may enter none there (scikit-learn's, inside umap-learn, still
    # does), and no warning may come out.
    import sys
    import threading
    import warnings

    entered = []

    class Recording(warnings.catch_warnings):
        def __enter__(self):
            caller = sys._getframe(1).f_code.co_filename
            entered.append((threading.current_thread().name, caller))
            return super().__enter__()

    x, _ = blobs
    out = {}

    def work():
        out["projection"] = project(x, seed=seed, n_epochs=30, cache="off")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filters = list(warnings.filters)
        monkeypatch.setattr(warnings, "catch_warnings", Recording)
        thread = threading.Thread(target=work, name="worker")
        thread.start()
        thread.join(300)
        monkeypatch.undo()
        assert list(warnings.filters) == filters
    assert out["projection"].params["umap_code"] == "umap-learn"
    assert [str(w.message) for w in caught] == []
    package = Path(projection_module.__file__).resolve().parents[1]
    ours = [(thread, f) for thread, f in entered if Path(f).resolve().is_relative_to(package)]
    assert [thread for thread, _ in ours if thread == "worker"] == [], ours


def test_small_data_truncates_neighbourhood():
    x = np.random.default_rng(0).normal(size=(8, 5))
    result = project(x, seed=0, n_epochs=20, cache="off")
    assert result.coords.shape == (8, 2)
    assert result.params["n_neighbors"] == 7


def test_memory_cache_returns_without_recomputing(blobs, count_computes):
    x, _ = blobs
    first = project(x, method="pca")
    second = project(x.copy(), method="pca")  # same content, different object
    assert count_computes == ["pca"]
    assert second is first
    project(x, method="pca", n_components=3)  # other parameters
    shifted = x.copy()
    shifted[0, 0] += 1.0  # other content
    project(shifted, method="pca")
    project(x.astype(np.float64), method="pca")  # other dtype
    assert len(count_computes) == 4
    project(x, method="pca", cache="off")
    assert len(count_computes) == 5


def test_defaults_and_explicit_defaults_share_an_entry(blobs, count_computes):
    x, _ = blobs
    project(x, n_epochs=30, seed=1)
    project(x, n_epochs=30, seed=1, n_neighbors=15, min_dist=0.1, metric="cosine")
    assert count_computes == ["umap"]


def test_result_is_read_only(blobs):
    result = project(blobs[0], method="pca")
    with pytest.raises(ValueError):
        result.coords[0, 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.method = "umap"


def test_disk_cache_round_trip(blobs, tmp_path, count_computes):
    x, _ = blobs
    first = project(x, seed=2, n_epochs=40, cache="disk", cache_dir=tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"  # no temporary files left behind
    clear_projection_cache()  # as after a kernel restart
    second = project(x, seed=2, n_epochs=40, cache="disk", cache_dir=tmp_path)
    assert count_computes == ["umap"]
    np.testing.assert_array_equal(second.coords, first.coords)
    assert second.params == first.params


def test_disk_cache_pca_keeps_explained_variance(blobs, tmp_path):
    x, _ = blobs
    first = project(x, method="pca", cache="disk", cache_dir=tmp_path)
    clear_projection_cache()
    second = project(x, method="pca", cache="disk", cache_dir=tmp_path)
    np.testing.assert_array_equal(second.explained_variance_ratio, first.explained_variance_ratio)


def test_disk_cache_directory_from_environment(blobs, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "envcache"))
    project(blobs[0], method="pca", cache="disk")
    assert len(list((tmp_path / "envcache" / "projections").glob("*.npz"))) == 1


@pytest.mark.parametrize("damage", ["garbage", "truncate", "empty", "wrong_shape"])
def test_corrupt_cache_file_is_ignored_and_replaced(blobs, tmp_path, count_computes, damage):
    x, _ = blobs
    first = project(x, method="pca", cache="disk", cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.npz")
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a numpy file at all")
    elif damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        key = path.stem
        from smallbert_viz.analysis import _cache

        _cache.disk_save(tmp_path, key, {"coords": np.zeros((5, 2), np.float32)}, {})
    clear_projection_cache()
    again = project(x, method="pca", cache="disk", cache_dir=tmp_path)
    assert count_computes == ["pca", "pca"]
    np.testing.assert_allclose(again.coords, first.coords)
    clear_projection_cache()
    project(x, method="pca", cache="disk", cache_dir=tmp_path)  # the file was rewritten
    assert len(count_computes) == 2
    assert disk_path(tmp_path, path.stem).is_file()


def test_unwritable_cache_dir_warns_and_still_returns(blobs, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.warns(RuntimeWarning, match="projection cache"):
        result = project(blobs[0], method="pca", cache="disk", cache_dir=blocker / "sub")
    assert result.coords.shape == (300, 2)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"method": "tsne"}, ValueError, "'method'.*'umap', 'pca'"),
        ({"cache": "yes"}, ValueError, "'cache'"),
        ({"n_components": 4}, ValueError, r"'n_components'.*\[2, 3\]"),
        ({"method": "pca", "n_components": 33}, ValueError, r"'n_components'.*\[1, 32\]"),
        ({"random_state": 1}, TypeError, "Use seed="),
        ({"n_neighbours": 5}, TypeError, "'n_neighbors'"),
        ({"method": "pca", "seed": 1}, TypeError, "apply to method='umap'"),
        ({"metric": "dot"}, ValueError, "'metric'.*'cosine', 'euclidean'"),
        ({"min_dist": -1}, ValueError, "'min_dist'"),
        ({"min_dist": 1.5}, ValueError, "'min_dist'"),  # umap-learn: at most its spread, 1
        ({"seed": "x"}, TypeError, "'seed'"),
        ({"init": "tsne"}, ValueError, "'init'"),
    ],
)
def test_bad_parameters(blobs, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        project(blobs[0], **kwargs)


@pytest.mark.parametrize(
    ("data", "kwargs", "match"),
    [
        (np.ones((3, 4)), {}, "at least 4"),
        (np.ones((0, 4)), {"method": "pca"}, "at least 1 row"),
        (np.ones(4), {}, "2-D"),
        (np.array([[np.nan, 1.0]] * 5), {"method": "pca"}, "NaN"),
    ],
)
def test_bad_input(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        project(data, **kwargs)


# ---- scale: given neighbours, sampled fit, preservation -------------------------------------


def test_asarray_gives_the_coordinates(blobs):
    result = project(blobs[0], method="pca")
    arr = np.asarray(result)
    assert arr.shape == (300, 2)
    np.testing.assert_array_equal(arr, result.coords)
    assert np.asarray(result, dtype=np.float64).dtype == np.float64


def test_preservation_is_recorded_and_matches_the_full_measure(blobs):
    from smallbert_viz.analysis import neighbor_preservation

    x, _ = blobs
    result = project(x, seed=0, n_epochs=60, cache="off")
    assert result.preservation_queries == 300  # all points when there are at most 1,000
    assert result.preservation == pytest.approx(neighbor_preservation(x, result.coords, k=10))
    assert "10-NN preservation" in result.describe() and result.sample_size is None
    pca = project(x, method="pca", cache="off")
    expected = neighbor_preservation(x, pca.coords, k=10, metric="euclidean")
    assert pca.preservation == pytest.approx(expected)


def test_given_neighbors_give_the_same_layout(blobs):
    from smallbert_viz.analysis import nearest_neighbors

    x, _ = blobs
    own = project(x, seed=4, n_epochs=40, cache="off")
    nb = nearest_neighbors(x, k=20)
    given = project(x, seed=4, n_epochs=40, neighbors=nb, cache="off")
    np.testing.assert_array_equal(given.coords, own.coords)
    assert given.params["knn"].startswith("given: 20 neighbours by cosine, exact")


def test_given_neighbors_are_part_of_the_cache_key(blobs, count_computes):
    from smallbert_viz.analysis import nearest_neighbors

    x, _ = blobs
    project(x, seed=1, n_epochs=20)
    project(x, seed=1, n_epochs=20, neighbors=nearest_neighbors(x, k=14))
    project(x, seed=1, n_epochs=20, neighbors=nearest_neighbors(x, k=15))  # another graph
    assert count_computes == ["umap"] * 3


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda x, nn: nn(x[:100], k=14), ValueError, "each of the 300 rows"),
        (lambda x, nn: nn(x, k=5), ValueError, r"at least 14 neighbours.*k=14"),
        (lambda x, nn: nn(x, k=14, metric="euclidean"), ValueError, "metric 'cosine'"),
        (lambda x, nn: nn(x, k=14).indices, TypeError, "must be a Neighbors"),
    ],
)
def test_bad_neighbors(blobs, make, exc, match):
    from smallbert_viz.analysis import nearest_neighbors

    x, _ = blobs
    with pytest.raises(exc, match=match):
        project(x, neighbors=make(x, nearest_neighbors), cache="off")
    with pytest.raises(TypeError, match="apply to method='umap'"):
        project(x, method="pca", neighbors=nearest_neighbors(x, k=14))


@pytest.fixture(scope="module")
def many_blobs():
    rng = np.random.default_rng(11)
    centers = rng.normal(size=(5, 32)) * 4
    labels = rng.integers(0, 5, 1500)
    return (centers[labels] + rng.normal(size=(1500, 32))).astype(np.float32), labels


def test_sampled_fit_places_the_other_points_with_their_cluster(many_blobs):
    from sklearn.neighbors import NearestNeighbors

    x, labels = many_blobs
    result = project(x, seed=0, sample_size=400, n_epochs=80, cache="off")
    assert result.coords.shape == (1500, 2) and np.isfinite(result.coords).all()
    assert result.sample_size == 400 and result.params["sample_size"] == 400
    assert "fitted on a sample of 400" in result.describe()
    assert result.params["place_epochs"] == projection_module.PLACE_EPOCHS
    assert f"{projection_module.PLACE_EPOCHS} epochs of UMAP transform" in result.describe()
    # Placed points sit among their own cluster: nearly all 2-D neighbours share the label.
    idx = NearestNeighbors(n_neighbors=10).fit(result.coords).kneighbors()[1]
    assert (labels[idx] == labels[:, None]).mean() > 0.97
    assert result.preservation_queries == 1000 and result.preservation > 0.05


def _sampled_rows(n, size, seed):
    from smallbert_viz.analysis.neighbors import _sample_rows

    sample = _sample_rows(n, size, seed=seed)
    return sample, np.setdiff1d(np.arange(n), sample)


def test_placement_without_epochs_is_the_weighted_mean_of_nearest_sample_points(
    many_blobs, monkeypatch
):
    """With the transform epochs off, placed rows sit exactly where UMAP's transform starts them:
    the exp(-distance gap)-weighted mean of their 15 nearest sample rows (sklearn's cosine)."""
    from sklearn.neighbors import NearestNeighbors

    x, _ = many_blobs
    monkeypatch.setattr(projection_module, "PLACE_EPOCHS", 0)
    result = project(x, seed=0, sample_size=400, n_epochs=40, cache="off")
    assert not result.params["place_epochs"] and "epochs of UMAP transform" not in result.describe()
    sample, rest = _sampled_rows(len(x), 400, seed=0)
    fitted = result.coords[sample].astype(np.float64)
    dist, idx = NearestNeighbors(n_neighbors=15, metric="cosine").fit(x[sample]).kneighbors(x[rest])
    gap = dist - dist[:, :1]
    w = np.exp(-gap / np.maximum(gap.mean(axis=1, keepdims=True), 1e-12))
    expected = (w[:, :, None] * fitted[idx]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(result.coords[rest], expected, rtol=1e-4, atol=1e-4)


def test_transform_epochs_move_placed_rows_only_and_are_reproducible(many_blobs, monkeypatch):
    x, labels = many_blobs
    refined = project(x, seed=3, sample_size=400, n_epochs=40, cache="off")
    again = project(x, seed=3, sample_size=400, n_epochs=40, cache="off")
    np.testing.assert_array_equal(refined.coords, again.coords)  # seeded: single-threaded SGD
    monkeypatch.setattr(projection_module, "PLACE_EPOCHS", 0)
    start = project(x, seed=3, sample_size=400, n_epochs=40, cache="off")
    sample, rest = _sampled_rows(len(x), 400, seed=3)
    # The sample is held fixed; the placed rows moved from their starting means.
    np.testing.assert_array_equal(refined.coords[sample], start.coords[sample])
    moved = np.linalg.norm(refined.coords[rest] - start.coords[rest], axis=1)
    assert np.median(moved) > 1e-3
    # ...and stayed with their own cluster (the sample's coordinates span the layout).
    centroids = np.stack([refined.coords[sample][labels[sample] == c].mean(0) for c in range(5)])
    nearest = np.linalg.norm(refined.coords[rest][:, None] - centroids, axis=2).argmin(axis=1)
    assert (nearest == labels[rest]).mean() > 0.97


@pytest.mark.slow  # the first approximate search in a session compiles pynndescent
def test_sampling_and_approximate_graph_switch_on_by_size(many_blobs, monkeypatch):
    x, _ = many_blobs
    monkeypatch.setattr(projection_module, "SAMPLE_ABOVE", 1000)
    monkeypatch.setattr(projection_module, "SAMPLE_SIZE", 600)
    monkeypatch.setattr(projection_module, "GRAPH_APPROXIMATE_ABOVE", 500)
    result = project(x, n_epochs=30, cache="off")
    assert result.sample_size == 600 and result.params["knn"] == "approximate"
    assert project(x[:1000], n_epochs=30, cache="off").sample_size is None
    with pytest.raises(ValueError, match="'sample_size'"):
        project(x, sample_size=2, cache="off")


@pytest.mark.slow  # a fresh interpreter compiles UMAP's Numba code
def test_umap_projection_does_not_import_tensorflow_and_caches_umaps_jit(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from smallbert_viz.analysis import project\n"
        "x = np.random.default_rng(0).normal(size=(60, 8))\n"
        "project(x, n_epochs=10, cache='off')\n"
        "import umap\n"
        "print('tensorflow' in sys.modules, umap.ParametricUMAP.__name__, "
        "'umap.parametric_umap' in sys.modules)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["False", "ParametricUMAP", "False"]
    # umap-learn's compiled layout and graph functions were written to Numba's disk cache, so
    # the next process loads them instead of compiling again.
    cached = {p.name.split(".")[0] for p in tmp_path.rglob("*.nbi")}
    assert {"layouts", "umap_"} <= cached, cached


# ---- exact searches through faiss's flat index; provenance of approximate searches ----------


def _numpy_knn(queries, corpus, k, metric, exclude_self=False):
    """Independent reference: every score, then a full sort (no argpartition, no faiss)."""
    q = np.asarray(queries, dtype=np.float64)
    c = np.asarray(corpus, dtype=np.float64)
    if metric == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        c = c / np.linalg.norm(c, axis=1, keepdims=True)
        scores = q @ c.T
    else:
        scores = -np.sqrt(((q[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    if exclude_self:
        np.fill_diagonal(scores, -np.inf)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=1)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_flat_graph_is_the_exact_knn_graph(metric):
    pytest.importorskip("faiss")
    from smallbert_viz.analysis import _projection_backends as backends

    x = np.random.default_rng(5).normal(size=(700, 24)).astype(np.float32)
    graph = backends._exact_graph(x, 14, metric)
    assert graph.library == "faiss flat" and graph.method == "exact"
    ref_i, ref_s = _numpy_knn(x, x, 14, metric, exclude_self=True)
    np.testing.assert_allclose(graph.scores, ref_s, rtol=0, atol=2e-5)
    # Same neighbours wherever the reference order is not a near-tie.
    clear = np.abs(np.diff(ref_s, axis=1)) > 1e-4
    clear = np.hstack([clear, np.ones((700, 1), bool)]) & np.hstack([np.ones((700, 1), bool), clear])
    assert clear.mean() > 0.95
    np.testing.assert_array_equal(graph.indices[clear], ref_i[clear])
    assert not (graph.indices == np.arange(700)[:, None]).any()  # self left out


def test_flat_graph_leaves_self_out_behind_identical_duplicates():
    pytest.importorskip("faiss")
    from smallbert_viz.analysis import _projection_backends as backends

    x = np.random.default_rng(6).normal(size=(200, 8)).astype(np.float32)
    x[10] = x[11] = x[12]  # three identical rows: each must list the two others, never itself
    graph = backends._exact_graph(x, 5, "euclidean")
    for row in (10, 11, 12):
        assert row not in graph.indices[row]
        assert set(graph.indices[row, :2]) == {10, 11, 12} - {row}
        np.testing.assert_array_equal(graph.scores[row, :2], [0.0, 0.0])


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_placement_search_is_exact_against_the_sample(metric, monkeypatch):
    pytest.importorskip("faiss")
    from smallbert_viz.analysis import _projection_backends as backends

    monkeypatch.setattr(backends, "_FLAT_BLOCK", 128)  # several query blocks
    x = np.random.default_rng(8).normal(size=(900, 16)).astype(np.float32)
    sample, rest = _sampled_rows(900, 250, seed=2)
    notes = {}
    idx, scores = backends._sample_neighbors(x, sample, rest, 15, metric, notes)
    ref_i, ref_s = _numpy_knn(x[rest], x[sample], 15, metric)
    np.testing.assert_allclose(scores, ref_s, rtol=0, atol=2e-5)
    assert (idx == ref_i).mean() > 0.99  # all but float near-ties
    assert notes == {}  # exact: nothing measured


def test_faiss_and_numpy_exact_graphs_give_the_same_layout(blobs, monkeypatch):
    pytest.importorskip("faiss")
    from smallbert_viz.analysis import _projection_backends as backends

    x, _ = blobs
    with_faiss = project(x, seed=2, n_epochs=40, cache="off")
    monkeypatch.setattr(backends, "EXACT_WITH_FAISS", False)
    with_numpy = project(x, seed=2, n_epochs=40, cache="off")
    np.testing.assert_array_equal(with_faiss.coords, with_numpy.coords)


def test_approximate_searches_put_their_recall_in_the_provenance(
    many_blobs, monkeypatch, tmp_path
):
    pytest.importorskip("faiss")
    from smallbert_viz.analysis import _projection_backends as backends
    from smallbert_viz.analysis import nearest_neighbors

    x, _ = many_blobs
    monkeypatch.setattr(projection_module, "GRAPH_APPROXIMATE_ABOVE", 500)
    monkeypatch.setattr(backends, "PLACE_EXACT_MAX", 500)
    result = project(x, seed=1, sample_size=700, n_epochs=30, cache="disk", cache_dir=tmp_path)
    p = result.params
    assert p["knn"] == "approximate" and p["knn_library"].startswith("faiss")
    # The recall stated is the graph's: recompute it for the fit sample with the same search.
    sample, _ = _sampled_rows(len(x), 700, seed=1)
    graph = nearest_neighbors(x[sample], k=14, method="approximate")
    assert p["knn_recall"] == pytest.approx(graph.recall, abs=1e-4)
    assert 0.9 <= p["knn_recall"] <= 1.0 and p["knn_recall_queries"] == 700
    assert 0.9 <= p["place_recall"] <= 1.0 and p["place_recall_queries"] == 800
    line = result.describe()
    assert "neighbour graph approximate (faiss" in line
    assert f"recall {p['knn_recall']:.3f} on 700 points" in line
    assert f"recall {p['place_recall']:.3f} on 800 points" in line
    assert "knn_recall=" not in line  # said in words, not as a parameter
    clear_projection_cache()
    again = project(x, seed=1, sample_size=700, n_epochs=30, cache="disk", cache_dir=tmp_path)
    np.testing.assert_array_equal(again.coords, result.coords)
    assert {k: again.params[k] for k in projection_module.MEASURED_PARAMS} == {
        k: p[k] for k in projection_module.MEASURED_PARAMS
    }


def test_exact_runs_state_no_recall(blobs):
    result = project(blobs[0], seed=0, n_epochs=20, cache="off")
    noted = set(projection_module.MEASURED_PARAMS) & set(result.params)
    assert noted == {"umap_code"}  # which code ran (measured nothing)
    assert "recall" not in result.describe()
