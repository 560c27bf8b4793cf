"""What a projection scatter does with points: box/lasso selection, clicks, a query's neighbours.

A mixin of :class:`~smallbert_viz.widgets.projection.ProjectionExplorer`, kept apart so that the
explorer module holds the layout and the projection, this one the events on points. It expects
the explorer's attributes (``texts``, ``labels``, ``embeddings``, ``spec``, ``metric``, ``k``,
``selected``, ``highlighted``, ``_fw``, ``_lock``) and tables (``selection_*``, ``query_table``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_int
from smallbert_viz.widgets._base import escape
from smallbert_viz.widgets._table import MAX_ROWS, html_table

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from smallbert_viz.analysis import Neighbors


class PointEvents:
    """Selection, clicks and queries of the projection explorer (a mixin)."""

    _has_table = True  # the download bar offers to_pandas() as CSV / Parquet

    # -- selection and clicks ----------------------------------------------------------------

    def _rows(self, fw: go.FigureWidget, points: dict[int, np.ndarray]) -> list[int] | None:
        """Sentences behind ``{trace: point numbers}`` of ``fw``; None if ``fw`` is gone.

        A trace's ``customdata`` holds its rows; the large path's first trace has none, its
        point numbers being the rows.
        """
        with self._lock:  # the UMAP worker redraws under this lock
            if fw is not self._fw:
                return None
            data = fw.data
            found: list[np.ndarray] = []
            for trace, inds in points.items():
                if not 0 <= trace < len(data):
                    continue
                custom = data[trace].customdata
                if custom is None:
                    if not (getattr(self, "large", False) and trace == 0):
                        continue
                    n = len(self.texts)
                    found.append(inds[(inds >= 0) & (inds < n)])
                    continue
                custom = np.asarray(custom)
                inds = inds[(inds >= 0) & (inds < len(custom))]
                found.append(custom[inds].astype(np.int64))
            if not found:
                return []
            rows = np.sort(np.concatenate(found))  # sort + neighbour test: np.unique's hash
            return rows[np.r_[True, rows[1:] != rows[:-1]]].tolist()  # is slow on 1e5 ints

    def _on_selection(self, fw: go.FigureWidget, points: dict[int, np.ndarray]) -> None:
        rows = self._rows(fw, points)
        if rows is None:
            return
        self._stale_note = ""
        self.selected = rows
        self._update_selection_ui()

    def _on_stale(self, kind: str) -> None:
        self._stale_note = (
            f" <b>A {kind} made before the plot was redrawn was ignored: its points have "
            "moved. Select again.</b>"
        )
        self._update_selection_ui()

    def clear_selection(self) -> None:
        """Forget the selection (the table empties)."""
        self.selected = []
        self._update_selection_ui()

    def _update_selection_ui(self) -> None:
        n = len(self.selected)
        self.selection_count.value = (
            f"<b>selected: {n:,}</b> <span style='font-size:11px;color:#555'>(box/lasso on the "
            f"plot; double-click it to clear)</span>{self._stale_note}"
        )
        if not n:
            self.selection_table.value = ""
            return
        header = ["#", "label", "sentence"] if self.labels is not None else ["#", "sentence"]
        rows = [
            [i, self.labels[i], self.texts[i]] if self.labels is not None else [i, self.texts[i]]
            for i in self.selected[:MAX_ROWS]
        ]
        self.selection_table.value = html_table(header, rows, total=n)

    def _on_click(self, fw: go.FigureWidget, trace: int, point: Any) -> None:
        rows = self._rows(fw, {trace: np.array([int(point)])})
        if not rows:
            return
        self.clicked = rows[0]
        for callback in self._point_callbacks:
            callback(self.clicked)

    def on_point(self, callback: Callable[[int], Any]) -> None:
        """Call ``callback(row)`` whenever a point is clicked."""
        self._point_callbacks.append(callback)

    # -- table -------------------------------------------------------------------------------

    def to_pandas(self, selected_only: bool = False) -> pd.DataFrame:
        """The points as a table: row, text, label, x, y[, z], selected.

        ``x``, ``y`` (and ``z`` for a 3-D projection) are the coordinates drawn now (PCA until
        UMAP is ready: see ``projection.method``); ``selected`` is the current box/lasso
        selection. ``label`` is None without labels. The provenance and projection lines are
        in ``df.attrs``.

        Parameters
        ----------
        selected_only : bool
            Only the selected rows.

        Returns
        -------
        pandas.DataFrame
            One row per sentence (N rows, or the selection), in input order.
        """
        from smallbert_viz.views.export import require_pandas

        owner = f"{type(self).__name__}.to_pandas"
        if not isinstance(selected_only, bool | np.bool_):
            raise TypeError(
                f"The 'selected_only' parameter of {owner} must be a bool. Got "
                f"{type(selected_only).__name__} instead."
            )
        pd = require_pandas(owner)
        with self._lock:
            coords = np.asarray(self.projection.coords, dtype=np.float64)
            selected = np.zeros(len(self.texts), dtype=bool)
            selected[np.asarray(self.selected, dtype=np.int64)] = True
            projection_line = self.projection.describe()
        columns: dict[str, Any] = {
            "row": np.arange(len(self.texts), dtype=np.int64),
            "text": list(self.texts),
            "label": list(self.labels) if self.labels is not None else [None] * len(self.texts),
        }
        for axis, name in enumerate("xyz"[: coords.shape[1]]):
            columns[name] = coords[:, axis]
        columns["selected"] = selected
        df = pd.DataFrame(columns)
        if selected_only:
            df = df[df["selected"]].reset_index(drop=True)
        df.attrs["provenance"] = self._prov.describe()
        df.attrs["projection"] = projection_line
        return df

    # -- query -------------------------------------------------------------------------------

    def query(self, text: str, *, k: int | None = None) -> Neighbors:
        """Embed ``text`` with the model and highlight its ``k`` nearest sentences.

        Returns
        -------
        Neighbors
            ``indices`` and ``scores`` of shape (1, k).
        """
        from smallbert_viz.analysis import query_neighbors

        owner = "ProjectionExplorer.query"
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{owner} needs a non-empty str. Got {text!r} instead.")
        if self.spec is None:
            raise ValueError(
                f"{owner} needs a model to embed the query: pass model= (and the pooling of the "
                "embeddings)."
            )
        k = self.k if k is None else check_int("k", k, owner, low=1, high=len(self.texts))
        vector = np.asarray(self.spec.embed([text]), np.float32)
        result = query_neighbors(vector, self.embeddings, k=k, metric=self.metric)
        with self._lock:
            self.query_result = result
            self.highlighted = result.indices[0].copy()
            self._redraw()
        rows = [
            [int(i), f"{s:.4f}", self.texts[int(i)]]
            for i, s in zip(result.indices[0], result.scores[0], strict=True)
        ]
        self.query_table.value = (
            f"<div style='font-size:12px'><b>query:</b> {escape(text)} \u2014 {k} nearest by "
            f"{escape(self.metric)}</div>" + html_table(["#", self.metric, "sentence"], rows)
        )
        return result

    def clear_query(self) -> None:
        """Remove the query's highlight."""
        with self._lock:
            self.query_result = None
            self.highlighted = np.zeros(0, dtype=np.int64)
            self._redraw()
        self.query_table.value = ""
