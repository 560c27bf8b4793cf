"""projection_scatter: traces per label, WebGL switch, customdata, hover, highlight, payload."""

from __future__ import annotations

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.figures import projection_scatter
from smallbert_viz.figures.projection import HOVER_MAX_CHARS, WEBGL_THRESHOLD

WORDS = (
    "the a model sentence embedding quick brown fox jumps over lazy dog attention similarity "
    "transformer token layer head cluster query neighbour river bank money"
).split()


def corpus(n: int, rng: np.random.Generator, min_words: int = 4, max_words: int = 30) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=rng.integers(min_words, max_words))) for _ in range(n)]


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_single_trace_carries_coords_and_row_index(rng):
    coords = rng.normal(size=(50, 2))
    fig = projection_scatter(coords, corpus(50, rng))
    assert len(fig.data) == 1
    trace = fig.data[0]
    assert isinstance(trace, go.Scatter)
    np.testing.assert_array_equal(trace.x, coords[:, 0].astype(np.float32))
    np.testing.assert_array_equal(trace.y, coords[:, 1].astype(np.float32))
    np.testing.assert_array_equal(trace.customdata, np.arange(50))
    assert trace.customdata.dtype == np.int32


def test_one_trace_per_label_in_first_appearance_order(rng):
    n = 200
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    labels = [str(v) for v in rng.choice(["beta", "alpha", "gamma"], size=n)]
    fig = projection_scatter(coords, corpus(n, rng), labels=labels)
    first_seen = list(dict.fromkeys(labels))
    assert [t.name for t in fig.data] == first_seen
    seen = []
    for trace in fig.data:
        rows = np.asarray(trace.customdata)
        assert all(labels[r] == trace.name for r in rows)
        # Every point maps back to its own row's coordinates.
        np.testing.assert_array_equal(trace.x, coords[rows, 0])
        np.testing.assert_array_equal(trace.y, coords[rows, 1])
        seen.extend(rows.tolist())
    assert sorted(seen) == list(range(n))


def test_webgl_above_threshold_only(rng):
    small = projection_scatter(rng.normal(size=(WEBGL_THRESHOLD, 2)), ["x"] * WEBGL_THRESHOLD)
    big = projection_scatter(
        rng.normal(size=(WEBGL_THRESHOLD + 1, 2)),
        ["x"] * (WEBGL_THRESHOLD + 1),
        labels=["a", "b"] * (WEBGL_THRESHOLD // 2) + ["a"],
        highlight=[0],
    )
    assert all(isinstance(t, go.Scatter) for t in small.data)
    assert all(isinstance(t, go.Scattergl) for t in big.data)


def test_three_columns_give_scatter3d(rng):
    coords = rng.normal(size=(30, 3))
    fig = projection_scatter(coords, corpus(30, rng), labels=["a"] * 15 + ["b"] * 15)
    assert [type(t) for t in fig.data] == [go.Scatter3d, go.Scatter3d]
    np.testing.assert_array_equal(fig.data[1].z, coords[15:, 2].astype(np.float32))
    assert fig.layout.scene.zaxis.title.text == "dim 3"


def test_highlight_is_an_extra_outlined_trace(rng):
    n = 40
    coords = rng.normal(size=(n, 2))
    fig = projection_scatter(coords, corpus(n, rng), highlight=[7, 3, 7, 12])
    assert len(fig.data) == 2
    base, hl = fig.data
    assert hl.name == "highlighted"
    np.testing.assert_array_equal(hl.customdata, [3, 7, 12])
    np.testing.assert_array_equal(hl.x, coords[[3, 7, 12], 0].astype(np.float32))
    assert hl.marker.size > base.marker.size
    assert hl.marker.line.width > 0
    with pytest.raises(ValueError, match=r"row indices in \[0, 39\]. Got 40"):
        projection_scatter(coords, corpus(n, rng), highlight=[1, 40])


def test_hover_is_escaped_truncated_text_and_label(rng, evil, fill_hover, displayed):
    long = "word " * 100
    texts = [evil, long.strip(), "Up 5% on $SPX"]
    labels = ["<b>L</b>", "%{x}", "plain"]
    fig = projection_scatter(rng.normal(size=(3, 2)), texts, labels=labels)
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"&lt;b&gt;L&lt;/b&gt;", "&#37;{x}", "plain"}
    for trace in fig.data:
        # Only the builder's own placeholders are in the templates.
        assert set(re.findall(r"%\{(\w+)", trace.hovertemplate)) <= {"hovertext", "customdata"}
    t0 = by_name["&lt;b&gt;L&lt;/b&gt;"]
    shown = displayed(fill_hover(t0.hovertemplate, hovertext=t0.hovertext[0], customdata=0))
    assert evil in shown and "label: <b>L</b>" in shown
    t1 = by_name["&#37;{x}"]
    shown = displayed(fill_hover(t1.hovertemplate, hovertext=t1.hovertext[0], customdata=1))
    assert "label: %{x}" in shown
    text_part = " ".join(displayed(t1.hovertext[0]).split())
    assert len(text_part) <= HOVER_MAX_CHARS and text_part.endswith("\u2026")
    assert displayed(by_name["plain"].hovertext[0]) == "Up 5% on $SPX"


