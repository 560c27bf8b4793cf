"""Small escaped HTML tables for ipywidgets.HTML: every cell goes through html.escape."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smallbert_viz.widgets._base import escape

#: Rows shown at most; the rest is counted ("... and 1,234 more").
MAX_ROWS = 200

_STYLE = "border-collapse:collapse;font-size:12px;width:100%;table-layout:auto;text-align:left"
_CELL = "border-bottom:1px solid #eee;padding:2px 6px;vertical-align:top"


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, total: int | None = None
) -> str:
    """An HTML table of ``rows`` (each cell escaped), at most ``MAX_ROWS`` of them.

    ``total`` is the full number of rows when ``rows`` was already cut.
    """
    total = len(rows) if total is None else total
    head = "".join(f"<th style='{_CELL}'>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td style='{_CELL}'>{escape(c)}</td>" for c in row) + "</tr>"
        for row in rows[:MAX_ROWS]
    )
    more = total - min(len(rows), MAX_ROWS)
    tail = f"<div style='font-size:11px;color:#555'>\u2026 and {more:,} more</div>" if more else ""
    return (
        f"<div style='max-height:320px;overflow:auto'><table style='{_STYLE}'>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{tail}"
    )
