"""The computations behind :func:`smallbert_viz.analysis.project`: PCA, umap-learn (imported
without TensorFlow when possible) on a precomputed neighbour graph, and the placement of the
rows a sampled fit left out. Kept apart from ``projection.py``, which holds the public API,
parameters, caching and provenance.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz.analysis.neighbors import nearest_neighbors, query_neighbors

if TYPE_CHECKING:
    from smallbert_viz.analysis.neighbors import Neighbors


def _pca(x: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    # Eigen-decomposition of the H x H covariance: memory O(H^2) whatever N is.
    x64 = x.astype(np.float64)
    centered = x64 - x64.mean(axis=0)
    cov = centered.T @ centered
    eigvals, eigvecs = np.linalg.eigh(cov)
    order = np.argsort(eigvals)[::-1][:n_components]
    components = eigvecs[:, order].T  # (n_components, H)
    # Deterministic signs (as scikit-learn): the largest loading of each axis is positive.
    signs = np.sign(components[np.arange(n_components), np.abs(components).argmax(axis=1)])
    signs[signs == 0] = 1.0
    components *= signs[:, None]
    total = float(np.clip(eigvals, 0, None).sum())
    ratio = np.clip(eigvals[order], 0, None) / total if total > 0 else np.zeros(n_components)
    return centered @ components.T, ratio


#: Exact searches of :func:`project` (the fit graph up to ``GRAPH_APPROXIMATE_ABOVE`` rows, the
#: placement of the rows a sampled fit left out) use faiss's flat index when faiss imports:
#: the same exact neighbours as a matrix product followed by ``argpartition``, found by
#: faiss's blocked matrix products and heaps (compiled, multi-threaded), without the N x N
#: selection that was most of the search. False: numpy (``nearest_neighbors``).
EXACT_WITH_FAISS = True
# Query rows searched (and, for cosine, unit-normalised) at once by the flat index.
_FLAT_BLOCK = 32_768


def _faiss_or_none() -> Any:
    if not EXACT_WITH_FAISS:
        return None
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _flat_index(faiss: Any, corpus: np.ndarray, metric: str) -> Any:
    """A faiss flat (exhaustive, exact) index of ``corpus``, unit rows for cosine."""
    dim = corpus.shape[1]
    index = faiss.IndexFlatIP(dim) if metric == "cosine" else faiss.IndexFlatL2(dim)
    index.add(_prepared(corpus, metric, "corpus"))
    return index


def _prepared(rows: np.ndarray, metric: str, name: str) -> np.ndarray:
    from smallbert_viz.analysis._input import unit_rows

    rows = np.ascontiguousarray(rows, dtype=np.float32)
    if metric == "cosine":
        rows = np.ascontiguousarray(unit_rows(rows, name, "project"), dtype=np.float32)
    return rows


def _flat_search(
    index: Any,
    corpus: np.ndarray,
    x: np.ndarray,
    rows: np.ndarray | None,
    k: int,
    metric: str,
    exclude_self: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest indexed rows of ``x[rows]`` (all rows of ``x`` when ``rows`` is
    None), searched in blocks so that only a block of query rows is ever copied.

    Scores follow ``nearest_neighbors``: cosine similarity, or negative Euclidean distance
    recomputed from the vectors for the pairs found (the index's squared distances lose
    precision for near-duplicates). ``exclude_self``: ``x`` is the indexed corpus and each row
    leaves itself out (the extra neighbour searched is dropped where the row itself is not
    among the results, e.g. behind identical duplicates).
    """
    n_q = x.shape[0] if rows is None else rows.shape[0]
    width = k + 1 if exclude_self else k
    indices = np.empty((n_q, k), dtype=np.int64)
    scores = np.empty((n_q, k), dtype=np.float32)
    for start in range(0, n_q, _FLAT_BLOCK):
        stop = min(start + _FLAT_BLOCK, n_q)
        block = x[start:stop] if rows is None else x[rows[start:stop]]
        q = _prepared(block, metric, "embeddings")
        got_s, got_i = index.search(q, width)
        got_i = got_i.astype(np.int64)
        if exclude_self:
            drop = got_i == np.arange(start, stop)[:, None]
            drop[~drop.any(axis=1), -1] = True
            keep = ~drop
            got_i = got_i[keep].reshape(stop - start, k)
            got_s = got_s[keep].reshape(stop - start, k)
        if metric == "euclidean":
            diff = q[:, None, :] - corpus[got_i]
            got_s = -np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
            order = np.argsort(-got_s, axis=1, kind="stable")
            got_i = np.take_along_axis(got_i, order, axis=1)
            got_s = np.take_along_axis(got_s, order, axis=1)
        indices[start:stop] = got_i
        scores[start:stop] = got_s
    return indices, scores


