"""``SimilarityExplorer``: a sentence x sentence heatmap with a drill-down into one pair.

About 440 lines, on purpose: the public constructor's documented, validated parameters and
controls, and the pair drill-down with its background worker, which shares the explorer's lock
and status. The matrices, orders and explanations come from the views layer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from smallbert_viz._validation import check_choice, check_float, check_int
from smallbert_viz.analysis.similarity import METRICS
from smallbert_viz.embedding_spec import DEFAULT_MAX_LENGTH
from smallbert_viz.views.inputs import ViewCorpus, resolve_corpus
from smallbert_viz.views.policy import DEFAULT_SEED
from smallbert_viz.views.similarity import heatmap_rows
from smallbert_viz.widgets._base import (
    ExplorerBase,
    escape,
    figure_widget,
    static_copy,
    sync_figure,
)
from smallbert_viz.widgets._latest import LatestRequestWorker

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import SimilarityMatrix
    from smallbert_viz.explain import PairExplanation
    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.pair import PairView

ORDERS: tuple[str, ...] = ("clustered", "input")
OWNER = "SimilarityExplorer"


class SimilarityExplorer(ExplorerBase):
    """Interactive similarity heatmap; click a cell to see why that pair matches, token by token.

    Parameters
    ----------
    texts : list of str, length N
    labels : list of str of length N, optional
        A group per sentence, shown in hover and outlined when the order makes groups contiguous.
    model : BertModel, str, path or None
        Embeds ``texts`` (unless ``embeddings`` is given) and gives the token vectors of a
        clicked pair: a loaded model, a name, handle or path, or None for the default model
        (with the offline fallback). With ``embeddings`` and no model, nothing is loaded and
        clicks show the pair without contributions.
    embeddings : array of shape (N, H), optional
        Precomputed embeddings. With ``model``, also pass the ``pooling`` that made them;
        without a model, ``provenance``.
    pooling : {"cls", "pooled", "mean"}, optional
        Pooling used to embed; default the model's own.
    normalize : bool
        Unit-length embeddings (as ``model.embed(..., normalize=True)``).
    seed : int
        The views' seed: which sentences the heatmap samples above ``max_rows``.
    metric : {"cosine", "dot", "euclidean"}
        Initial metric ("euclidean" shows negative distances: larger is more similar).
    order : {"clustered", "input"}
        Initial row order (the views' default: clustered).
    threshold : float, optional
        Initially grey out cells below it.
    max_rows : int, optional
        The heatmap shows every sentence up to this many, else a seeded random sample.
        Default: the views' policy, ``views.policy.HEATMAP_MAX_ROWS`` (1,000).
    max_length : int
        Wordpieces per sentence including [CLS]/[SEP].
    provenance : Provenance or str, optional
        Names precomputed embeddings (default: derived from the model and settings).
    background : bool
        Explain a clicked pair in a background thread (default); False explains it before
        ``select_pair`` returns.

    Attributes
    ----------
    rows : ndarray of shape (M,)
        The sentences the heatmap shows (all, or the sample), ascending.
    similarity : SimilarityMatrix
        The matrix of ``rows`` for the current metric, shape (M, M).
    order : ndarray of shape (M,)
        Heatmap row k is sentence ``rows[order[k]]``.
    pair : tuple of int or None
        The last clicked pair (input row indices).
    explanation : PairExplanation or None
        Why that pair matches: token x token attributions plus an offset that add up to its
        similarity (exact for mean pooling, integrated Jacobians for cls/pooled).
    """

    def __init__(
        self,
        texts: list[str],
        labels: list[str] | None = None,
        *,
        model: Any = None,
        embeddings: np.ndarray | None = None,
        pooling: str | None = None,
        normalize: bool = False,
        seed: int = DEFAULT_SEED,
        metric: str = "cosine",
        order: str = "clustered",
        threshold: float | None = None,
        max_rows: int | None = None,
        max_length: int = DEFAULT_MAX_LENGTH,
        provenance: Provenance | str | None = None,
        background: bool = True,
    ) -> None:
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
            seed=seed,
            metric=metric,
            order=order,
            threshold=threshold,
            max_rows=max_rows,
            background=background,
        )

    def _setup(
        self,
        corpus: ViewCorpus,
        *,
        seed: int = DEFAULT_SEED,
        metric: str = "cosine",
        order: str = "clustered",
        threshold: float | None = None,
        max_rows: int | None = None,
        background: bool = True,
    ) -> None:
        super().__init__()
        metric = check_choice("metric", metric, METRICS, OWNER)
        order = check_choice("order", order, ORDERS, OWNER)
        if threshold is not None:
            threshold = check_float("threshold", threshold, OWNER)
        seed = check_int("seed", seed, OWNER, low=0, high=2**32 - 1)
        if max_rows is not None:
            max_rows = check_int("max_rows", max_rows, OWNER, low=2)
        self._adopt(corpus)
        self.seed = seed
        self.rows = heatmap_rows(len(self.texts), max_rows=max_rows, seed=seed)
        self._sample = self.embeddings if len(self.rows) == len(self.texts) else (
            self.embeddings[self.rows]
        )
        self._matrices: dict[str, SimilarityMatrix] = {}
        self._orders: dict[str, np.ndarray] = {}
        self._pair_head = ""
        self._pair_ready = threading.Event()
        self._pair_ready.set()
        self._explainer = LatestRequestWorker(
            self._explain,
            self._show_explanation,
            self._explain_failed,
            name="smallbert-viz-explain",
            background=background,
            lock=self._lock,
        )
        self._pair_callbacks: list[Callable[[int, int], Any]] = []
        self.pair: tuple[int, int] | None = None
        self.explanation: PairExplanation | None = None
        self._contribution_fw: go.FigureWidget | None = None

        self._suspended = False
        # -- controls
        self.metric_control = widgets.Dropdown(
            options=list(METRICS), value=metric, description="metric"
        )
        self.order_control = widgets.ToggleButtons(
            options=list(ORDERS), value=order, description="order"
        )
        self.threshold_toggle = widgets.Checkbox(
            value=threshold is not None, description="threshold", indent=False
        )
        self.threshold_control = widgets.FloatSlider(
            value=0.0,
            min=-1.0,
            max=1.0,
            step=0.01,
            description="",
            readout_format=".3f",
            continuous_update=False,
        )
        self._set_threshold_range(self._matrix(metric), threshold)
        self.status = widgets.HTML()
        self.pair_html = widgets.HTML(
            "<i>Click a cell to see which token pairs make that similarity.</i>"
        )
        self.pair_box = widgets.VBox([self.pair_html], layout=widgets.Layout(overflow="auto"))

        self._fw = figure_widget(self._build_figure())
        self._wire()
        for control in (
            self.metric_control,
            self.order_control,
            self.threshold_toggle,
            self.threshold_control,
        ):
            control.observe(self._guard(self._on_control, "SimilarityExplorer controls"), "value")

        self._set_provenance(*self._provenance_lines())
        controls = widgets.HBox(
            [
                self.metric_control,
                self.order_control,
                widgets.HBox([self.threshold_toggle, self.threshold_control]),
            ],
            layout=widgets.Layout(flex_flow="row wrap"),
        )
        # Wide heatmaps scroll instead of losing their right edge (colour bar) to the cell.
        self.plot_box = widgets.Box([self._fw], layout=widgets.Layout(overflow="auto"))
        self.children = [
            controls,
            self.provenance_html,
            self.status,
            self.plot_box,
            self.pair_box,
            self.errors,
        ]
        self.add_class("smallbert-viz-similarity")
        self._update_status()

    # -- analysis calls (cached per metric) --------------------------------------------------

    def _matrix(self, metric: str) -> SimilarityMatrix:
        from smallbert_viz.analysis import similarity_matrix

        if metric not in self._matrices:
            self._matrices[metric] = similarity_matrix(self._sample, metric=metric)
        return self._matrices[metric]

    def _order(self, metric: str, kind: str) -> np.ndarray:
        if kind == "input":
            return np.arange(len(self.rows))
        from smallbert_viz.analysis import cluster_order

        if metric not in self._orders:
            self._orders[metric] = cluster_order(self._matrix(metric))
        return self._orders[metric]

    @property
    def similarity(self) -> SimilarityMatrix:
        return self._matrix(self.metric_control.value)

    @property
    def order(self) -> np.ndarray:
        return self._order(self.metric_control.value, self.order_control.value)

    @property
    def threshold(self) -> float | None:
        return float(self.threshold_control.value) if self.threshold_toggle.value else None

    # -- figures -----------------------------------------------------------------------------

    def _build_figure(self) -> go.Figure:
        from smallbert_viz.views.similarity import similarity_figure

        metric = self.metric_control.value
        order = self.order_control.value
        return similarity_figure(
            self.corpus,
            self.rows,
            self._matrix(metric),
            None if order == "input" else self._order(metric, order),
            threshold=self.threshold,
        )

    def _wire(self) -> None:
        fw = self._fw
        fw.on_point_click(self._guard(lambda t, p: self._on_click(fw, p), "click"))
        fw.on_stale_event(self._guard(self._on_stale, "stale click"))
        fw.error_handler = self._report_error

    def _on_stale(self, kind: str) -> None:
        self._update_status(
            " <b>A click made before the heatmap was redrawn was ignored: click again.</b>"
        )

    def _set_threshold_range(self, sim: SimilarityMatrix, value: float | None) -> None:
        off = sim.matrix[~np.eye(sim.size, dtype=bool)] if sim.size > 1 else sim.matrix.ravel()
        lo, hi = float(off.min()), float(sim.matrix.max())
        if hi <= lo:
            hi = lo + 1e-6
        ctl = self.threshold_control
        # Widen first so that min <= max holds at every step.
        ctl.min, ctl.max = min(ctl.min, lo), max(ctl.max, hi)
        ctl.value = float(np.clip(value if value is not None else (lo + hi) / 2, lo, hi))
        ctl.min, ctl.max = lo, hi
        ctl.step = (hi - lo) / 200

    def _on_control(self, change: dict) -> None:
        if self._suspended:
            return
        if change["owner"] is self.metric_control:
            # A new metric has a new range: move the threshold to its middle, redraw once.
            self._suspended = True
            try:
                self._set_threshold_range(self._matrix(change["new"]), None)
            finally:
                self._suspended = False
        self.refresh()

    def refresh(self) -> None:
        """Redraw the heatmap from the current control values."""
        fig = self._build_figure()
        with self._lock:
            if not sync_figure(self._fw, fig):  # pragma: no cover - always one heatmap
                self._fw = figure_widget(fig)
                self.plot_box.children = [self._fw]
            self._wire()
        self._update_status()
        if self.pair is not None:
            self.select_pair(*self.pair)

    def _update_status(self, note: str = "") -> None:
        t = self.threshold
        shown = "" if t is None else f"; cells below {t:.3f} greyed out"
        self.status.value = (
            f"<span style='font-size:12px'>{len(self.texts)} sentences; metric "
            f"{escape(self.metric_control.value)}; order {escape(self.order_control.value)}"
            f"{escape(shown)}{note}</span>"
        )

    @property
    def figures(self) -> dict[str, go.Figure]:
        out = {"similarity": static_copy(self._fw)}
        if self._contribution_fw is not None:
            out["explanation"] = static_copy(self._contribution_fw)
        return out

    @property
    def figure_widget(self) -> go.FigureWidget:
        """The live heatmap (``go.FigureWidget``)."""
        return self._fw

    @property
    def contribution_figure(self) -> go.Figure | None:
        """A static copy of the pair panel's figure, or None before a click."""
        return None if self._contribution_fw is None else static_copy(self._contribution_fw)

    def _provenance_lines(self) -> list[str]:
        return [self._prov.describe()]

    # -- the pair panel ----------------------------------------------------------------------

    def on_pair(self, callback: Callable[[int, int], Any]) -> None:
        """Call ``callback(i, j)`` (input row indices) whenever a pair is chosen."""
        self._pair_callbacks.append(callback)

    def _on_click(self, fw: go.FigureWidget, point: Any) -> None:
        row, col = point  # a heatmap cell: [row, col] of the displayed (ordered) matrix
        with self._lock:
            if fw is not self._fw:
                return
            shown = self.rows[self.order]  # the drawing clicked on (stale ones never get here)
        self._update_status()  # drops a "click again" note
        self.select_pair(int(shown[int(row)]), int(shown[int(col)]))

    def select_pair(self, i: int, j: int) -> None:
        """Explain the similarity of sentences ``i`` and ``j`` (input row indices).

        The explanation (:func:`smallbert_viz.explain.explain_pair`; integrated Jacobians for
        ``cls``/``pooled`` take a few seconds) is computed by the explorer's background worker:
        the widget stays responsive, and a newer click replaces one still waiting.
        ``wait_explained`` blocks until it is shown.
        """
        from smallbert_viz.analysis import similarity_matrix

        n = len(self.texts)
        i = check_int("i", i, "SimilarityExplorer.select_pair", low=0, high=n - 1)
        j = check_int("j", j, "SimilarityExplorer.select_pair", low=0, high=n - 1)
        self.pair = (i, j)
        metric = self.metric_control.value
        score = float(similarity_matrix(self.embeddings[[i, j]], metric=metric).matrix[0, 1])
        head = (
            f"<b>#{i}</b> {escape(self.texts[i])}<br><b>#{j}</b> {escape(self.texts[j])}<br>"
            f"{escape(metric)}: {score:.4f}"
        )
        with self._lock:
            self._pair_head = head
            self.explanation = None
        if self.spec is None:
            self.pair_html.value = (
                head + "<br><i>Explanations need the model: pass model= (and the pooling of "
                "the embeddings) to SimilarityExplorer.</i>"
            )
            self.pair_box.children = [self.pair_html]
            self._pair_ready.set()
        else:
            self.pair_html.value = head + "<br><i>explaining\u2026</i>"
            self._pair_ready.clear()
            self._explainer.submit((i, j, metric))
        for callback in self._pair_callbacks:
            callback(i, j)

    def _explain(self, request: tuple[int, int, str]) -> PairView:
        from smallbert_viz.views.pair import pair_view

        i, j, metric = request
        return pair_view(self.spec, self.texts, i, j, metric=metric)

    def _show_explanation(self, gen: int, request: tuple[int, int, str], view: PairView) -> None:
        e = view.explanation
        self.explanation = e
        old, self._contribution_fw = self._contribution_fw, figure_widget(view.figure)
        if old is not None:
            old.close()
        self.pair_html.value = self._pair_head + (
            f"<br><span style='font-size:11px;color:#555'>{escape(e.method)}: cells "
            f"{float(e.matrix.sum()):.4f} + offset {e.offset:.4f} = {e.score:.4f} "
            f"(completeness error {e.completeness_error:.2g})</span>"
        )
        self.pair_box.children = [self.pair_html, self._contribution_fw]
        self._pair_ready.set()

    def _explain_failed(self, gen: int, request: Any, exc: BaseException) -> None:
        self._report_error(exc, "pair explanation (background thread)")
        with self._lock:
            if self._explainer.is_latest(gen):
                self.pair_html.value = self._pair_head + "<br><i>The explanation failed (see "
                self.pair_html.value += "the error below).</i>"
                self._pair_ready.set()

    def wait_explained(self, timeout: float | None = None) -> bool:
        """Block until the selected pair's explanation is shown; False on timeout."""
        return self._pair_ready.wait(timeout)
