"""Shared helpers of the figure builders: safe user text, provenance subtitle, one template.

User text (sentences, tokens, labels) reaches plotly in hover text, tick labels, category names
and text marks. plotly.js renders a subset of HTML there (``<b>``, ``<br>``, ``<a href>``,
``<span style>``), decodes HTML entities, expands ``%{...}`` in templates and hands ``$...$`` to
MathJax when it is loaded. :func:`escape_text` neutralises all four, so a sentence always shows
as the characters the user typed: ``<`` ``>`` ``&`` become ``&lt;`` ``&gt;`` ``&amp;``, and
``"`` ``'`` ``$`` ``%`` become the numeric ``&#34;`` ``&#39;`` ``&#36;`` ``&#37;``; plotly.js turns
them back into the same characters when it draws them. (plotly.js decodes numeric entities and
only a few named ones: ``&quot;`` would show literally.)

Order matters: truncate or wrap the raw text first, then escape each piece, so that no entity is
ever cut in half and every ``<br>`` we insert is the only markup in the string.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # plotly is imported by the builders themselves
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

#: The template every builder uses (a built-in plotly template: nothing registered at import).
TEMPLATE = "plotly_white"
#: Light grey used for masked cells and outlines.
MASK_GREY = "#d9d9d9"
ELLIPSIS = "\u2026"
#: Characters escape_text writes as numeric entities (the only kind plotly.js decodes besides a
#: handful of named ones).
_NUMERIC = str.maketrans({c: f"&#{ord(c)};" for c in "\"'$%"})


def escape_text(text: Any) -> str:
    """Return ``text`` as a string that plotly.js displays literally (see module docstring)."""
    escaped = html.escape(str(text), quote=False)
    return escaped.translate(_NUMERIC)


def _squash(text: Any) -> str:
    """Collapse runs of whitespace (newlines, tabs) to single spaces: SVG text ignores them."""
    return " ".join(str(text).split())


def truncate(text: Any, max_chars: int) -> str:
    """Return raw ``text`` cut to at most ``max_chars`` characters, ending in an ellipsis if cut."""
    text = _squash(text)
    if len(text) <= max_chars:
        return text
    return text[: max(max_chars - 1, 0)].rstrip() + ELLIPSIS


def safe_short(text: Any, max_chars: int) -> str:
    """Truncate then escape: for tick labels and compact hover text."""
    return escape_text(truncate(text, max_chars))


def safe_wrapped(text: Any, width: int = 80, max_chars: int | None = None) -> str:
    """Escape ``text`` and break it into lines of about ``width`` characters joined by ``<br>``.

    Long words are broken too, so a 500-character URL cannot make a hover box wider than the
    screen. ``max_chars`` optionally truncates first.
    """
    raw = _squash(text) if max_chars is None else truncate(text, max_chars)
    lines = textwrap.wrap(raw, width=width, break_long_words=True, break_on_hyphens=False)
    return "<br>".join(escape_text(line) for line in lines) if lines else ""


def as_float32(array: Any, name: str, owner: str, *, ndim: int | Sequence[int]) -> np.ndarray:
    """Return ``array`` as a C-contiguous float32 ndarray of the given rank, or raise.

    float32 halves the base64 payload plotly writes for numpy arrays; plotly.js cannot read
    float16 typed arrays (plotly.py falls back to a JSON list for them, which is larger).
    """
    arr = np.asarray(array)
    dims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a {want} array. Got an array of shape "
            f"{arr.shape} instead."
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(
            f"The {name!r} parameter of {owner} must hold numbers. Got dtype {arr.dtype} instead."
        )
    return np.ascontiguousarray(arr, dtype=np.float32)


def token_categories(tokens: Sequence[str], max_chars: int = 30) -> tuple[list[str], list[str]]:
    """Return (unique category names for hover, short tick texts) for a token axis.

    plotly merges equal category names, so two ``the`` tokens would share one row. The
    category therefore carries the position (``"the (#3)"``) and the axis shows only the token
    through ``tickvals``/``ticktext``.
    """
    cats = [f"{safe_short(t, max_chars)} (#{i})" for i, t in enumerate(tokens)]
    ticks = [safe_short(t, max_chars) for t in tokens]
    return cats, ticks


#: Width (px) a figure is laid out for when it sets none: a Jupyter cell's output area.
NOTEBOOK_WIDTH = 900
TITLE_SIZE = 16
SUBTITLE_SIZE = 11
#: Average advance of one character as a share of the font size. Open Sans measures about 0.5
#: in Chromium; 0.6 leaves room for capitals, digits and wider fallback fonts.
CHAR_EM = 0.6
#: Title geometry in px (measured in Chromium with plotly.js 3): the title's top, the first
#: subtitle line's top, and the line heights of each.
_TITLE_TOP = 8
_SUBTITLE_TOP = 32
_TITLE_LINE = 21
_SUBTITLE_LINE = 15
_GAP = 12
#: The top margin a builder's ``height`` was chosen for (title and a two-line subtitle).
_ASSUMED_TOP = 92
#: Room (px) for one line of text placed just above the plot area (panel titles, headers).
_HEADER_PAD = 20
#: Left and right padding of the title block inside the figure.
_PAD = 10


def chars_per_line(width_px: float, font_size: float) -> int:
    """How many characters of ``font_size`` fit on a line ``width_px`` wide (see ``CHAR_EM``)."""
    return max(20, int(width_px / (font_size * CHAR_EM)))


def rewrap_markup(markup: str, width: int) -> list[str]:
    """Re-wrap builder-made markup (escaped lines joined by ``<br>``) to ``width`` characters.

    Each line is unescaped, wrapped at word boundaries (long words broken) and escaped again,
    so an entity is never split and the only markup in the result is the ``<br>`` we join with.
    """
    out: list[str] = []
    for line in markup.split("<br>"):
        raw = _squash(html.unescape(line))
        if raw:
            out.extend(
                escape_text(piece)
                for piece in textwrap.wrap(
                    raw, width=width, break_long_words=True, break_on_hyphens=False
                )
            )
    return out


def _above_plot(annotation: Any) -> bool:
    """Whether ``annotation`` sits on top of the plot area, in the top margin."""
    return (
        annotation.yref == "paper"
        and annotation.yanchor == "bottom"
        and annotation.y is not None
        and annotation.y >= 0.999
    )


def apply_layout(
    fig: go.Figure,
    *,
    title: str,
    provenance: Provenance | str | None,
    extra_subtitle: str | None = None,
    top_pad: int = 0,
) -> go.Figure:
    """Set the template, the title and the provenance subtitle of ``fig``; return ``fig``.

    ``title`` and ``provenance`` (a ``Provenance`` or a str) are escaped here: both may carry
    user-chosen strings.
    ``extra_subtitle`` is builder-made text (already escaped, lines joined by ``<br>``) shown
    before the provenance.

    SVG text does not wrap, so title and subtitle are broken into lines at word boundaries for
    the figure's width (``fig.layout.width``, or ``NOTEBOOK_WIDTH`` when unset), and the top
    margin grows to hold every line. Annotations already on ``fig`` that sit on top of the plot
    area (make_subplots' panel titles) get a line of room below the subtitle; ``top_pad``
    reserves more px for other text a builder puts there.
    """
    if provenance is not None and not isinstance(provenance, str):
        from smallbert_viz.provenance import Provenance

        if not isinstance(provenance, Provenance):
            raise TypeError(
                "The 'provenance' parameter of a figure builder must be a Provenance or a str "
                f"(e.g. model.provenance()). Got {type(provenance).__name__} instead."
            )
        provenance = provenance.describe()
    if any(_above_plot(a) for a in fig.layout.annotations):
        top_pad = max(top_pad, _HEADER_PAD)  # e.g. make_subplots' first row of panel titles
    width = fig.layout.width or NOTEBOOK_WIDTH
    room = width - 2 * _PAD
    sub_lines: list[str] = []
    if extra_subtitle:
        sub_lines += rewrap_markup(extra_subtitle, chars_per_line(room, SUBTITLE_SIZE))
    if provenance:
        sub_lines += rewrap_markup(escape_text(provenance), chars_per_line(room, SUBTITLE_SIZE))
    title_lines = rewrap_markup(escape_text(title), chars_per_line(room, TITLE_SIZE))
    title_lines = title_lines or [""]
    extra_title = _TITLE_LINE * (len(title_lines) - 1)
    top = _SUBTITLE_TOP + extra_title + _SUBTITLE_LINE * len(sub_lines) + _GAP + top_pad
    if fig.layout.height is not None:
        # Builders size the figure for a two-line subtitle; more lines must not eat the plot.
        # A figure laid out before (one builder reusing another) first gives back that growth.
        before = fig.layout.margin.t if fig.layout.title.subtitle.text is not None else None
        grown = max(0, before - _ASSUMED_TOP) if before is not None else 0
        fig.update_layout(height=fig.layout.height - grown + max(0, top - _ASSUMED_TOP))
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": "<br>".join(title_lines),
            "font": {"size": TITLE_SIZE},
            "subtitle": {
                "text": "<br>".join(sub_lines),
                "font": {"size": SUBTITLE_SIZE, "color": "#555"},
            },
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "y": 1.0,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": _TITLE_TOP, "l": _PAD},
        },
        margin={"t": top},
    )
    return fig