def _exact_graph(x: np.ndarray, k: int, metric: str) -> Neighbors:
    """The exact ``k`` nearest neighbours of every row of ``x`` (self excluded)."""
    from smallbert_viz.analysis.neighbors import Neighbors

    faiss = _faiss_or_none()
    if faiss is None:
        return nearest_neighbors(x, k=k, metric=metric, method="exact")
    corpus = _prepared(x, metric, "embeddings")
    index = _flat_index(faiss, corpus, metric)
    indices, scores = _flat_search(index, corpus, corpus, None, k, metric, True)
    return Neighbors(indices=indices, scores=scores, metric=metric, library="faiss flat")


#: Samples up to this many rows are searched exactly (faiss flat) when the other rows are
#: placed; larger samples through an approximate index (``query_neighbors``), whose measured
#: recall goes into the provenance. The exact search costs O(N x sample) multiply-adds.
PLACE_EXACT_MAX = 20_000


def _pair_distances(
    x: np.ndarray, indices: np.ndarray, metric: str
) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each row of ``x`` to its listed neighbours, computed pair by pair in
    float64 (umap-learn's cosine distance ``1 - cos``, or Euclidean), each row re-sorted
    nearest first (stable); ``indices`` re-ordered to match."""
    n, k = indices.shape
    dists = np.empty((n, k), dtype=np.float32)
    step = max(1, 2**22 // max(1, k * x.shape[1]))  # about 32 MB of float64 neighbour rows
    for start in range(0, n, step):
        stop = min(start + step, n)
        q = x[start:stop].astype(np.float64)
        c = x[indices[start:stop]].astype(np.float64)
        if metric == "cosine":
            q /= np.linalg.norm(q, axis=1, keepdims=True)
            c /= np.linalg.norm(c, axis=2, keepdims=True)
            d = np.maximum(1.0 - np.einsum("ij,ikj->ik", q, c), 0.0)
        else:
            diff = c - q[:, None, :]
            d = np.sqrt(np.einsum("ikj,ikj->ik", diff, diff))
        dists[start:stop] = d
    order = np.argsort(dists, axis=1, kind="stable")
    return np.take_along_axis(indices, order, axis=1), np.take_along_axis(dists, order, axis=1)


def _sample_neighbors(
    x: np.ndarray,
    sample: np.ndarray,
    rest: np.ndarray,
    k: int,
    metric: str,
    notes: dict[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest sample rows of each row ``x[rest]`` (indices into ``sample``): exact
    up to :data:`PLACE_EXACT_MAX` sample rows, else approximate (its recall put in ``notes``).
    """
    if sample.size > PLACE_EXACT_MAX:
        nb = query_neighbors(x[rest], x[sample], k=k, metric=metric, method="approximate")
        if nb.method == "approximate" and notes is not None:
            notes["place_recall"] = round(float(nb.recall), 4)
            notes["place_recall_queries"] = int(nb.recall_queries)
        return nb.indices, nb.scores
    faiss = _faiss_or_none()
    if faiss is None:
        nb = query_neighbors(x[rest], x[sample], k=k, metric=metric, method="exact")
        return nb.indices, nb.scores
    corpus = _prepared(x[sample], metric, "embeddings")
    index = _flat_index(faiss, corpus, metric)
    return _flat_search(index, corpus, x, rest, k, metric, False)


def _place(
    x: np.ndarray,
    sample: np.ndarray,
    rest: np.ndarray,
    fitted: np.ndarray,
    p: dict[str, Any],
    notes: dict[str, Any] | None = None,
) -> np.ndarray:
    """Place rows ``x[rest]`` a sampled fit of ``x[sample]`` left out: initial positions, then
    UMAP's ``transform`` epochs.

    Each row starts at the weighted mean of its ``n_neighbors`` nearest sample rows'
    coordinates (weights fall off exponentially with distance beyond the nearest one, on the
    scale of the row's own neighbourhood: the initial placement umap-learn's ``transform``
    uses), then ``p["place_epochs"]`` epochs of UMAP's layout optimisation pull it towards its
    sample neighbours and push it from random sample points, the sample held fixed (what
    ``UMAP.transform`` does; it is not available here because the fit used a precomputed graph).
    Without those epochs placed rows collapse onto the means and lose their own neighbourhoods.
    """
    k = p["n_neighbors"]
    indices, scores = _sample_neighbors(x, sample, rest, k, p["metric"], notes)
    dists = np.maximum(1.0 - scores, 0.0) if p["metric"] == "cosine" else -scores
    gap = dists - dists[:, :1]
    scale = np.maximum(gap.mean(axis=1, keepdims=True), 1e-12)
    weights = np.exp(-gap / scale)
    weights /= weights.sum(axis=1, keepdims=True)
    placed = np.einsum("ij,ijc->ic", weights, fitted[indices]).astype(np.float32)
    if p.get("place_epochs"):
        placed = _refine(placed, fitted, indices, dists.astype(np.float32), p)
    return placed


def _refine(
    placed: np.ndarray,
    fitted: np.ndarray,
    indices: np.ndarray,
    dists: np.ndarray,
    p: dict[str, Any],
) -> np.ndarray:
    """umap-learn's ``transform`` optimisation of new points against a fixed embedding (run
    from :mod:`._umap_port` where it holds umap-learn's code, else by umap-learn)."""
    import scipy.sparse

    if _port_version(p):
        from smallbert_viz.analysis import _umap_port as umap_

        a, b = umap_.ab_params(p["min_dist"])
    else:
        umap_ = _import_umap().umap_
        a, b = umap_.find_ab_params(1.0, p["min_dist"])
    m = placed.shape[0]
    n_epochs = int(p["place_epochs"])
    sigmas, rhos = umap_.smooth_knn_dist(dists, float(indices.shape[1]), local_connectivity=0.0)
    rows, cols, vals = umap_.compute_membership_strengths(
        indices, dists, sigmas, rhos, bipartite=True
    )[:3]
    graph = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(m, fitted.shape[0]))
    graph.data[graph.data < graph.data.max() / float(n_epochs)] = 0.0
    graph.eliminate_zeros()
    epochs_per_sample = umap_.make_epochs_per_sample(graph.data, n_epochs)
    random = np.random.RandomState(p["seed"])
    rng_state = random.randint(umap_.INT32_MIN, umap_.INT32_MAX, 3).astype(np.int64)
    head = np.ascontiguousarray(placed, dtype=np.float32)
    out = umap_.optimize_layout_euclidean(
        head,
        np.ascontiguousarray(fitted, dtype=np.float32),
        graph.row,
        graph.col,
        n_epochs,
        fitted.shape[0],
        epochs_per_sample,
        a,
        b,
        rng_state,
        1.0,
        1.0 / 4.0,  # umap-learn's transform starts at a quarter of the fit's learning rate
        5.0,
        p["seed"] is None,  # parallel unless a seed asks for a reproducible layout
    )
    return np.asarray(out, dtype=np.float32)


