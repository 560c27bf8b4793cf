"""The umap-learn port gives umap-learn's own layouts, bit for bit, and steps aside where it
cannot (then project() calls umap-learn)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from smallbert_viz.analysis import _projection_backends as backends
from smallbert_viz.analysis import _umap_port as port
from smallbert_viz.analysis import _umap_port_rules as rules
from smallbert_viz.analysis import project

N = rules.PRECOMPUTED_MIN_ROWS + 404  # umap-learn uses a given graph from 4,096 rows on


@pytest.fixture(scope="module")
def connected():
    """4,500 points along a noisy closed curve in 24-D: one connected neighbour graph."""
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 2 * np.pi, N)
    basis = rng.normal(size=(4, 24))
    x = np.stack([np.cos(t), np.sin(t), np.cos(2 * t), np.sin(3 * t)], axis=1) @ basis
    x += 0.05 * rng.normal(size=x.shape)
    return x.astype(np.float32)


@pytest.fixture(scope="module")
def pieces():
    """4,500 points in 30 far-apart tight clusters: a graph in many pieces."""
    rng = np.random.default_rng(1)
    centers = 20 * rng.normal(size=(30, 24))
    x = centers[rng.integers(0, 30, N)] + 0.1 * rng.normal(size=(N, 24))
    return x.astype(np.float32)


def _graph(x, k=15, metric="cosine"):
    nb = backends._exact_graph(x, k - 1, metric)
    pairs, dists = backends._pair_distances(x, nb.indices, metric)
    n = x.shape[0]
    indices = np.hstack([np.arange(n)[:, None], pairs])
    dists = np.hstack([np.zeros((n, 1), np.float32), dists]).astype(np.float32)
    return indices, dists


def _umap_learn(x, indices, dists, **kw):
    umap = backends._import_umap()
    reducer = umap.UMAP(
        n_neighbors=indices.shape[1], n_components=kw["n_components"], min_dist=kw["min_dist"],
        metric=kw["metric"], n_epochs=kw["n_epochs"], init=kw["init"],
        random_state=kw["seed"], n_jobs=1, precomputed_knn=(indices.copy(), dists.copy(), None),
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reducer.fit_transform(x)


@pytest.mark.parametrize(
    "kw",
    [
        {"n_components": 2, "init": "spectral", "metric": "cosine", "n_epochs": 200, "seed": 42},
        {"n_components": 3, "init": "spectral", "metric": "euclidean", "n_epochs": 30, "seed": 7},
        {"n_components": 2, "init": "random", "metric": "cosine", "n_epochs": 50, "seed": 3},
        {"n_components": 2, "init": "spectral", "metric": "cosine", "n_epochs": 40, "seed": 5,
         "min_dist": 0.3},
    ],
)
def test_same_layout_as_umap_learn_bit_for_bit(connected, kw):
    kw = {"min_dist": 0.1, **kw}
    indices, dists = _graph(connected, metric=kw["metric"])
    ours = port.fit(indices.copy(), dists.copy(), **kw)
    assert ours is not None and ours.dtype == np.float32
    assert ours.shape == (N, kw["n_components"])
    np.testing.assert_array_equal(ours, _umap_learn(connected, indices, dists, **kw))


def test_the_curve_parameters_are_umap_learns():
    umap = backends._import_umap()
    for spread, min_dist in [(1.0, 0.1), (1.0, 0.0), (1.0, 0.5), (2.0, 0.25)]:
        assert port.find_ab_params(spread, min_dist) == umap.umap_.find_ab_params(spread, min_dist)
    assert port.ab_params(0.3) == umap.umap_.find_ab_params(1.0, 0.3)
    import importlib.metadata

    assert importlib.metadata.version("umap-learn") == rules.UMAP_VERSION


def test_it_steps_aside_where_umap_learn_runs_other_code(connected, pieces):
    indices, dists = _graph(connected)
    kw = {"n_components": 2, "n_epochs": 20, "metric": "cosine", "seed": 0}
    assert port.fit(indices, dists, min_dist=0.1, init="pca", **kw) is None
    small = _graph(connected[:1000])
    assert port.fit(*small, min_dist=0.1, init="spectral", **kw) is None  # small-data path
    far = dists.copy()
    far[5, 3] = 2.0  # an opposite vector: umap-learn would drop that edge
    assert port.fit(indices, far, min_dist=0.1, init="spectral", **kw) is None
    split = _graph(pieces)
    assert port.fit(*split, min_dist=0.1, init="spectral", **kw) is None  # many pieces
    assert port.fit(*split, min_dist=0.1, init="random", **kw) is not None


def test_project_uses_the_port_or_umap_learn_and_gives_the_same_layout(connected, pieces):
    a = project(connected, seed=5, n_epochs=40, cache="off", progress=False)
    assert a.params["umap_code"] == "port"
    assert "umap-learn 0.5.12" in a.describe() and "port" in a.describe()
    backends.USE_UMAP_PORT = False
    try:
        b = project(connected, seed=5, n_epochs=40, cache="off", progress=False)
    finally:
        backends.USE_UMAP_PORT = True
    assert b.params["umap_code"] == "umap-learn"
    np.testing.assert_array_equal(a.coords, b.coords)
    # The same cache key: the code that ran is a note, not a parameter.
    assert {k: v for k, v in a.params.items() if k != "umap_code"} == {
        k: v for k, v in b.params.items() if k != "umap_code"
    }
    c = project(pieces, seed=5, n_epochs=40, cache="off", progress=False)
    assert c.params["umap_code"] == "umap-learn"  # many pieces: umap-learn's own layout


def test_a_fresh_projection_imports_neither_umap_learn_nor_scikit_learn(tmp_path, connected):
    np.save(tmp_path / "x.npy", connected)
    code = (
        "import sys, numpy as np\n"
        "from smallbert_viz.analysis import project\n"
        f"p = project(np.load({str(tmp_path / 'x.npy')!r}), n_epochs=20, cache='off',"
        " progress=False)\n"
        "print(p.params['umap_code'], 'umap' in sys.modules, 'sklearn' in sys.modules,"
        " 'tensorflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["port", "False", "False", "False"], out.stderr[-2000:]


def test_a_seeded_fit_never_loads_the_parallel_epochs_from_numbas_disk_cache(tmp_path, connected):
    """Numba files its disk cache by function name, not compile flags: the serial (seeded) and
    the parallel epochs must not share an entry, or a seeded fit after an unseeded one (in any
    earlier process) would run in parallel and not reproducibly."""
    np.save(tmp_path / "x.npy", connected[: rules.PRECOMPUTED_MIN_ROWS + 10])
    code = (
        "import sys, numpy as np\n"
        "from smallbert_viz.analysis import project, _umap_port as port\n"
        f"x = np.load({str(tmp_path / 'x.npy')!r})\n"
        "seed = None if sys.argv[1] == 'none' else int(sys.argv[1])\n"
        "p = project(x, seed=seed, n_epochs=15, cache='off', progress=False)\n"
        "fn = port._epoch_parallel if seed is None else port._epoch_serial\n"
        "np.save(sys.argv[2], p.coords)\n"
        "print(p.params['umap_code'], sum(fn.stats.cache_hits.values()),"
        " sum(fn.stats.cache_misses.values()))\n"
    )
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def run(seed, out):
        done = subprocess.run(
            [sys.executable, "-c", code, seed, str(tmp_path / out)],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
        return done.stdout.split()

    assert run("none", "a.npy") == ["port", "0", "1"]  # the parallel build compiled, stored
    assert run("3", "b.npy") == ["port", "0", "1"]  # the serial one compiled: not loaded
    assert run("3", "c.npy") == ["port", "1", "0"]  # and now loaded from its own entry
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), np.load(tmp_path / "c.npy"))


def test_of_umap_learns_two_builds_of_one_epoch_function_only_the_serial_one_is_cached():
    from numba.core.caching import NullCache

    umap = backends._import_umap()
    backends._cache_umap_jit()
    layouts = umap.layouts
    serial = layouts._nb_optimize_layout_euclidean_single_epoch
    parallel = layouts._nb_optimize_layout_euclidean_single_epoch_parallel
    assert serial.py_func is parallel.py_func  # one function, two builds: one cache entry
    assert isinstance(parallel._cache, NullCache)  # never stored, so never loaded by the other
    assert not isinstance(serial._cache, NullCache)
    assert not isinstance(umap.umap_.smooth_knn_dist._cache, NullCache)  # others are cached


def test_a_sampled_fit_places_its_other_rows_as_umap_learn_does(connected):
    """The placement epochs of a sampled fit (umap-learn's transform optimisation) give the same
    coordinates whether run from the port or by umap-learn."""
    kw = {"seed": 11, "sample_size": 4100, "n_epochs": 20, "cache": "off", "progress": False}
    a = project(connected, **kw)
    backends.USE_UMAP_PORT = False
    try:
        b = project(connected, **kw)
    finally:
        backends.USE_UMAP_PORT = True
    assert a.sample_size == 4100 and a.params["umap_code"] == "port"
    np.testing.assert_array_equal(a.coords, b.coords)
