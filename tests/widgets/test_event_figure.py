"""EventFigureWidget: plotly's front end plus click and selection traits that hovers never write.

The browser half (the JS really sends these events, and a hover right after a lasso does not
lose them) is tested in JupyterLab by ``test_jupyterlab.py``.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.widgets._base import figure_widget
from smallbert_viz.widgets._event_figure import STATIC, EventFigureWidget, plotly_esm

from .events import EVIL, click, deselect, error_text, select


def _scatter() -> EventFigureWidget:
    fig = go.Figure(
        [
            go.Scatter(x=[0, 1, 2], y=[0, 1, 2], customdata=[0, 1, 2]),
            go.Scatter(x=[3, 4], y=[3, 4], customdata=[3, 4]),
        ]
    )
    return figure_widget(fig)


@pytest.fixture
def explorer():
    from smallbert_viz.widgets import ProjectionExplorer

    texts = [f"sentence {i}" for i in range(11)] + [EVIL]
    labels = ["a", "b", "c"] * 4
    emb = np.random.default_rng(0).normal(size=(12, 16)).astype(np.float32)
    return ProjectionExplorer(
        texts, labels=labels, embeddings=emb, provenance="random", method="pca"
    )


def test_figure_widget_is_an_event_figure_widget_running_plotlys_front_end():
    fw = _scatter()
    assert isinstance(fw, EventFigureWidget) and isinstance(fw, go.FigureWidget)
    # plotly's own bundle travels in a trait; ours is the module anywidget loads.
    assert fw._plotly_esm == str(go.FigureWidget._esm) == plotly_esm()
    assert "FigureModel" in fw._plotly_esm and len(fw._plotly_esm) > 1_000_000
    ours = str(fw._esm)
    assert ours == (STATIC / "event_figure.js").read_text(encoding="utf-8")
    state = fw.get_state()
    for trait in ("_plotly_esm", "_sbv_click", "_sbv_selection"):
        assert trait in state, trait


def test_the_js_sets_exactly_the_traits_python_listens_to():
    js = (STATIC / "event_figure.js").read_text(encoding="utf-8")
    named = set(re.findall(r'"(_sbv_\w+)"', js))
    synced = {name for name in EventFigureWidget.class_trait_names(sync=True) if "_sbv_" in name}
    assert named == synced == {"_sbv_click", "_sbv_selection", "_sbv_draw", "_sbv_large"}
    assert 'model.get("_sbv_large")' in js  # the large path is read there, set by Python
    assert 'model.get("_sbv_draw")' in js  # read there, written only by Python
    assert 'model.get("_plotly_esm")' in js
    # Listeners go on after plotly's own (it announces them), on plotly.js's public events.
    for event in (
        "plotlywidget-after-render",
        "plotly_selected",
        "plotly_deselect",
        "plotly_click",
    ):
        assert event in js, event


def test_click_and_selection_callbacks_get_trace_and_point_numbers():
    fw = _scatter()
    clicks, selections = [], []
    fw.on_point_click(lambda t, p: clicks.append((t, p)))
    fw.on_points_selected(selections.append)
    click(fw, 1, 0)
    click(fw, 1, 0)  # the same point twice is two clicks
    select(fw, [(0, 2), (1, 1)])
    deselect(fw)
    assert clicks == [(1, 0), (1, 0)]
    first, cleared = selections
    assert sorted(first) == [0, 1] and cleared == {}
    assert first[0].tolist() == [2] and first[1].tolist() == [1]


def test_setting_a_callback_replaces_the_previous_one():
    fw = _scatter()
    first, second = [], []
    fw.on_point_click(lambda t, p: first.append(p))
    fw.on_point_click(lambda t, p: second.append(p))
    click(fw, 0, 1)
    assert first == [] and second == [1]
    fw.on_point_click(None)
    click(fw, 0, 2)
    assert second == [1]


def test_events_made_on_a_previous_drawing_are_dropped_and_said(explorer):
    fw = explorer.figure_widget
    select(fw, [(0, 0)])
    first = list(explorer.selected)
    # A redraw in place (e.g. UMAP replacing PCA): old point numbers may name other sentences.
    before = fw._sbv_draw
    explorer.refresh()
    now = fw._sbv_draw
    assert explorer.figure_widget is fw and now == before + 1
    fw._sbv_selection = {"id": "late", "draw": before, "traces": [0], "points": [1]}
    assert explorer.selected == first and fw.stale_events == 1
    assert "ignored" in explorer.selection_count.value
    fw._sbv_click = {"id": "late-click", "draw": before, "trace": 0, "point": 3}
    assert explorer.clicked is None and fw.stale_events == 2
    # An event on the current drawing is taken, and the note goes away.
    fw._sbv_selection = {"id": "now", "draw": now, "traces": [0], "points": [3]}
    assert explorer.selected == [int(fw.data[0].customdata[3])]
    assert "ignored" not in explorer.selection_count.value


def test_a_malformed_event_lands_in_the_error_panel(explorer):
    fw = explorer.figure_widget
    fw._sbv_selection = {"id": "bad", "traces": [0, 0], "points": [1]}
    assert "pair every point with its trace" in error_text(explorer)
    fw._sbv_click = {"id": "bad-click", "trace": 0}
    assert "KeyError" in error_text(explorer)


def test_an_event_of_a_replaced_figure_widget_is_ignored(explorer):
    old = explorer.figure_widget
    explorer.colour_control.value = "none"  # fewer traces: the widget is replaced
    explorer.colour_control.value = "label"
    assert explorer.figure_widget is not old
    select(old, [(0, 0)])
    assert explorer.selected == []


def test_big_endian_2d_arrays_keep_plotlys_encoding():
    from smallbert_viz.widgets._event_figure import _py_to_js

    z = np.arange(6, dtype=">f8").reshape(2, 3)
    assert _py_to_js(z, None) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    rows = _py_to_js(z.astype("<f4"), None)
    assert [r["dtype"] for r in rows] == ["float32", "float32"]


def test_points_of_traces_no_longer_drawn_are_ignored(explorer):
    fw = explorer.figure_widget
    n_traces = len(fw.data)
    select(fw, [(0, 0), (n_traces + 3, 0), (0, 10_000)])
    assert explorer.selected == [int(fw.data[0].customdata[0])]
    click(fw, n_traces + 3, 0)
    assert explorer.clicked is None
    assert explorer.last_error is None


@pytest.mark.parametrize("n_points", [50_000])
def test_a_large_selection_is_one_event(n_points):
    from smallbert_viz.widgets import ProjectionExplorer

    texts = [f"s{i}" for i in range(n_points - 1)] + [EVIL]
    emb = np.random.default_rng(0).normal(size=(n_points, 8)).astype(np.float32)
    ex = ProjectionExplorer(texts, embeddings=emb, provenance="random", method="pca")
    fw = ex.figure_widget
    select(fw, [(t, p) for t, tr in enumerate(fw.data) for p in range(len(tr.customdata))])
    assert ex.selected == list(range(n_points))
    assert "selected: 50,000" in ex.selection_count.value
    assert "<img" not in ex.selection_table.value


def test_2d_arrays_travel_as_binary_rows_not_json():
    import json

    from ipywidgets.widgets.widget import _remove_buffers

    z = np.random.default_rng(0).random((500, 400)).astype(np.float32)
    z[3, 7] = np.nan  # a greyed-out cell stays a NaN, not a JSON null or a crash
    fw = figure_widget(go.Figure(go.Heatmap(z=z)))
    state, paths, buffers = _remove_buffers(fw.get_state(["_widget_data"]))
    assert len(json.dumps(state)) < 100_000  # plotly's own serializer: about 4 MB of JSON
    assert len(buffers) == 500 and sum(b.nbytes for b in buffers) == z.nbytes
    rows = [np.frombuffer(b, dtype=np.float32) for b in buffers]
    np.testing.assert_array_equal(np.vstack(rows), z)  # NaN == NaN for assert_array_equal
    # An update (what a threshold or metric change sends) goes the same way.
    sent = []
    fw._send = lambda msg, buffers=None: sent.append((msg, buffers))
    fw.data[0].z = z[::-1]
    keys = ("_py2js_restyle", "_py2js_update")
    (msg, bufs), *_ = [m for m in sent if any(m[0]["state"].get(k) for k in keys)]
    assert len(bufs) == 500 and len(json.dumps(msg)) < 100_000
    # 1-D arrays, int64 and text keep plotly's own encoding.
    plain = figure_widget(go.Figure(go.Scatter(x=np.arange(5), y=np.ones(5), text=list("abcde"))))
    data = plain.get_state(["_widget_data"])["_widget_data"][0]
    assert data["text"] == list("abcde") and data["x"] == [0, 1, 2, 3, 4]
    assert isinstance(data["y"]["buffer"], memoryview)