_umap_import_lock = threading.Lock()


def _import_umap() -> Any:
    """``import umap``, without importing TensorFlow when it is not loaded yet.

    umap-learn's package ``__init__`` imports ``umap.parametric_umap``, which imports TensorFlow
    for ParametricUMAP (never used here): in a fresh process that is about half of umap's import
    time. When TensorFlow is not loaded, a stand-in ``umap.parametric_umap`` is in
    ``sys.modules`` only while umap itself is imported; its two names import the real module on
    first call, so ``umap.ParametricUMAP(...)`` still works for anyone who wants it. (Only
    ``isinstance(obj, umap.ParametricUMAP)`` differs: use ``umap.parametric_umap.ParametricUMAP``.)
    """
    import importlib
    import sys
    import types

    with _umap_import_lock:
        if "umap" in sys.modules or "tensorflow" in sys.modules:
            return importlib.import_module("umap")
        name = "umap.parametric_umap"

        def deferred(attr: str) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                return getattr(importlib.import_module(name), attr)(*args, **kwargs)

            call.__name__ = call.__qualname__ = attr
            return call

        stub = types.ModuleType(name, "Loaded on first use (smallbert_viz defers TensorFlow).")
        stub.ParametricUMAP = deferred("ParametricUMAP")
        stub.load_ParametricUMAP = deferred("load_ParametricUMAP")
        sys.modules[name] = stub
        try:
            return importlib.import_module("umap")
        finally:
            if sys.modules.get(name) is stub:
                del sys.modules[name]
            umap_module = sys.modules.get("umap")
            if umap_module is not None and getattr(umap_module, "parametric_umap", None) is stub:
                delattr(umap_module, "parametric_umap")


