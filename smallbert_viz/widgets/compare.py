"""``CompareExplorer``: two models' aligned layouts of the same sentences, with linked selection.

A box/lasso (or a click) in either panel selects sentences; the same sentences are then
highlighted in both panels (plotly ``selectedpoints`` on every trace, found through each
point's ``customdata`` row id: see :mod:`smallbert_viz.figures.compare`), and a table lists
them with their neighbour overlap. The comparison itself is
:func:`smallbert_viz.explain.compare`; the figure is
:func:`smallbert_viz.figures.comparison_scatter`, shown in an ``EventFigureWidget`` whose
selection events survive a hover that follows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from smallbert_viz.views.policy import DEFAULT_SEED
from smallbert_viz.widgets._base import ExplorerBase, escape, figure_widget, static_copy
from smallbert_viz.widgets._table import html_table

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from smallbert_viz.explain.comparison import ModelComparison

OWNER = "CompareExplorer"


class CompareExplorer(ExplorerBase):
    """Two models side by side on the same sentences; a selection in one panel shows in both.

    Parameters
    ----------
    texts : list of str
        The sentences (at least 3).
    labels : list of str, optional
        A group per sentence (colours, legend). Default: ``comparison.labels`` if given.
    models : pair of BertModel, optional
        Model A and model B, compared with :func:`smallbert_viz.explain.compare`.
    comparison : ModelComparison, optional
        An existing ``compare(texts, ...)`` result instead of ``models`` (nothing is embedded).
    pooling, k, seed, max_length
        As in :func:`smallbert_viz.explain.compare` (used with ``models`` only).
    title : str, optional
        The figure's title.

    Attributes
    ----------
    comparison : ModelComparison
    selected : list of int
        Row indices of the selected sentences, sorted (the same in both panels).
    """

    _has_table = True

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[Any] | None = None,
        *,
        models: Sequence[Any] | None = None,
        comparison: ModelComparison | None = None,
        pooling: str | Sequence[str | None] | None = None,
        k: int = 10,
        seed: int = DEFAULT_SEED,
        max_length: int = 128,
        title: str | None = None,
    ) -> None:
        from smallbert_viz.views.compare import resolve_comparison

        resolved = resolve_comparison(
            texts,
            labels,
            models=models,
            comparison=comparison,
            pooling=pooling,
            k=k,
            seed=seed,
            max_length=max_length,
            owner=OWNER,
        )
        super().__init__()
        self.texts, self.labels, self.comparison = resolved
        self.title = title
        self._prov = self.comparison.provenance_a
        self.selected: list[int] = []
        self._fw = figure_widget(self._build_figure())
        self._wire()
        self.selection_count = widgets.HTML()
        self.selection_table = widgets.HTML()
        self._update_selection_ui()
        self._set_provenance(*self._provenance_lines())
        self.children = [
            self._fw,
            self.selection_count,
            self.selection_table,
            self.provenance_html,
            self.errors,
        ]

    # -- figure and events -------------------------------------------------------------------

    def _build_figure(self) -> go.Figure:
        from smallbert_viz.figures import comparison_scatter

        c = self.comparison
        return comparison_scatter(
            c.coords_a,
            c.coords_b,
            self.texts,
            overlap=c.neighbor_overlap,
            labels=self.labels,
            names=c.names,
            cka=c.cka,
            provenance=c.describe(),
            title=self.title,
            method_description=c.projection,
        )

    def _wire(self) -> None:
        fw = self._fw
        fw.on_points_selected(self._guard(self._on_selection, "selection"))
        fw.on_point_click(self._guard(self._on_click, "click"))
        fw.error_handler = self._report_error
        # plotly.py's own selection path (_js2py_pointsCallback) also arrives, sooner or later,
        # and sets every trace's selectedpoints to what the lasso hit in that trace: nothing in
        # the other panel. It does so before calling the trace's callbacks, so these put the
        # linked highlight back (found in the browser: panel B went dim after a lasso in A).
        keep = self._guard(self._keep_linked, "selection")
        for trace in fw.data:
            trace.on_selection(lambda trace, _points, _selector: keep(trace))
            trace.on_deselect(lambda trace, _points: keep(trace))

    def _keep_linked(self, trace: Any) -> None:
        """Give ``trace`` back the selectedpoints of the current linked selection."""
        from smallbert_viz.figures.compare import selected_points

        with self._lock:
            index = next(i for i, t in enumerate(self._fw.data) if t is trace)
            want = None
            if self.selected:
                want = selected_points(self._fw, self.selected)[index]
            have = trace.selectedpoints
            if (None if have is None else list(have)) != want:
                trace.selectedpoints = want

    def _rows(self, points: dict[int, np.ndarray]) -> list[int]:
        """Sentences behind ``{trace: point numbers}`` (each trace's customdata is its rows)."""
        data = self._fw.data
        rows: set[int] = set()
        for trace, inds in points.items():
            if not 0 <= trace < len(data) or data[trace].customdata is None:
                continue
            custom = np.asarray(data[trace].customdata).reshape(-1)
            inds = np.asarray(inds, np.int64)
            inds = inds[(inds >= 0) & (inds < len(custom))]
            rows.update(custom[inds].astype(np.int64).tolist())
        return sorted(rows)

    def _on_selection(self, points: dict[int, np.ndarray]) -> None:
        self.select(self._rows(points))

    def _on_click(self, trace: int, point: Any) -> None:
        rows = self._rows({trace: np.array([int(point)])})
        if rows:
            self.select(rows)

    def select(self, rows: Sequence[int]) -> None:
        """Select these sentences (row indices) in both panels; an empty list clears."""
        from smallbert_viz.figures.compare import _rows, selected_points

        wanted = _rows(list(rows), len(self.texts), "rows", f"{OWNER}.select")
        with self._lock:
            self.selected = wanted.tolist()
            per_trace = selected_points(self._fw, wanted) if self.selected else None
            with self._fw.batch_update():
                for i, trace in enumerate(self._fw.data):
                    # None: no selection, every point drawn normally (an empty list would dim all).
                    trace.selectedpoints = None if per_trace is None else per_trace[i]
        self._update_selection_ui()

    def clear_selection(self) -> None:
        """Forget the selection in both panels."""
        self.select([])

    # -- table -------------------------------------------------------------------------------

    def _update_selection_ui(self) -> None:
        n = len(self.selected)
        hint = "box/lasso or click in either panel; double-click to clear"
        mean = ""
        if n:
            overlap = self.comparison.neighbor_overlap[self.selected]
            mean = f", mean neighbour overlap {float(overlap.mean()):.2f}"
        self.selection_count.value = (
            f"<b>selected: {n:,}{escape(mean)}</b> "
            f"<span style='font-size:11px;color:#555'>({hint})</span>"
        )
        df = self.to_pandas(selected_only=True)
        header = ["row", "sentence", "neighbour overlap"] + (["label"] if self.labels else [])
        rows = [
            [r.row, r.text, f"{r.neighbor_overlap:.2f}"] + ([r.label] if self.labels else [])
            for r in df.itertuples(index=False)
        ]
        self.selection_table.value = html_table(header, rows) if rows else ""

    def to_pandas(self, selected_only: bool = False) -> pd.DataFrame:
        """One row per sentence: row, text, label, neighbour overlap, both layouts, selected."""
        import pandas as pd

        c = self.comparison
        df = pd.DataFrame(
            {
                "row": np.arange(len(self.texts)),
                "text": list(self.texts),
                "label": list(self.labels) if self.labels else [None] * len(self.texts),
                "neighbor_overlap": c.neighbor_overlap,
                "x_a": c.coords_a[:, 0],
                "y_a": c.coords_a[:, 1],
                "x_b": c.coords_b[:, 0],
                "y_b": c.coords_b[:, 1],
                "selected": np.isin(np.arange(len(self.texts)), self.selected),
            }
        )
        if selected_only:
            df = df[df["selected"]].reset_index(drop=True)
        df.attrs["provenance"] = self.provenance_text
        return df

    # -- provenance and figures ----------------------------------------------------------------

    def _provenance_lines(self) -> list[str]:
        c = self.comparison
        return [
            f"A: {c.provenance_a.describe()}",
            f"B: {c.provenance_b.describe()}",
            c.projection,
        ]

    @property
    def figures(self) -> dict[str, go.Figure]:
        return {"comparison": static_copy(self._fw)}

    @property
    def figure_widget(self) -> go.FigureWidget:
        """The live two-panel scatter."""
        return self._fw
