"""comparison_scatter: two panels, shared row ids, linked selection, colours, escaping."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.figures import comparison_scatter
from smallbert_viz.figures.compare import selected_points
from smallbert_viz.figures.projection import WEBGL_THRESHOLD


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(30, 2))
    b = a + 0.1 * rng.normal(size=(30, 2))
    texts = [f"sentence number {i}" for i in range(30)]
    overlap = rng.integers(0, 11, 30) / 10
    return a, b, texts, overlap


def test_two_panels_share_row_ids_and_axes(data):
    a, b, texts, overlap = data
    fig = comparison_scatter(a, b, texts, overlap=overlap, names=("L-2", "L-4"), cka=0.5)
    assert isinstance(fig, go.Figure)
    left, right = fig.data
    assert (left.xaxis, right.xaxis) == ("x", "x2")
    np.testing.assert_array_equal(left.customdata, np.arange(30))
    np.testing.assert_array_equal(right.customdata, left.customdata)
    np.testing.assert_allclose(left.x, a[:, 0].astype(np.float32))
    np.testing.assert_allclose(right.y, b[:, 1].astype(np.float32))
    # Coloured by the overlap on one shared 0-1 colour axis.
    np.testing.assert_allclose(left.marker.color, overlap.astype(np.float32))
    assert left.marker.coloraxis == right.marker.coloraxis == "coloraxis"
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0.0, 1.0)
    assert fig.layout.xaxis2.matches == "x" and fig.layout.yaxis2.matches == "y"
    titles = [ann.text for ann in fig.layout.annotations]
    assert titles == ["A: L-2", "B: L-4"]
    subtitle = fig.layout.title.subtitle.text
    assert f"mean share of shared neighbours {overlap.mean():.3f}" in subtitle
    assert "linear CKA 0.500" in subtitle
    assert "shared neighbours: " in left.hovertext[0]


def test_selection_is_set_in_both_panels_and_helper_maps_rows(data):
    a, b, texts, _ = data
    labels = ["odd" if i % 2 else "even" for i in range(30)]
    fig = comparison_scatter(a, b, texts, labels=labels, selected=[1, 4, 7])
    assert len(fig.data) == 4  # two labels x two panels
    names = [t.name for t in fig.data]
    assert names == ["even", "even", "odd", "odd"]
    assert [t.showlegend for t in fig.data] == [True, False, True, False]
    # The same colour for a label in both panels.
    assert fig.data[0].marker.color == fig.data[1].marker.color != fig.data[2].marker.color
    for trace in fig.data:
        chosen = trace.customdata[list(trace.selectedpoints)]
        assert set(chosen) == {1, 4, 7} & set(trace.customdata)
    # What a view does on a selection: row ids -> point positions in every trace.
    sel = selected_points(fig, [0, 3])
    for trace, positions in zip(fig.data, sel, strict=True):
        assert set(trace.customdata[positions]) == {0, 3} & set(trace.customdata)
    assert sel[0] == sel[1]  # panel A and B hold the same rows in the same order


def test_plain_colour_and_webgl_for_many_points():
    rng = np.random.default_rng(0)
    n = WEBGL_THRESHOLD + 1
    xy = rng.normal(size=(n, 2))
    fig = comparison_scatter(xy, xy, ["t"] * n)
    assert all(isinstance(t, go.Scattergl) for t in fig.data)
    assert fig.data[0].selectedpoints is None


def test_user_text_is_escaped(data, evil, figure_strings):
    a, b, _, _ = data
    texts = [evil] * 30
    fig = comparison_scatter(a, b, texts, labels=[evil] * 30, names=(evil, "b"), title=evil)
    assert all("<img" not in s for s in figure_strings(fig))


def test_bad_input(data):
    a, b, texts, overlap = data
    with pytest.raises(ValueError, match=r"shape \(n_texts, 2\).*\(30, 2\) and \(29, 2\)"):
        comparison_scatter(a, b[:29], texts)
    with pytest.raises(ValueError, match=r"30 values in \[0, 1\]"):
        comparison_scatter(a, b, texts, overlap=overlap * 2)
    with pytest.raises(ValueError, match=r"row indices in \[0, 29\]. Got 30"):
        comparison_scatter(a, b, texts, selected=[30])
    with pytest.raises(ValueError, match=r"one entry per panel \(2\). Got 3"):
        comparison_scatter(a, b, texts, names=("a", "b", "c"))
