"""Front-end events as plotly's FigureWidget receives them, and error-panel text."""

from __future__ import annotations

#: A sentence that would run script if any widget let it through as HTML.
EVIL = "<img src=x onerror=alert(1)>"

_DEVICE = {"alt": False, "ctrl": False, "meta": False, "shift": False, "button": 0, "buttons": 1}


def click(fw, trace_index: int, point_index) -> None:
    """Send a plotly_click for one point as the front end does (heatmaps: [row, col])."""
    fw._js2py_pointsCallback = {
        "event_type": "plotly_click",
        "points": {
            "trace_indexes": [trace_index],
            "point_indexes": [point_index],
            "xs": [0],
            "ys": [0],
        },
        "device_state": _DEVICE,
    }


def select(fw, points: list[tuple[int, int]]) -> None:
    """Send a plotly_selected with (trace_index, point_index) pairs, as a lasso would."""
    fw._js2py_pointsCallback = {
        "event_type": "plotly_selected",
        "points": {
            "trace_indexes": [t for t, _ in points],
            "point_indexes": [p for _, p in points],
            "xs": [0.0] * len(points),
            "ys": [0.0] * len(points),
        },
        "selector": {
            "type": "box",
            "selector_state": {"xrange": [0.0, 1.0], "yrange": [0.0, 1.0]},
        },
    }


def deselect(fw) -> None:
    fw._js2py_pointsCallback = {
        "event_type": "plotly_deselect",
        "points": {"trace_indexes": [], "point_indexes": [], "xs": [], "ys": []},
    }


def error_text(widget) -> str:
    """Everything shown in a widget's error panel."""
    return "".join(o.get("text", "") for o in widget.errors.outputs)