def _try_import_umap() -> None:
    """:func:`_import_umap` for a background thread; a failure is raised again by the caller."""
    try:
        _import_umap()
    except Exception:  # noqa: BLE001 - _umap imports again in its own thread and reports it
        pass


#: Keep umap-learn's Numba machine code on disk between processes (see :func:`_cache_umap_jit`).
CACHE_UMAP_JIT = True


def _cache_umap_jit() -> int:
    """Let Numba keep umap-learn's compiled functions on disk; returns how many were switched.

    umap-learn compiles its Numba functions (graph weights, layout epochs) in every new process
    and marks almost none ``cache=True``; that compilation is most of a fresh kernel's first
    ``project()`` of 10,000 points. Enabling Numba's own on-disk cache for them makes every later
    process load the machine code instead (the first process on a machine still compiles: a cold
    CI run pays it). Numba stores it next to umap's sources, or under ``NUMBA_CACHE_DIR``, and
    recompiles when umap's source files change. Set :data:`CACHE_UMAP_JIT` to False to opt out.
    """
    import sys
    from collections import Counter

    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    dispatchers = {
        id(obj): obj
        for name, module in list(sys.modules.items())
        if (name == "umap" or name.startswith("umap.")) and module is not None
        for obj in list(vars(module).values())
        if isinstance(obj, Dispatcher)
    }.values()
    # Numba files the cache by the function's name, not its compile flags: two builds of one
    # function (umap-learn's serial and parallel layout epochs) would load each other's code,
    # and a seeded layout could run the parallel, non-reproducible one. Of such a pair only the
    # serial build (what a seed runs; the views use one) is cached; the parallel one compiles.
    builds = Counter(id(obj.py_func) for obj in dispatchers)
    switched = 0
    for obj in dispatchers:
        shared = builds[id(obj.py_func)] > 1
        if shared and obj.targetoptions.get("parallel", False) is not False:
            continue
        if not isinstance(obj._cache, NullCache):
            continue
        try:
            obj.enable_caching()
        except Exception:  # noqa: BLE001 - e.g. no writable cache location: stay JIT
            continue
        switched += 1
    return switched


#: Import umap-learn in a background thread while the neighbour graph is computed.
IMPORT_WHILE_SEARCHING = True
#: Fit with :mod:`._umap_port` (umap-learn's own fit code, copied; the same layout without
#: importing umap-learn) wherever it applies; False: always call umap-learn.
USE_UMAP_PORT = True


def _port_version(p: dict[str, Any]) -> bool:
    """Whether :mod:`._umap_port` is on and holds the code of the umap-learn installed (its
    version as read when the parameters were resolved; the port needs no umap-learn at all)."""
    from smallbert_viz.analysis import _umap_port_rules as rules

    versions = (rules.UMAP_VERSION, rules.UMAP_ABSENT)
    return USE_UMAP_PORT and p["library"] in (f"umap-learn {v}" for v in versions)


def _port_applies(n: int, p: dict[str, Any]) -> bool:
    """Whether :func:`._umap_port.fit` can stand for umap-learn (as far as known before the
    graph: it may still decline a graph that falls apart into pieces)."""
    from smallbert_viz.analysis import _umap_port_rules as rules

    return _port_version(p) and n >= rules.PRECOMPUTED_MIN_ROWS and p["init"] in rules.INITS


def _pieces(indices: np.ndarray) -> int:
    """Connected components of the neighbour graph ``indices`` (edges in either direction)."""
    import scipy.sparse
    import scipy.sparse.csgraph

    n, k = indices.shape
    rows = np.repeat(np.arange(n), k)
    graph = scipy.sparse.coo_matrix((np.ones(n * k, dtype=np.int8), (rows, indices.ravel())),
                                    shape=(n, n))  # fmt: skip
    return int(scipy.sparse.csgraph.connected_components(graph, connection="weak")[0])


def _import_port() -> None:
    """Import :mod:`._umap_port` (Numba, scipy.sparse) in a background thread."""
    try:
        from smallbert_viz.analysis import _umap_port  # noqa: F401
    except Exception:  # noqa: BLE001 - imported again in the caller's thread, which reports it
        pass


