"""``ProjectionExplorer``: a scatter of projected embeddings, PCA at once, UMAP when ready.

About 660 lines, on purpose: half of it is the public constructor's documented, validated
parameters and the controls' layout, which belong together. The events on points (selection,
clicks, queries) live in ``_points.py``, trust, keywords and near-duplicates in
``_projection_analyses.py``, the background UMAP worker in ``_latest.py``, the figure in
``views.projection``, the large path's figure in ``figures.large_scatter`` (switched on by
``views.large_scatter``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from smallbert_viz._validation import check_choice, check_float, check_int
from smallbert_viz.analysis.neighbors import METRICS as NEIGHBOR_METRICS
from smallbert_viz.analysis.projection import METHODS, UMAP_MIN_ROWS
from smallbert_viz.embedding_spec import DEFAULT_MAX_LENGTH
from smallbert_viz.figures import large_scatter as figure_large
from smallbert_viz.provenance import Provenance
from smallbert_viz.views import large_scatter
from smallbert_viz.views.coords import GIVEN_LAYOUT_NOTE, resolve_coords
from smallbert_viz.views.inputs import ViewCorpus, resolve_corpus
from smallbert_viz.views.policy import (
    DEFAULT_SEED,
    UMAP_MIN_DIST,
    UMAP_N_NEIGHBORS,
)
from smallbert_viz.views.projection import projection_method
from smallbert_viz.widgets._base import (
    ExplorerBase,
    escape,
    figure_widget,
    static_copy,
    sync_figure,
)
from smallbert_viz.widgets._latest import LatestRequestWorker
from smallbert_viz.widgets._points import PointEvents
from smallbert_viz.widgets._projection_analyses import ProjectionAnalyses

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import Neighbors, Projection

DEFAULT_K = 10
OWNER = "ProjectionExplorer"


def coords_only_corpus(
    texts: list[str], labels: list[str] | None, provenance: Provenance | str | None
) -> ViewCorpus:
    """The corpus of a layout given without embeddings: texts and labels, no vectors."""
    prov = Provenance.coerce(provenance, OWNER) or Provenance.from_text(
        "coordinates given (computed elsewhere); no embeddings"
    )
    return ViewCorpus(texts, labels, None, None, prov)  # type: ignore[arg-type]


class ProjectionExplorer(ProjectionAnalyses, PointEvents, ExplorerBase):
    """Scatter of sentence embeddings: selection table, nearest-neighbour query, UMAP controls.

    The PCA layout is shown at once; with ``method="umap"`` UMAP runs in a background thread
    and replaces it when ready (the notebook stays usable meanwhile; ``wait_ready`` blocks
    until it is there). One worker thread per explorer computes UMAP; requests made while it
    is busy collapse into the latest one. Changing the method or UMAP controls takes effect
    when "apply / recompute" is pressed (the status line says so).

    Coordinates computed elsewhere (``coords=``, e.g. ``spark.project``'s output read back) are
    shown as given: nothing is projected again. With ``coords`` only (no ``model``, no
    ``embeddings``) nothing is computed at all, and the widget says what it cannot offer
    (queries, recompute, neighbours, clusters, trust, near-duplicates) instead of showing those
    controls; with ``embeddings`` (and ``model``) as well, those features work on the given
    layout.

    Above ``views.large_scatter.LARGE_POINTS`` points (50,000) the scatter takes the large path:
    one WebGL trace whose coordinates and label codes travel as binary buffers, hover text asked
    of the kernel for the hovered point only, box/lasso selections sent as a bitmap of the
    selected points (int32 point numbers when that is smaller), and a static HTML copy of a
    sample of points. Colouring by trust and keywords are offered below that size only.

    Parameters
    ----------
    texts : list of str, length N; optional with a ``coords`` DataFrame that has a text column
    labels : list of str of length N, optional
        Colours the points (a label or a cluster id per sentence). With a ``coords`` DataFrame,
        its ``label`` column is used when ``labels`` is not given.
    coords : Projection, array of shape (N, 2) or (N, 3), or pandas DataFrame, optional
        A layout computed elsewhere (see ``views.coords.resolve_coords``): a DataFrame needs
        ``x``, ``y`` (``z``) columns and ``text`` unless ``texts`` is given. ``method``,
        ``n_neighbors``, ``min_dist``, ``n_components`` and ``seed`` are then unused.
    model : BertModel, str, path or None
        Embeds ``texts`` (unless ``embeddings`` is given) and the query sentence: a loaded
        model, a name, handle or path, or None for the default model (with the offline
        fallback). With ``embeddings`` and no model, nothing is loaded and queries are off.
    embeddings : array of shape (N, H), optional
        Precomputed embeddings. With ``model``, also pass the ``pooling`` that made them
        (queries embed new text that way); without a model, ``provenance``.
    pooling : {"cls", "pooled", "mean"}, optional
    normalize : bool
        Unit-length embeddings (as ``model.embed(..., normalize=True)``); queries are embedded
        the same way. Changes the layout and the dot and euclidean neighbours.
    seed : int or None
        The views' UMAP seed (reproducible layout); None: parallel, not reproducible.
    method : {"umap", "pca"}, optional
        Default: the views' rule (PCA below 10 sentences). UMAP needs at least 4 sentences;
        with fewer, PCA is shown and the status says why.
    n_neighbors, min_dist : UMAP parameters.
    n_components : {2, 3}
        3 gives a 3-D scatter (box/lasso selection is 2-D only).
    k : int, optional
        Neighbours highlighted for a query; default ``min(10, N)``.
    metric : {"cosine", "dot", "euclidean"}
        Similarity for the query's neighbours.
    max_length : int
        Wordpieces per sentence including [CLS]/[SEP].
    provenance : Provenance or str, optional
        Names precomputed embeddings (default: derived from the model and settings).
    background : bool
        Compute UMAP in a thread (default). False computes it before returning.

    Attributes
    ----------
    projection : Projection
        What is drawn now (PCA until UMAP is ready).
    selected : list of int
        Row indices of the box/lasso-selected sentences, sorted.
    highlighted : ndarray of int
        Row indices of the last query's neighbours, most similar first.
    query_result : Neighbors or None
    clicked : int or None
        Row index of the last clicked point.
    """

    def __init__(
        self,
        texts: list[str] | None = None,
        labels: list[str] | None = None,
        *,
        coords: Any = None,
        model: Any = None,
        embeddings: np.ndarray | None = None,
        pooling: str | None = None,
        normalize: bool = False,
        seed: int | None = DEFAULT_SEED,
        method: str | None = None,
        n_neighbors: int = UMAP_N_NEIGHBORS,
        min_dist: float = UMAP_MIN_DIST,
        n_components: int = 2,
        k: int | None = None,
        metric: str = "cosine",
        max_length: int = DEFAULT_MAX_LENGTH,
        provenance: Provenance | str | None = None,
        background: bool = True,
    ) -> None:
        given = None
        if coords is not None:
            layout = resolve_coords(coords, texts, labels, owner=OWNER)
            texts, labels, given = layout.texts, layout.labels, layout.projection
            if embeddings is None and model is not None:  # e.g. spark.embed's 'embedding' column
                embeddings = layout.embeddings
        elif texts is None:
            raise ValueError(
                f"{OWNER} needs texts (one sentence per point), or coords= with a text column."
            )
        if given is not None and model is None and embeddings is None:
            corpus = coords_only_corpus(texts, labels, provenance)
        else:
            corpus = resolve_corpus(
                texts,
                labels,
                model=model,
                embeddings=embeddings,
                pooling=pooling,
                normalize=normalize,
                max_length=max_length,
                provenance=provenance,
                owner=OWNER,
            )
        self._setup(
            corpus,
            given=given,
            seed=seed,
            method=method,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            n_components=n_components,
            k=k,
            metric=metric,
            background=background,
        )

    def _setup(
        self,
        corpus: ViewCorpus,
        *,
        given: Projection | None = None,
        seed: int | None = DEFAULT_SEED,
        method: str | None = None,
        n_neighbors: int = UMAP_N_NEIGHBORS,
        min_dist: float = UMAP_MIN_DIST,
        n_components: int = 2,
        k: int | None = None,
        metric: str = "cosine",
        background: bool = True,
    ) -> None:
        from smallbert_viz.views.projection import compute_projection

        owner = OWNER
        super().__init__()
        if method is not None:
            method = check_choice("method", method, METHODS, owner)
        n_neighbors = check_int("n_neighbors", n_neighbors, owner, low=2)
        min_dist = check_float("min_dist", min_dist, owner, low=0.0)
        if seed is not None:
            seed = check_int("seed", seed, owner, low=0, high=2**32 - 1)
        n_components = check_int("n_components", n_components, owner, low=2, high=3)
        self.metric = check_choice("metric", metric, NEIGHBOR_METRICS, owner)
        self._adopt(corpus)
        n = len(self.texts)
        self.k = min(DEFAULT_K, n) if k is None else check_int("k", k, owner, low=1, high=n)
        method = projection_method(n, method)
        self.seed = seed
        #: The layout given as ``coords`` (None: projected here).
        self.given: Projection | None = given
        if given is not None:
            n_components = given.coords.shape[1]
        self.n_components = n_components
        # Read at call time, so tests reach the large path with a small threshold.
        self.large = n > large_scatter.LARGE_POINTS
        self._codes: tuple[np.ndarray, list[str]] | None = None  # label codes (large path)

        self.selected: list[int] = []
        self.highlighted = np.zeros(0, dtype=np.int64)
        self.query_result: Neighbors | None = None
        self.clicked: int | None = None
        self._stale_note = ""
        self._point_callbacks: list[Callable[[int], Any]] = []
        self._ready = threading.Event()
        self._umap_started = 0.0
        # One UMAP worker: requests made while it runs collapse into the latest.
        self._worker = LatestRequestWorker(
            self._compute_umap,
            self._deliver_umap,
            self._umap_failed,
            name="smallbert-viz-umap",
            background=background,
            lock=self._lock,
        )
        self._requested: tuple[Any, ...] | None = None  # controls of the last apply
        self._status_markup = ""

        # PCA first: it is cheap (an H x H eigen-decomposition) and shows something at once.
        # A given layout takes its place: it is the base layout, nothing is projected.
        if given is not None:
            self._pca = given
        else:
            self._pca = compute_projection(
                self.embeddings, method="pca", n_components=n_components
            )
        self.projection: Projection = self._pca

        # -- controls
        self.method_control = widgets.Dropdown(
            options=list(METHODS), value=method, description="method"
        )
        self.n_neighbors_control = widgets.IntSlider(
            value=min(n_neighbors, max(2, n - 1)),
            min=2,
            max=max(2, min(200, n - 1)),
            description="n_neighbors",
            continuous_update=False,
        )
        self.min_dist_control = widgets.FloatSlider(
            value=min(min_dist, 0.99),
            min=0.0,
            max=0.99,
            step=0.01,
            description="min_dist",
            continuous_update=False,
        )
        self.recompute_button = widgets.Button(
            description="apply / recompute",
            icon="refresh",
            tooltip="project again with the method, n_neighbors and min_dist shown",
            layout=widgets.Layout(width="auto"),
        )
        self.recompute_button.on_click(self._guard(lambda _b: self.recompute(), "recompute"))
        for control in (self.method_control, self.n_neighbors_control, self.min_dist_control):
            control.observe(self._guard(lambda _c: self._render_status(), "controls"), "value")
        has_vectors = self.embeddings is not None
        colour_options = (
            (["label"] if self.labels is not None else [])
            + (["cluster"] if has_vectors else [])
            + (["trust"] if has_vectors and not self.large else [])
            + ["none"]
        )
        self._clusters: np.ndarray | None = None  # k-means ids, computed on first use
        self.colour_control = widgets.Dropdown(
            options=colour_options, value=colour_options[0], description="colour"
        )
        self.colour_control.add_class("smallbert-viz-colour")
        self.colour_control.observe(self._guard(lambda _c: self.refresh(), "colour"), "value")
        self._setup_analyses()
        self.query_text = widgets.Text(
            placeholder="a new sentence: its nearest neighbours light up",
            layout=widgets.Layout(width="420px"),
        )
        self.query_text.add_class("smallbert-viz-query")
        self.query_button = widgets.Button(description="find neighbours", icon="search")
        self.query_button.on_click(
            self._guard(lambda _b: self.query(self.query_text.value), "query")
        )
        self.query_text.on_submit(
            self._guard(lambda _t: self.query(self.query_text.value), "query")
        )
        if self.spec is None:
            self.query_text.disabled = self.query_button.disabled = True
            self.query_text.placeholder = "queries need a model: pass model="
        #: What this explorer cannot offer with its inputs (shown above the plot), or "".
        self.unavailable_note = self._unavailable_note()
        self.unavailable_html = widgets.HTML(
            f"<span style='font-size:12px;color:#555'>{escape(self.unavailable_note)}</span>"
            if self.unavailable_note
            else ""
        )
        self.unavailable_html.add_class("smallbert-viz-unavailable")
        self.clear_button = widgets.Button(description="clear highlight")
        self.clear_button.on_click(self._guard(lambda _b: self.clear_query(), "clear"))

        self.status = widgets.HTML()
        self.selection_count = widgets.HTML()
        self.selection_count.add_class("smallbert-viz-selection-count")
        self.selection_table = widgets.HTML()
        self.selection_table.add_class("smallbert-viz-selection-table")
        self.query_table = widgets.HTML()
        self.query_table.add_class("smallbert-viz-query-table")

        self._fw = figure_widget(self._build_figure(self.projection), large=self.large)
        self._wire()
        self._update_selection_ui()
        self.plot_box = widgets.Box([self._fw])
        # Only controls that work with these inputs are shown; the note names the others.
        second_row = [self.colour_control]
        if not self.large and (self.labels is not None or has_vectors):
            second_row.append(self.keywords_control)
        if not (given is not None and self.spec is None):
            second_row += [self.query_text, self.query_button]
        if has_vectors or self.spec is not None:
            second_row.append(self.clear_button)
        rows: list[widgets.Widget] = []
        if given is None:
            rows.append(
                widgets.HBox(
                    [
                        self.method_control,
                        self.n_neighbors_control,
                        self.min_dist_control,
                        self.recompute_button,
                    ],
                    layout=widgets.Layout(flex_flow="row wrap"),
                )
            )
        else:
            for control in (
                self.method_control,
                self.n_neighbors_control,
                self.min_dist_control,
                self.recompute_button,
            ):
                control.disabled = True
        rows.append(widgets.HBox(second_row, layout=widgets.Layout(flex_flow="row wrap")))
        if self.unavailable_note:
            rows.append(self.unavailable_html)
        self.children = [
            *rows,
            self.provenance_html,
            self.status,
            self.plot_box,
            self.selection_count,
            self.selection_table,
            self.query_table,
            *([self.duplicates_box] if has_vectors else []),
            self.errors,
        ]
        self.add_class("smallbert-viz-projection")
        self.recompute()

    # -- projection --------------------------------------------------------------------------

    def _umap_params(self) -> dict[str, Any]:
        return {
            "n_neighbors": int(self.n_neighbors_control.value),
            "min_dist": float(self.min_dist_control.value),
            "seed": self.seed,
        }

    def _control_key(self) -> tuple[Any, ...]:
        """What an apply would compute now (PCA ignores the UMAP sliders)."""
        method = self.method_control.value
        if method == "pca" or len(self.texts) < UMAP_MIN_ROWS:
            return (method,)
        params = self._umap_params()
        return (method, params["n_neighbors"], params["min_dist"])

    @property
    def background(self) -> bool:
        """Whether UMAP runs in the background worker."""
        return self._worker.background

    def recompute(self) -> None:
        """Project again with the current method and parameter controls.

        UMAP runs in the explorer's background worker (unless ``background=False``); the
        current layout stays until the new one is ready. A request made while UMAP is running
        replaces any request still waiting, so only the latest parameters are computed next.
        ``wait_ready`` waits for the requested layout.
        """
        method = self.method_control.value
        params = self._umap_params()
        if self.given is not None:
            with self._lock:
                self._worker.supersede()
                if self.projection is not self.given:  # drawn from the start: nothing to do
                    self.projection = self.given
                    self._redraw()
                self._set_provenance(*self._provenance_lines())
                self._set_status(
                    f"{escape(self.given.describe().rstrip('.'))}. Shown as given: no recompute here."
                )
                self._ready.set()
            return
        with self._lock:
            self._ready.clear()
            self._requested = self._control_key()
            if method == "pca" or len(self.texts) < UMAP_MIN_ROWS:
                self._worker.supersede()
                note = "" if method == "pca" else f" (UMAP needs at least {UMAP_MIN_ROWS} points)"
                self.projection = self._pca
                self._redraw()
                self._set_status(f"PCA layout{note}.")
                self._ready.set()
                return
            self._set_status(
                f"{escape(self.projection.method.upper())} layout shown; computing UMAP "
                f"({escape(', '.join(f'{k}={v}' for k, v in params.items()))}) in the "
                "background\u2026"
            )
            self._umap_started = time.perf_counter()
        self._worker.submit(params)

    def _compute_umap(self, params: dict[str, Any]) -> Projection:
        from smallbert_viz.views.projection import compute_projection

        proj = compute_projection(
            self.embeddings, method="umap", n_components=self.n_components, **params
        )
        self._prepare_analyses(proj)  # here, not under the lock when it is drawn
        return proj

    def _deliver_umap(self, gen: int, params: dict[str, Any], proj: Projection) -> None:
        self.projection = proj
        self._redraw()
        self._set_status(f"UMAP ready ({time.perf_counter() - self._umap_started:.1f} s).")
        self._ready.set()

    def _umap_failed(self, gen: int, params: dict[str, Any], exc: BaseException) -> None:
        self._report_error(exc, "UMAP (background thread)")
        with self._lock:
            if self._worker.is_latest(gen):
                self._set_status("UMAP failed (see the error below); the previous layout is kept.")
                self._ready.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until the requested projection is drawn; False if ``timeout`` s passed first."""
        return self._ready.wait(timeout)

    @property
    def ready(self) -> bool:
        """Whether the requested projection (UMAP or PCA) is the one drawn."""
        return self._ready.is_set()

    @property
    def clusters(self) -> np.ndarray:
        """Cluster labels of the sentences (spherical k-means in embedding space, 8 or fewer)."""
        if self.embeddings is None:
            raise ValueError(
                f"{OWNER}.clusters needs embeddings: this explorer was given coordinates only. "
                "Pass embeddings= (and model=) with coords= to cluster."
            )
        with self._lock:
            if self._clusters is None:
                from smallbert_viz.analysis import cluster_labels

                k = min(8, len(self.texts))
                self._clusters = cluster_labels(self.embeddings, n_clusters=k, seed=0)
            return self._clusters

    # -- drawing -----------------------------------------------------------------------------

    def _build_figure(self, projection: Projection) -> go.Figure:
        from smallbert_viz.views.projection import projection_figure

        colour = self.colour_control.value
        highlight = self.highlighted if self.highlighted.size else None
        if self.large:
            return self._large_figure(projection, highlight)
        if colour == "trust":
            fig = self._trust_figure(projection, highlight)
        else:
            labels = self.labels if colour == "label" else None
            if colour == "cluster":
                labels = [str(c) for c in self.clusters]
            fig = projection_figure(self.corpus, projection, labels=labels, highlight=highlight)
        if self.keywords_control.value:
            self._annotate_keywords(fig, projection)
        return fig

    def _large_codes(self) -> tuple[np.ndarray | None, list[str] | None]:
        """Colour codes and their names for the large path (labels, clusters or none)."""
        colour = self.colour_control.value
        if colour == "label" and self.labels is not None:
            if self._codes is None:
                self._codes = figure_large.label_codes(self.labels)
            return self._codes
        if colour == "cluster":
            clusters = np.asarray(self.clusters)
            return clusters.astype(np.int32), [str(c) for c in range(int(clusters.max()) + 1)]
        return None, None

    def _large_figure(
        self,
        projection: Projection,
        highlight: np.ndarray | None,
        rows: np.ndarray | None = None,
    ) -> go.Figure:
        from smallbert_viz.views.policy import projection_title

        codes, names = self._large_codes()
        hl_texts = None if highlight is None else [self.texts[int(i)] for i in highlight]
        return figure_large.large_scatter(
            projection.coords,
            codes=codes,
            names=names,
            highlight=highlight,
            highlight_texts=hl_texts,
            provenance=self._prov,
            title=projection_title(projection.method, projection.n_components),
            method_description=projection.describe(),
            rows=rows,
        )

    def _hover_text(self, fw: go.FigureWidget, trace: int, point: int) -> str | None:
        """The plain text shown for a hovered point of the large path (row, label, sentence)."""
        rows = self._rows(fw, {trace: np.array([point])})
        if not rows:
            return None
        row = rows[0]
        text = self.texts[row]
        cut = large_scatter.HOVER_TEXT_MAX_CHARS
        if len(text) > cut:
            text = text[: cut - 1] + "\u2026"
        label = f" \u00b7 label: {self.labels[row]}" if self.labels is not None else ""
        return f"#{row}{label}\n{text}"

    def _redraw(self) -> None:
        """Draw ``self.projection`` with the current colour and highlight.

        Builds and applies under the lock, so the background worker and the notebook thread
        never apply a figure made from state the other has since changed.
        """
        with self._lock:
            self._apply(self._build_figure(self.projection))
            self._set_provenance(*self._provenance_lines())

    def _apply(self, fig: go.Figure) -> None:
        with self._lock:
            if not sync_figure(self._fw, fig):
                old = self._fw
                self._fw = figure_widget(fig, large=self.large)
                self.plot_box.children = [self._fw]
                old.close()
            self._wire()

    def refresh(self) -> None:
        """Redraw the current projection (after a colour or highlight change)."""
        self._redraw()

    def _wire(self) -> None:
        # Reliable events of their own (see _event_figure): a hover cannot overwrite them.
        # Bound to this figure widget: a late event of a replaced one is ignored.
        fw = self._fw
        fw.on_points_selected(self._guard(lambda pts: self._on_selection(fw, pts), "selection"))
        fw.on_point_click(self._guard(lambda t, p: self._on_click(fw, t, p), "click"))
        fw.on_stale_event(self._guard(self._on_stale, "stale event"))
        if self.large:
            fw.on_hover_request(self._guard(lambda t, p: self._hover_text(fw, t, p), "hover"))
        fw.error_handler = self._report_error

    def _set_status(self, markup: str) -> None:
        with self._lock:
            self._status_markup = markup
            self._render_status()

    def _render_status(self) -> None:
        """Show the status, plus a hint when the controls differ from the last apply."""
        with self._lock:
            markup = self._status_markup
            if self._requested is not None and self._control_key() != self._requested:
                markup += (
                    " <b>Parameters changed: press apply / recompute</b> to project with them."
                )
            self.status.value = f"<span style='font-size:12px'>{markup}</span>"

    def _provenance_lines(self) -> list[str]:
        return [self._prov.describe(), self.projection.describe(), *self._analysis_lines()]

    def _unavailable_note(self) -> str:
        """What the widget cannot offer with the inputs it was given ("" when everything works)."""
        parts = []
        if self.given is not None and self.embeddings is None:
            parts.append(
                f"Layout: {GIVEN_LAYOUT_NOTE}. Not available: queries, recompute, neighbours, "
                "cluster and trust colours, near-duplicates (pass embeddings= and model= with "
                "coords= for them)."
            )
        elif self.given is not None:
            parts.append(
                "Layout: coordinates given (not computed here): no recompute"
                + ("." if self.spec is not None else "; no queries without model=.")
            )
        if self.large:
            parts.append(
                f"{len(self.texts):,} points (above {large_scatter.LARGE_POINTS:,}): WebGL, "
                "hover text fetched per point; trust colouring and keywords are offered up to "
                f"{large_scatter.LARGE_POINTS:,} points."
            )
        return " ".join(parts)

    def _static_figures(self) -> list[go.Figure]:
        """The static HTML copy: every point below the large path, a sample above it."""
        if not self.large:
            return super()._static_figures()
        rows = large_scatter.sample_rows(len(self.texts), large_scatter.STATIC_SAMPLE)
        with self._lock:
            return [self._large_figure(self.projection, None, rows=rows)]

    @property
    def figures(self) -> dict[str, go.Figure]:
        out = {"projection": static_copy(self._fw)}
        if self._duplicates is not None:
            out["duplicates"] = self._duplicates.figure
        return out

    @property
    def figure_widget(self) -> go.FigureWidget:
        """The live scatter (``go.FigureWidget``)."""
        return self._fw
