"""trust_scatter: colour by trust, row indices kept through the drawing order, escaped hover."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.analysis.trust import projection_trust
from smallbert_viz.figures import trust_scatter


@pytest.fixture
def layout():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 12)).astype(np.float32)
    coords = x[:, :2] + 0.5 * rng.normal(size=(60, 2))
    texts = [f"sentence {i}" for i in range(60)]
    return x, coords, texts


def test_points_keep_their_row_coords_and_trust(layout):
    x, coords, texts = layout
    trust = projection_trust(x, coords, k=5, method="exact")
    fig = trust_scatter(coords, texts, trust, k=5)
    assert len(fig.data) == 1
    trace = fig.data[0]
    assert isinstance(trace, go.Scatter)
    rows = np.asarray(trace.customdata)
    assert sorted(rows) == list(range(60)) and rows.dtype == np.int32
    np.testing.assert_array_equal(trace.x, coords[rows, 0].astype(np.float32))
    np.testing.assert_array_equal(trace.y, coords[rows, 1].astype(np.float32))
    np.testing.assert_array_equal(trace.marker.color, trust[rows].astype(np.float32))
    assert list(trace.hovertext) == [f"sentence {r}" for r in rows]
    # least trusted drawn last, i.e. on top
    assert (np.diff(np.asarray(trace.marker.color)) <= 0).all()
    assert (trace.marker.cmin, trace.marker.cmax) == (0.0, 1.0)
    assert trace.marker.colorbar.title.text == "trust"


def test_subtitle_has_mean_trust_k_and_method(layout):
    _, coords, texts = layout
    trust = np.linspace(0, 1, 60)
    fig = trust_scatter(
        coords, texts, trust, k=10, provenance="model: m", method_description="UMAP; exact"
    )
    sub = fig.layout.title.subtitle.text
    assert sub == "60 points; mean trust 0.50 (k = 10 neighbours); UMAP; exact<br>model: m"
    assert fig.layout.title.text == "How far to trust the layout"


def test_hover_shows_escaped_text_and_the_value(layout, evil, displayed):
    _, coords, texts = layout
    texts = [evil] + texts[1:]
    trust = np.full(60, 0.9)
    trust[0] = 0.25
    trace = trust_scatter(coords, texts, trust).data[0]
    last = len(trace.x) - 1  # the least trusted point, row 0, is drawn last
    assert trace.customdata[last] == 0
    template = trace.hovertemplate
    assert "%{marker.color:.2f}" in template
    filled = template.replace("%{hovertext}", trace.hovertext[last])
    filled = filled.replace("%{customdata}", "0").replace("%{marker.color:.2f}", "0.25")
    assert displayed(filled) == f"{evil}\n#0 · trust 0.25"


def test_3d_and_webgl(layout):
    rng = np.random.default_rng(0)
    big = rng.normal(size=(2_500, 2))
    fig = trust_scatter(big, ["t"] * 2_500, rng.uniform(size=2_500))
    assert isinstance(fig.data[0], go.Scattergl)
    fig3 = trust_scatter(rng.normal(size=(5, 3)), ["t"] * 5, np.ones(5))
    assert isinstance(fig3.data[0], go.Scatter3d)
    assert "Plotly.newPlot" in fig3.to_html(include_plotlyjs=False, full_html=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"trust": np.ones(3)}, ValueError, "'trust'.*one value per row"),
        ({"trust": np.full(4, 1.5)}, ValueError, r"'trust'.*\[0, 1\]"),
        ({"trust": np.full(4, np.nan)}, ValueError, r"'trust'.*\[0, 1\]"),
        ({"coords": np.zeros((4, 5))}, ValueError, "trust_scatter.*shape"),
        ({"texts": ["a"]}, ValueError, "'texts'"),
        ({"k": 0}, ValueError, "'k'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = {"coords": np.zeros((4, 2)), "texts": ["a"] * 4, "trust": np.ones(4)} | kwargs
    with pytest.raises(error, match=match):
        trust_scatter(args.pop("coords"), args.pop("texts"), args.pop("trust"), **args)
