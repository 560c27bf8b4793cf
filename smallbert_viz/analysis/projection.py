"""2-D / 3-D projections of embeddings: PCA, and UMAP on a precomputed neighbour graph; cached.

UMAP here differs from a plain ``umap.UMAP().fit_transform(X)`` in how the k nearest neighbours
are found: exactly up to :data:`GRAPH_APPROXIMATE_ABOVE` rows (faiss's flat index when faiss is
installed, else :func:`~smallbert_viz.analysis.nearest_neighbors`' chunked matrix products), by an
approximate index beyond (its measured recall in ``params["knn_recall"]``), or taken from a
:class:`~smallbert_viz.analysis.Neighbors` the caller already has (``neighbors=``), so one graph
feeds neighbour lists, the projection and the analyses built on them. The graph is handed to UMAP
as ``precomputed_knn``, which skips umap-learn's own NN-descent and its Numba compilation; the
Numba code umap-learn still compiles (graph weights, layout epochs) is kept in Numba's disk cache,
so only the first process on a machine compiles it (benchmarks/bench_projection.py measures
both). From 4,096 rows, where umap-learn fits on the given graph, the fit runs from
``_umap_port``, a copy of umap-learn's own fit code that needs neither umap-learn nor
scikit-learn (4 s of imports in a fresh process) and gives the same layout bit for bit; where it
does not apply (a graph in several pieces, ``init="pca"``) umap-learn runs.
``params["umap_code"]`` says which ran.

At corpus scale (more than :data:`SAMPLE_ABOVE` rows) UMAP is fitted on a fixed random sample of
:data:`SAMPLE_SIZE` rows and every other row is placed at the similarity-weighted mean of its
nearest sample rows' coordinates (UMAP's own initialisation for new points; the sample searched
exactly up to ``PLACE_EXACT_MAX`` rows, approximately beyond, with the recall in
``params["place_recall"]``), then moved by
:data:`PLACE_EPOCHS` epochs of UMAP's ``transform`` optimisation against the fixed sample, which
keeps time and memory about linear in N. Above :data:`GRAPH_APPROXIMATE_ABOVE` fitted rows the
neighbour graph is approximate (faiss). The result says so (``sample_size``, ``knn``) and carries
the share of 10 nearest neighbours kept, measured on a sample of points (``preservation``):
placed rows keep fewer of their neighbours than fitted ones (about in proportion to the
sample's share of the rows), so at scale that figure is lower than for a full fit.

Reproducibility: ``seed=None`` (the default) lets UMAP optimise the layout on all cores, and
layouts then differ slightly between runs; an integer ``seed`` gives the same layout every time
(given the same neighbour graph: an approximate graph may differ between runs) but umap-learn
then runs single-threaded. Either way the cache returns the stored layout for the same embeddings
and parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from smallbert_viz._validation import check_choice, check_float, check_int
from smallbert_viz.analysis import _cache
from smallbert_viz.analysis._input import as_matrix
from smallbert_viz.analysis._projection_backends import _pca, _place, _umap
from smallbert_viz.analysis._umap_port_rules import UMAP_ABSENT
from smallbert_viz.analysis.neighbors import (
    Neighbors,
    _sample_rows,
    sampled_preservation,
)

Method = Literal["umap", "pca"]
CacheMode = Literal["memory", "disk", "off"]
METHODS: tuple[str, ...] = ("umap", "pca")
CACHE_MODES: tuple[str, ...] = ("memory", "disk", "off")
UMAP_METRICS: tuple[str, ...] = ("cosine", "euclidean")
UMAP_INITS: tuple[str, ...] = ("spectral", "pca", "random")
UMAP_DEFAULTS: dict[str, Any] = {
    "n_neighbors": 15,
    "min_dist": 0.1,
    "metric": "cosine",
    "n_epochs": None,  # 500 up to 5,000 points, else 200
    "init": "spectral",
    "seed": None,
    "sample_size": None,  # None: all rows up to SAMPLE_ABOVE, else SAMPLE_SIZE
}
#: Rows above which UMAP is fitted on a sample and the other rows are placed by neighbours.
SAMPLE_ABOVE = 100_000
#: ``progress=None`` prints a stage line for UMAP from this many points on.
PROGRESS_MIN_ROWS = 5_000
#: Rows UMAP is fitted on above :data:`SAMPLE_ABOVE`.
SAMPLE_SIZE = 50_000
#: Rows above which UMAP's neighbour graph is approximate (faiss, see ``nearest_neighbors``): the
#: exact search's top-k selection is the slowest step of a 50,000-row fit, the index's is not.
GRAPH_APPROXIMATE_ABOVE = 20_000
#: UMAP ``transform`` epochs that refine the placed rows of a sampled fit (umap-learn's own
#: default for more than 10,000 new points).
PLACE_EPOCHS = 30
#: Neighbours per point whose preservation in the layout is measured, and on how many points.
PRESERVATION_K = 10
PRESERVATION_QUERIES = 1_000
# UMAP needs a few points to build a graph and a spectral layout.
UMAP_MIN_ROWS = 4
#: ``Projection.params`` entries that were measured during the computation (recall of the
#: approximate neighbour searches), or say which code ran (``umap_code``: "port" for
#: umap-learn's fit run from ``_umap_port``, "umap-learn" for umap-learn itself; both give the
#: same layout), not chosen: kept out of the cache key, stored with it.
MEASURED_PARAMS: tuple[str, ...] = (
    "knn_recall",
    "knn_recall_queries",
    "knn_library",
    "place_recall",
    "place_recall_queries",
    "umap_code",
)
DEFAULT_UMAP_MIN_ROWS = 10  # below this, views show PCA: UMAP on a handful of points is noise


def default_method(n: int) -> str:
    """The projection the views use for ``n`` sentences: PCA below 10, UMAP from 10 on."""
    return "umap" if n >= DEFAULT_UMAP_MIN_ROWS else "pca"


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class Projection:
    """Low-dimensional coordinates of N embeddings and how they were made.

    Attributes
    ----------
    coords : ndarray of shape (N, n_components), float32
        Read-only (the same array may be shared through the cache).
    method : {"umap", "pca", "given"}
        "given": coordinates computed elsewhere (``coords=`` of the views).
    params : dict
        Every parameter that determined ``coords``, defaults resolved, including ``seed``
        (None for UMAP's parallel, non-reproducible mode) and the library version.
    explained_variance_ratio : ndarray of shape (n_components,), optional
        PCA only: the share of the total variance along each axis.
    sample_size : int, optional
        UMAP fitted on this many rows (the others placed by their nearest sample rows); None
        when fitted on all rows.
    preservation : float, optional
        Mean share of each point's 10 nearest neighbours (in the embedding space, by the
        projection's metric) that are also among its 10 nearest in ``coords``, measured on
        ``preservation_queries`` points (all points up to 1,000).
    preservation_queries : int

    ``np.asarray(projection)`` gives ``coords``.
    """

    coords: np.ndarray
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    explained_variance_ratio: np.ndarray | None = None
    sample_size: int | None = None
    preservation: float | None = None
    preservation_queries: int = 0

    @property
    def n_components(self) -> int:
        return int(self.coords.shape[1])

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.coords, dtype=dtype, copy=True)
        return np.asarray(self.coords, dtype=dtype)

    def describe(self) -> str:
        """One line for figure subtitles and report headers."""
        if self.method == "given":
            source = self.params.get("source", "computed elsewhere")
            return f"Coordinates given for {len(self.coords):,} points ({source})"
        hidden = ("library", "n_samples", "sample_size", "knn_digest", "place_epochs")
        hidden += MEASURED_PARAMS
        shown = {k: v for k, v in self.params.items() if k not in hidden}
        text = ", ".join(f"{k}={v}" for k, v in shown.items())
        head = f"{self.method.upper()} of {self.params.get('n_samples', len(self.coords))} points"
        lib = self.params.get("library")
        if lib:
            port = self.params.get("umap_code") == "port"
            head += f" ({lib}, fit by smallbert_viz's port of its code)" if port else f" ({lib})"
        line = f"{head}: {text}"
        if self.method == "umap" and self.params.get("seed") is None:
            line += " (no seed: parallel, not bit-reproducible)"
        if self.sample_size is not None:
            line += (
                f"; fitted on a sample of {self.sample_size:,}, the other points placed by "
                "their nearest sample points"
            )
            if self.params.get("place_epochs"):
                line += f" and {self.params['place_epochs']} epochs of UMAP transform"
            if self.params.get("place_recall") is not None:
                line += (
                    f" (nearest sample points found approximately, recall "
                    f"{self.params['place_recall']:.3f} on "
                    f"{self.params['place_recall_queries']:,} points)"
                )
        if self.params.get("knn_recall") is not None:
            line += (
                f"; neighbour graph approximate ({self.params.get('knn_library', '')}), "
                f"recall {self.params['knn_recall']:.3f} on "
                f"{self.params['knn_recall_queries']:,} points"
            )
        if self.explained_variance_ratio is not None:
            pct = ", ".join(f"{100 * r:.1f}%" for r in self.explained_variance_ratio)
            line += f"; explained variance {pct}"
        if self.preservation is not None:
            line += (
                f"; {PRESERVATION_K}-NN preservation {self.preservation:.3f} on "
                f"{self.preservation_queries:,} points"
            )
        return line


def project(
    embeddings: np.ndarray,
    *,
    method: Method = "umap",
    n_components: int = 2,
    neighbors: Neighbors | None = None,
    cache: CacheMode | None = None,
    cache_dir: str | Path | None = None,
    progress: bool | None = None,
    **params: Any,
) -> Projection:
    """Project embeddings to 2 or 3 dimensions with UMAP or PCA; results are cached.

    Parameters
    ----------
    embeddings : array-like of shape (N, n_features)
    method : {"umap", "pca", "given"}
        "given": coordinates computed elsewhere (``coords=`` of the views).
    n_components : int
        2 or 3 for UMAP; 1 to min(N, n_features) for PCA.
    neighbors : Neighbors, optional
        UMAP only: the neighbour graph of these same embeddings (from
        :func:`~smallbert_viz.analysis.nearest_neighbors`, self excluded, same metric, at least
        ``n_neighbors - 1`` per row), used instead of computing one. Not used when UMAP is
        fitted on a sample (the sample needs its own graph).
    cache : {"disk", "memory", "off"}, optional
        ``"disk"`` keeps results in memory and in ``cache_dir``, so re-running a notebook, even
        after a kernel restart, does not recompute; ``"memory"`` only for this Python session.
        Default: ``"disk"`` for UMAP, ``"memory"`` for PCA (fast to recompute).
    cache_dir : str or Path, optional
        Default ``$SMALLBERT_VIZ_CACHE_DIR/projections`` or ``~/.cache/smallbert_viz/projections``.
    progress : bool, optional
        Print a line when the projection starts and its time when it ends (cached results are
        returned silently); None: UMAP from :data:`PROGRESS_MIN_ROWS` points on.
    **params
        UMAP only: ``n_neighbors`` (15), ``min_dist`` (0.1), ``metric`` ("cosine" or
        "euclidean"), ``n_epochs`` (None: 500 up to 5,000 points, else 200), ``init``
        ("spectral", "pca", "random"), ``seed`` (None, the default: UMAP optimises on all
        cores and layouts differ slightly between runs; an int: reproducible, single-threaded),
        ``sample_size`` (None: all rows up to :data:`SAMPLE_ABOVE` rows, else
        :data:`SAMPLE_SIZE`; an int below N fits UMAP on that many random rows and places the
        others by their nearest sample rows, refined by :data:`PLACE_EPOCHS` epochs of UMAP's
        ``transform``).

    Returns
    -------
    Projection
        ``coords`` of shape (N, n_components), float32.
    """
    owner = "project"
    method = check_choice("method", method, METHODS, owner)
    if cache is None:  # UMAP is worth keeping across kernel restarts; PCA is recomputed at once
        cache = "disk" if method == "umap" else "memory"
    cache = check_choice("cache", cache, CACHE_MODES, owner)
    x = as_matrix(embeddings, "embeddings", owner)
    n, h = x.shape
    if method == "umap":
        resolved = _resolve_umap_params(n, n_components, params, owner)
        if neighbors is not None and resolved["sample_size"] is None:
            _check_neighbors(neighbors, n, resolved, owner)
            resolved["knn"] = f"given: {neighbors.describe()}"
            resolved["knn_digest"] = _cache.content_key(neighbors.indices, {})
        else:
            neighbors = None
    else:
        if neighbors is not None:
            raise TypeError(
                f"{owner}(method='pca') takes no 'neighbors'; they apply to method='umap'."
            )
        resolved = _resolve_pca_params(n, h, n_components, params, owner)

    # UMAP entries cached before the port fitted its curve parameters (it took them from a table
    # fitted on another machine) may differ from today's layouts: a new key leaves them behind.
    extra = {"curve": "fitted"} if method == "umap" else {}
    key = _cache.content_key(np.asarray(embeddings), {"method": method, **resolved, **extra})
    if cache != "off":
        hit = _cache.memory_get(key)
        if hit is not None:
            return hit
    directory = None
    if cache == "disk":
        directory = Path(cache_dir).expanduser() if cache_dir else _cache.default_cache_dir()
        stored = _cache.disk_load(directory, key)
        if stored is not None:
            result = _from_stored(stored, method, n, resolved)
            if result is not None:
                _cache.memory_put(key, result)
                return result

    from smallbert_viz.progress import stage_line

    show = (n >= PROGRESS_MIN_ROWS and method == "umap") if progress is None else bool(progress)
    notes: dict[str, Any] = {}  # measured, so not part of the cache key
    with stage_line(f"projecting {n:,} points with {method.upper()}", show=show):
        coords, evr = _compute(x, method, resolved, neighbors, notes)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    coords.flags.writeable = False
    if evr is not None:
        evr = np.asarray(evr, dtype=np.float64)
        evr.flags.writeable = False
    resolved.update(notes)
    kept, queries = _preservation(x, coords, resolved)
    result = Projection(
        coords=coords,
        method=method,
        params=dict(resolved),
        explained_variance_ratio=evr,
        sample_size=resolved.get("sample_size"),
        preservation=kept,
        preservation_queries=queries,
    )
    if cache != "off":
        _cache.memory_put(key, result)
    if directory is not None:
        arrays = {"coords": coords}
        if evr is not None:
            arrays["explained_variance_ratio"] = evr
        if kept is not None:
            arrays["preservation"] = np.array([kept, queries], dtype=np.float64)
        _cache.disk_save(directory, key, arrays, {"method": method, "params": resolved})
    return result


def _preservation(
    x: np.ndarray, coords: np.ndarray, resolved: dict[str, Any]
) -> tuple[float | None, int]:
    if x.shape[0] < 3:
        return None, 0
    metric = resolved.get("metric", "euclidean")  # PCA preserves Euclidean geometry
    if metric == "cosine" and not np.linalg.norm(x, axis=1).all():
        metric = "euclidean"  # all-zero rows have no cosine neighbours
    return sampled_preservation(
        x, coords, k=PRESERVATION_K, metric=metric, sample_size=PRESERVATION_QUERIES
    )


def _check_neighbors(neighbors: Any, n: int, resolved: dict[str, Any], owner: str) -> None:
    """Refuse a graph that does not belong to these embeddings or is too short for UMAP."""
    if not isinstance(neighbors, Neighbors):
        raise TypeError(
            f"The 'neighbors' parameter of {owner} must be a Neighbors from "
            f"nearest_neighbors(embeddings). Got {type(neighbors).__name__} instead."
        )
    need = resolved["n_neighbors"] - 1
    if neighbors.indices.shape[0] != n or neighbors.k < need:
        raise ValueError(
            f"The 'neighbors' parameter of {owner} must list at least {need} neighbours "
            f"(n_neighbors - 1) of each of the {n} rows. Got shape {neighbors.indices.shape} "
            f"instead; compute it with nearest_neighbors(embeddings, k={need})."
        )
    if neighbors.metric != resolved["metric"]:
        raise ValueError(
            f"The 'neighbors' parameter of {owner} must use the projection's metric "
            f"{resolved['metric']!r}. Got neighbours by {neighbors.metric!r} instead; pass "
            f"metric={neighbors.metric!r} or recompute the neighbours."
        )


def clear_projection_cache() -> None:
    """Forget the projections cached in memory (files on disk are left alone)."""
    _cache.clear_memory()


# ---- parameters -----------------------------------------------------------------------------


def _resolve_umap_params(
    n: int, n_components: int, params: dict[str, Any], owner: str
) -> dict[str, Any]:
    import importlib.metadata

    unknown = sorted(set(params) - set(UMAP_DEFAULTS))
    if unknown:
        hint = " Use seed= instead of random_state=." if "random_state" in unknown else ""
        valid = ", ".join(repr(k) for k in UMAP_DEFAULTS)
        raise TypeError(
            f"{owner}(method='umap') got unknown parameter(s) "
            f"{', '.join(repr(k) for k in unknown)}. Valid parameters: {valid}.{hint}"
        )
    if n < UMAP_MIN_ROWS:
        raise ValueError(
            f"The 'embeddings' argument of {owner} has {n} rows; UMAP needs at least "
            f"{UMAP_MIN_ROWS}. Use method='pca' for so few points."
        )
    p = {**UMAP_DEFAULTS, **params}
    n_components = check_int("n_components", n_components, owner, low=2, high=3)
    n_neighbors = check_int("n_neighbors", p["n_neighbors"], owner, low=2)
    # umap-learn refuses min_dist above its spread (1.0); its curve fit is meaningless there
    min_dist = check_float("min_dist", p["min_dist"], owner, low=0.0, high=1.0)
    metric = check_choice("metric", p["metric"], UMAP_METRICS, owner)
    init = check_choice("init", p["init"], UMAP_INITS, owner)
    n_epochs = p["n_epochs"]
    if n_epochs is None:
        # umap-learn uses 500 up to 10,000 points and 200 above. With exact neighbours, 200
        # epochs keep more neighbours than plain UMAP does with 500 (0.158 vs 0.129 of the 10
        # nearest on 10,000 MiniLM sentence embeddings; 300 epochs: 0.164) at 2/5 of the
        # optimisation, which is most of a fresh kernel's first projection after the imports.
        n_epochs = 500 if n <= 5_000 else 200
    n_epochs = check_int("n_epochs", n_epochs, owner, low=1)
    sample_size = p["sample_size"]
    if sample_size is None:
        sample_size = SAMPLE_SIZE if n > SAMPLE_ABOVE else None
    else:
        sample_size = check_int("sample_size", sample_size, owner, low=UMAP_MIN_ROWS)
    if sample_size is not None and sample_size >= n:
        sample_size = None
    fit_rows = n if sample_size is None else sample_size
    seed = p["seed"]
    if seed is not None:
        seed = check_int("seed", seed, owner, low=0, high=2**32 - 1)
    try:
        version = importlib.metadata.version("umap-learn")
    except importlib.metadata.PackageNotFoundError:
        version = UMAP_ABSENT
    resolved = {
        "n_components": n_components,
        # Like umap-learn, a neighbourhood larger than the data set is truncated.
        "n_neighbors": min(n_neighbors, fit_rows - 1),
        "min_dist": min_dist,
        "metric": metric,
        "n_epochs": n_epochs,
        "init": init,
        "seed": seed,
        "knn": "exact" if fit_rows <= GRAPH_APPROXIMATE_ABOVE else "approximate",
        "sample_size": sample_size,
        "n_samples": n,
        "library": f"umap-learn {version}",
    }
    if sample_size is not None:  # only then: full fits keep the cache keys they had
        resolved["place_epochs"] = PLACE_EPOCHS
    return resolved


def _resolve_pca_params(
    n: int, h: int, n_components: int, params: dict[str, Any], owner: str
) -> dict[str, Any]:
    if params:
        raise TypeError(
            f"{owner}(method='pca') takes no extra parameters. Got "
            f"{', '.join(repr(k) for k in sorted(params))}; they apply to method='umap'."
        )
    n_components = check_int("n_components", n_components, owner, low=1, high=min(n, h))
    return {"n_components": n_components, "n_samples": n, "library": f"numpy {np.__version__}"}


def _from_stored(
    stored: tuple[dict[str, np.ndarray], dict[str, Any]],
    method: str,
    n: int,
    resolved: dict[str, Any],
) -> Projection | None:
    arrays, meta = stored
    stored_params = meta.get("params") if isinstance(meta, dict) else None
    if isinstance(stored_params, dict):
        measured = {k: stored_params[k] for k in MEASURED_PARAMS if k in stored_params}
        resolved = {**resolved, **measured}
    coords = arrays.get("coords")
    if coords is None or coords.shape != (n, resolved["n_components"]):
        return None
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        return None
    coords.flags.writeable = False
    evr = arrays.get("explained_variance_ratio")
    if evr is not None:
        evr.flags.writeable = False
    kept = arrays.get("preservation")
    return Projection(
        coords=coords,
        method=method,
        params=dict(resolved),
        explained_variance_ratio=evr,
        sample_size=resolved.get("sample_size"),
        preservation=None if kept is None else float(kept[0]),
        preservation_queries=0 if kept is None else int(kept[1]),
    )


# ---- computation ----------------------------------------------------------------------------


def _compute(
    x: np.ndarray,
    method: str,
    params: dict[str, Any],
    neighbors: Neighbors | None = None,
    notes: dict[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Coordinates (N, n_components) and, for PCA, the explained variance ratios; measured
    figures of approximate steps (recall of the neighbour searches) are put in ``notes``."""
    if method == "pca":
        return _pca(x, params["n_components"])
    if params["sample_size"] is None:
        return _umap(x, params, neighbors, notes), None
    # Fit on a fixed sample, then place every other row among its nearest sample rows.
    sample = _sample_rows(x.shape[0], params["sample_size"], seed=params["seed"] or 0)
    fitted = _umap(x[sample], params, None, notes)
    rest = np.setdiff1d(np.arange(x.shape[0]), sample, assume_unique=True)
    coords = np.empty((x.shape[0], params["n_components"]), dtype=np.float32)
    coords[sample] = fitted
    coords[rest] = _place(x, sample, rest, fitted, params, notes)
    return coords, None
