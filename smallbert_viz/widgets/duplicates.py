"""``DuplicatesPanel``: near-duplicate pairs as a table, one pair picked to highlight it.

A small widget shared by :class:`~smallbert_viz.widgets.projection.ProjectionExplorer` (below its
scatter) and the linked :class:`~smallbert_viz.widgets.explorer.Explorer` (a tab). It computes
nothing: its owner runs ``near_duplicates`` (through the views) when "find" is pressed and hands
the :class:`~smallbert_viz.analysis.NearDuplicates` to :meth:`DuplicatesPanel.show`.

An ``ipywidgets.HTML`` table cannot report clicks without JavaScript of our own, so the pairs are
also listed in a ``Select``: picking one calls the owner's pair callback (the scatter highlights
the two points). The table's cells go through ``html.escape``; the ``Select`` shows its options as
text, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smallbert_viz.widgets._base import escape
from smallbert_viz.widgets._table import MAX_ROWS, html_table

if TYPE_CHECKING:
    from smallbert_viz.analysis import NearDuplicates

#: Characters of each sentence shown in the pair list (the table shows them whole).
PREVIEW_CHARS = 48


class DuplicatesPanel(widgets.VBox):
    """Threshold control, "find" button, pair list and escaped table of near-duplicates.

    Parameters
    ----------
    texts : list of str
        The corpus the pairs' row numbers refer to.
    threshold : float
        Initial cosine threshold shown on the slider.

    Attributes
    ----------
    result : NearDuplicates or None
        The pairs shown (None before the first search).
    picked : tuple of (int, int) or None
        The pair picked in the list.
    """

    def __init__(self, texts: list[str], *, threshold: float) -> None:
        super().__init__()
        self.texts = texts
        self.result: NearDuplicates | None = None
        self.picked: tuple[int, int] | None = None
        self._find_callbacks: list[Callable[[float], Any]] = []
        self._pair_callbacks: list[Callable[[int, int], Any]] = []
        self.threshold_control = widgets.FloatSlider(
            value=threshold,
            min=0.5,
            max=1.0,
            step=0.005,
            readout_format=".3f",
            description="cosine \u2265",
            continuous_update=False,
        )
        self.find_button = widgets.Button(
            description="find near-duplicates",
            icon="clone",
            tooltip="every pair of sentences at or above the cosine threshold",
            layout=widgets.Layout(width="auto"),
        )
        self.find_button.on_click(lambda _b: self._find())
        self.summary = widgets.HTML()
        self.pair_list = widgets.Select(options=[], rows=6, layout=widgets.Layout(width="100%"))
        self.pair_list.layout.display = "none"
        self.pair_list.observe(self._on_pick, names="value")
        self.table = widgets.HTML()
        self.table.add_class("smallbert-viz-duplicates-table")
        self.children = [
            widgets.HBox([self.threshold_control, self.find_button]),
            self.summary,
            self.pair_list,
            self.table,
        ]
        self.add_class("smallbert-viz-duplicates")

    def on_find(self, callback: Callable[[float], Any]) -> None:
        """Call ``callback(threshold)`` when "find" is pressed."""
        self._find_callbacks.append(callback)

    def on_pair(self, callback: Callable[[int, int], Any]) -> None:
        """Call ``callback(i, j)`` when a pair is picked in the list."""
        self._pair_callbacks.append(callback)

    def _find(self) -> None:
        for callback in self._find_callbacks:
            callback(float(self.threshold_control.value))

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change["new"] is None or self.result is None:
            return
        i, j = (int(v) for v in self.result.pairs[change["new"]])
        self.picked = (i, j)
        for callback in self._pair_callbacks:
            callback(i, j)

    def show(self, result: NearDuplicates, *, description: str = "") -> None:
        """List ``result``'s pairs (the first ``MAX_ROWS``; all are counted).

        ``description``: how the pairs were found, shown after the counts.
        """
        self.result = result
        self.picked = None
        self.threshold_control.value = min(max(result.threshold, 0.5), 1.0)
        counts = result.counts
        note = (
            f"<b>{len(result):,} pairs</b> at cosine \u2265 {result.threshold:.3f} "
            f"({counts['lexical']:,} lexical: nearly the same words; {counts['semantic']:,} "
            f"semantic: different words)"
        )
        if description:
            note += f" \u2014 {escape(description)}"
        if len(result):
            note += " <i>Pick a pair to highlight it on the projection.</i>"
        self.summary.value = f"<div style='font-size:12px'>{note}</div>"
        rows = result.rows[:MAX_ROWS]
        self.pair_list.unobserve(self._on_pick, names="value")
        try:
            self.pair_list.options = [(self._option(*row), r) for r, row in enumerate(rows)]
            self.pair_list.value = None
        finally:
            self.pair_list.observe(self._on_pick, names="value")
        self.pair_list.layout.display = None if rows else "none"
        self.table.value = (
            html_table(
                ["#i", "sentence i", "#j", "sentence j", "cosine", "kind"],
                [
                    [i, self.texts[i], j, self.texts[j], f"{score:.4f}", kind]
                    for i, j, score, kind in rows
                ],
                total=len(result),
            )
            if rows
            else ""
        )

    def _option(self, i: int, j: int, score: float, kind: str) -> str:
        return f"{score:.3f} {kind:<8} #{i} {_preview(self.texts[i])} \u2194 #{j} " + _preview(
            self.texts[j]
        )


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "\u2026"