def test_user_text_never_reaches_plotly_as_markup(rng, evil, figure_strings):
    fig = projection_scatter(
        rng.normal(size=(4, 2)),
        [evil] * 4,
        labels=[evil, "a", evil, "a"],
        highlight=[0],
        provenance=evil,
        method_description=evil,
        title=evil,
    )
    strings = figure_strings(fig)
    assert not any("<img" in s for s in strings)
    assert sum("&lt;img" in s for s in strings) >= 6


def test_provenance_and_method_in_subtitle(rng):
    fig = projection_scatter(
        rng.normal(size=(5, 2)),
        corpus(5, rng),
        provenance="model: m | pooling: cls",
        method_description="UMAP n_neighbors=15 min_dist=0.1 seed=0",
    )
    sub = fig.layout.title.subtitle.text
    assert sub == "5 points; UMAP n_neighbors=15 min_dist=0.1 seed=0<br>model: m | pooling: cls"
    assert fig.layout.title.text == "Sentence embeddings, 2-D projection"


@pytest.mark.slow
def test_50k_points_stay_small_and_webgl(rng):
    # Adversarial text length: every sentence ~300 characters, 12 labels, 10 highlighted.
    n = 50_000
    texts = corpus(n, rng, min_words=45, max_words=50)
    assert min(len(t) for t in texts) > 200
    labels = [f"cluster {i % 12}" for i in range(n)]
    fig = projection_scatter(
        rng.normal(size=(n, 2)), texts, labels=labels, highlight=np.arange(10), provenance="p"
    )
    assert len(fig.data) == 13 and all(isinstance(t, go.Scattergl) for t in fig.data)
    payload = fig.to_json()
    assert len(payload) < 8_000_000  # measured 7.0 MB (1.5 MB gzipped)
    spec = json.loads(payload)
    assert spec["data"][0]["x"]["dtype"] == "f4" and spec["data"][0]["customdata"]["dtype"] == "i4"
    longest = max(len(h) for t in fig.data for h in t.hovertext)
    assert longest < 130  # 100 characters above 20,000 points, plus <br> and ellipsis


@pytest.mark.parametrize(
    ("coords", "texts", "kwargs", "error", "match"),
    [
        (np.zeros((3, 4)), ["a"] * 3, {}, ValueError, "must have 2 or 3 columns"),
        (np.zeros(3), ["a"] * 3, {}, ValueError, "must be a 2-D array"),
        (np.zeros((3, 2)), ["a"] * 2, {}, ValueError, "'texts' parameter"),
        (np.zeros((3, 2)), ["a"] * 3, {"labels": ["x"]}, ValueError, "'labels' parameter"),
        (np.zeros((3, 2)), ["a"] * 3, {"highlight": [0.5]}, TypeError, "'highlight' parameter"),
    ],
)
def test_bad_arguments(coords, texts, kwargs, error, match):
    with pytest.raises(error, match=match):
        projection_scatter(coords, texts, **kwargs)


def test_too_many_labels_refused_with_hint():
    n = 300
    with pytest.raises(ValueError, match="at most 256 distinct values.*group rare labels"):
        projection_scatter(np.zeros((n, 2)), ["t"] * n, labels=[str(i) for i in range(n)])


def test_serializes_to_html(rng):
    for dims in (2, 3):
        fig = projection_scatter(rng.normal(size=(10, dims)), corpus(10, rng), highlight=[1])
        assert "Plotly.newPlot" in fig.to_html(include_plotlyjs=False, full_html=False)