def _umap(
    x: np.ndarray,
    p: dict[str, Any],
    neighbors: Neighbors | None,
    notes: dict[str, Any] | None = None,
) -> np.ndarray:
    """UMAP coordinates of ``x``; an approximate neighbour graph's measured recall goes into
    ``notes`` (``knn_recall``, ``knn_recall_queries``, ``knn_library``)."""
    n = x.shape[0]
    k = p["n_neighbors"]
    importer = None
    port = _port_applies(n, p)
    if neighbors is None:
        # In a fresh process importing umap-learn (scikit-learn, scipy, Numba, pynndescent)
        # or the port (Numba, scipy.sparse) is mostly Python holding the GIL, the neighbour
        # search mostly BLAS and sorting without it: overlapping the two shortens a fresh
        # kernel's first projection.
        target = _import_port if port else _try_import_umap
        if IMPORT_WHILE_SEARCHING and ("umap" not in sys.modules or port):
            importer = threading.Thread(target=target, daemon=True)
            importer.start()
        if p["knn"] == "exact":
            neighbors = _exact_graph(x, k - 1, p["metric"])
        else:
            neighbors = nearest_neighbors(x, k=k - 1, metric=p["metric"], method="approximate")
            if notes is not None:
                notes["knn_recall"] = round(float(neighbors.recall), 4)
                notes["knn_recall_queries"] = int(neighbors.recall_queries)
                notes["knn_library"] = neighbors.library
    if port and p["init"] == "spectral" and _pieces(neighbors.indices[:, : k - 1]) > 1:
        # A spectral start of a graph in pieces is umap-learn's multi-component layout, which
        # the port does not hold: import umap-learn now, while the distances are computed.
        port = False
        if IMPORT_WHILE_SEARCHING and "umap" not in sys.modules:
            importer = threading.Thread(target=_try_import_umap, daemon=True)
            importer.start()
    # UMAP expects each point first among its own neighbours, at distance 0. The distances are
    # recomputed for the pairs in one way whatever found them (faiss, numpy, a given graph), so
    # the same graph gives the same layout. (Still while umap-learn is being imported.)
    pairs, dists = _pair_distances(x, neighbors.indices[:, : k - 1], p["metric"])
    if importer is not None:
        importer.join()
    indices = np.hstack([np.arange(n)[:, None], pairs])
    dists = np.hstack([np.zeros((n, 1), dtype=np.float32), dists]).astype(np.float32)
    if port:
        from smallbert_viz.analysis import _umap_port

        coords = _umap_port.fit(
            indices, dists, n_components=p["n_components"], n_epochs=p["n_epochs"],
            min_dist=p["min_dist"], metric=p["metric"], init=p["init"], seed=p["seed"],
        )  # fmt: skip
        if coords is not None:
            if notes is not None:
                notes["umap_code"] = "port"
            return _checked(coords, n, p)
    try:
        umap = _import_umap()
    except ImportError as exc:  # pragma: no cover - umap-learn is a dependency
        raise ImportError("method='umap' needs umap-learn: pip install umap-learn==0.5.12") from exc
    if CACHE_UMAP_JIT:
        _cache_umap_jit()
    if notes is not None:
        notes["umap_code"] = "umap-learn"

    seed = p["seed"]
    reducer = umap.UMAP(
        n_neighbors=k,
        n_components=p["n_components"],
        min_dist=p["min_dist"],
        metric=p["metric"],
        n_epochs=p["n_epochs"],
        init=p["init"],
        random_state=seed,
        # A seed forces umap-learn to one thread; say so rather than be warned about it.
        n_jobs=1 if seed is not None else -1,
        precomputed_knn=(indices, dists, _no_search_index()),
    )
    coords = reducer.fit_transform(x)
    return _checked(coords, n, p)


def _no_search_index() -> Any:
    """An empty ``pynndescent.NNDescent`` for ``UMAP(precomputed_knn=(indices, dists, index))``.

    Given no index, umap-learn warns that ``transform`` will be unavailable; the reducer here is
    dropped after ``fit_transform`` and never transforms. Silencing that warning would take
    ``warnings.catch_warnings``, which changes the process-wide filters and is unsafe here: a
    widget projects in a worker thread beside the user's cell, and two threads entering and
    leaving it interleaved can leave one's filters (say, "ignore everything") installed for good.
    """
    from pynndescent import NNDescent

    class _NoSearchIndex(NNDescent):
        def __init__(self) -> None:  # holds nothing: umap-learn only stores it
            pass

    return _NoSearchIndex()


def _checked(coords: np.ndarray, n: int, p: dict[str, Any]) -> np.ndarray:
    if not np.isfinite(coords).all() or coords.shape != (n, p["n_components"]):
        raise RuntimeError(f"UMAP returned invalid coordinates of shape {coords.shape}.")
    return coords
