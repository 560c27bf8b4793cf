"""Helpers shared by the figure tests: walk a figure's strings, fill a hover template."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

#: A sentence that would run script if any builder let it through as HTML.
EVIL = "<img src=x onerror=alert(1)>"


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _strings(value)
    elif isinstance(obj, list | tuple) or (isinstance(obj, np.ndarray) and obj.dtype == object):
        for value in obj:
            yield from _strings(value)


@pytest.fixture
def figure_strings() -> Callable[[Any], list[str]]:
    """Every str in a figure (data and layout, template excluded), as plotly.js receives it."""

    def collect(fig: Any) -> list[str]:
        spec = fig.to_plotly_json()
        spec["layout"].pop("template", None)
        return list(_strings(spec))

    return collect


@pytest.fixture
def fill_hover() -> Callable[..., str]:
    """Fill a plotly hovertemplate as plotly.js would for one point.

    Supports ``%{name}`` and ``%{name:.Nf}`` / ``%{name:.Ng}``, the forms the builders use.
    Raises if a placeholder has no value, so a template mentioning unknown fields fails.
    """

    def fill(template: str, **values: Any) -> str:
        def sub(match: re.Match) -> str:
            name, fmt = match.group(1), match.group(2)
            value = values[name]
            return format(value, fmt[1:]) if fmt else str(value)

        return re.sub(r"%\{(\w+)(:[^}]*)?\}", sub, template)

    return fill


@pytest.fixture
def displayed() -> Callable[[str], str]:
    """What plotly.js shows for a pseudo-HTML string: <br> as newline, entities decoded."""

    def show(text: str) -> str:
        text = text.replace("<extra></extra>", "")
        assert "<" not in text.replace("<br>", "").replace("<b>", "").replace("</b>", ""), text
        return html.unescape(text.replace("<br>", "\n").replace("<b>", "").replace("</b>", ""))

    return show


@pytest.fixture
def evil() -> str:
    return EVIL
