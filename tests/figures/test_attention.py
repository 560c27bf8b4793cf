"""attention_grid, attention_heatmap and head_view: panels, pooling, lines, escaping, sizes."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.figures import attention_grid, attention_heatmap, head_view
from smallbert_viz.figures.attention import (
    GRID_TICK_MAX,
    GRID_TICK_MIN_PX,
    GRID_WIDTH,
    MAX_GRID_CELLS,
)
from smallbert_viz.figures.head_view import OPACITY_STEP


def softmax_probs(rng, shape, sharpness=3.0):
    logits = rng.normal(size=shape) * sharpness
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def tokens_of(n):
    body = ["the", "cat", "<b>sat</b>", "on", "the", "mat"]
    return ["[CLS]"] + [body[i % len(body)] for i in range(n - 2)] + ["[SEP]"]


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def test_grid_has_one_heatmap_per_layer_and_head(rng):
    probs = softmax_probs(rng, (8, 2, 10, 10))
    fig = attention_grid(probs, tokens_of(10), provenance="model: m")
    assert len(fig.data) == 16
    for layer in range(8):
        for head in range(2):
            trace = fig.data[layer * 2 + head]
            assert isinstance(trace, go.Heatmap)
            assert trace.name == f"layer {layer} head {head}"
            np.testing.assert_array_equal(trace.z, probs[layer, head].astype(np.float32))
            # It sits in its own subplot, row = layer, column = head.
            assert trace.xaxis == ("x" if layer * 2 + head == 0 else f"x{layer * 2 + head + 1}")
            assert trace.coloraxis == "coloraxis"
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["layer 0 \u00b7 head 0", "layer 0 \u00b7 head 1", "layer 1 \u00b7 head 0"]
    assert fig.layout.coloraxis.cmin == 0
    assert fig.layout.coloraxis.cmax == pytest.approx(probs.max(), rel=1e-6)
    assert fig.layout.title.subtitle.text.endswith("model: m")


def test_grid_accepts_a_single_map(rng):
    m = softmax_probs(rng, (6, 6))
    fig = attention_grid(m, tokens_of(6))
    assert len(fig.data) == 1
    np.testing.assert_array_equal(fig.data[0].z, m.astype(np.float32))
    assert [a.text for a in fig.layout.annotations] == ["attention map"]


def test_grid_tick_labels_on_outer_panels_for_short_inputs(rng):
    toks = tokens_of(8)
    fig = attention_grid(softmax_probs(rng, (3, 2, 8, 8)), toks)
    bottom = [fig.layout[f"xaxis{i}"] for i in (5, 6)]
    inner = [fig.layout[f"xaxis{i}" if i > 1 else "xaxis"] for i in (1, 2, 3, 4)]
    assert all(ax.showticklabels for ax in bottom)
    assert not any(ax.showticklabels for ax in inner)
    assert list(bottom[0].ticktext) == [t.replace("<", "&lt;").replace(">", "&gt;") for t in toks]
    assert fig.layout.yaxis.showticklabels and not fig.layout.yaxis2.showticklabels
    long = attention_grid(
        softmax_probs(rng, (1, 2, GRID_TICK_MAX + 1, GRID_TICK_MAX + 1)),
        tokens_of(GRID_TICK_MAX + 1),
    )
    assert not any(long.layout[k].showticklabels for k in ("xaxis", "yaxis", "xaxis2"))


def reference_pool(p, block):
    """Independent loop: mean over from-tokens of summed attention to to-tokens, per block."""
    n = p.shape[-1]
    edges = list(range(0, n, block)) + [n]
    b = len(edges) - 1
    out = np.zeros(p.shape[:-2] + (b, b))
    for i in range(b):
        for j in range(b):
            rows = p[..., edges[i] : edges[i + 1], edges[j] : edges[j + 1]]
            out[..., i, j] = rows.sum(-1).mean(-1)
    return out


@pytest.mark.slow
def test_512_tokens_are_pooled_and_the_grid_stays_small(rng):
    t = 512
    probs = softmax_probs(rng, (8, 2, t, t)).astype(np.float32)
    fig = attention_grid(probs, tokens_of(t), provenance="p")
    ref = reference_pool(probs.astype(np.float64), block=8)
    assert len(fig.data) == 16
    for k, trace in enumerate(fig.data):
        assert trace.z.shape == (64, 64) and trace.z.dtype == np.float32
        np.testing.assert_allclose(trace.z, ref[k // 2, k % 2], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(trace.z.sum(-1), 1.0, rtol=1e-5)  # rows stay distributions
    assert fig.data[0].y[1].startswith("#8\u201315: ")
    assert "pooled into 64 blocks of 8 tokens" in fig.layout.title.subtitle.text
    size = len(fig.to_json())
    assert size < 1_000_000  # documented bound; measured about 0.46 MB
    spec = json.loads(fig.to_json())
    assert spec["data"][0]["z"]["dtype"] == "f4"


def test_max_tokens_full_and_cell_cap(rng):
    probs = softmax_probs(rng, (2, 2, 40, 40))
    fig = attention_grid(probs, tokens_of(40), max_tokens_full=10)
    assert fig.data[0].z.shape == (10, 10)
    np.testing.assert_allclose(fig.data[3].z, reference_pool(probs[1, 1], 4), rtol=1e-5)
    # BERT-base sized grid (12 x 12 heads): the cell cap shrinks panels below max_tokens_full.
    big = softmax_probs(rng, (12, 12, 128, 128)).astype(np.float32)
    fig = attention_grid(big, tokens_of(128))
    cells = sum(t.z.size for t in fig.data)
    assert len(fig.data) == 144 and cells <= MAX_GRID_CELLS
    assert fig.data[0].z.shape == (32, 32)


def test_attention_heatmap_full_resolution_with_unique_token_rows(rng, fill_hover, displayed):
    m = softmax_probs(rng, (9, 9))
    toks = tokens_of(9)
    fig = attention_heatmap(m, toks, provenance="p", title="layer 3 head 1")
    trace = fig.data[0]
    np.testing.assert_array_equal(trace.z, m.astype(np.float32))
    assert len(set(trace.x)) == 9  # the two "the" tokens keep their own columns
    assert list(fig.layout.xaxis.ticktext)[3] == "&lt;b&gt;sat&lt;/b&gt;"
    shown = displayed(fill_hover(trace.hovertemplate, x=trace.x[3], y=trace.y[0], z=m[0, 3]))
    assert shown == f"from [CLS] (#0)\nto <b>sat</b> (#3)\nweight {m[0, 3]:.4f}"
    assert fig.layout.title.text == "layer 3 head 1"
    assert fig.layout.yaxis.autorange == "reversed"  # first token on top


def test_single_map_builders_reject_4d_with_the_fix(rng):
    probs = softmax_probs(rng, (2, 2, 5, 5))
    for builder in (attention_heatmap, head_view):
        with pytest.raises(ValueError, match=r"probs\[layer, head\].*mean\(axis=0\)"):
            builder(probs, tokens_of(5))
    with pytest.raises(ValueError, match="'tokens' parameter of attention_grid"):
        attention_grid(probs, tokens_of(4))
    with pytest.raises(ValueError, match="'probs' parameter of attention_grid"):
        attention_grid(np.zeros((2, 2, 5, 4)), tokens_of(5))


def line_segments(trace):
    xs, ys = np.asarray(trace.x), np.asarray(trace.y)
    assert np.isnan(xs[2::3]).all() and np.isnan(ys[2::3]).all()
    assert (xs[0::3] == 0).all() and (xs[1::3] == 1).all()
    return list(zip(ys[0::3].astype(int).tolist(), ys[1::3].astype(int).tolist(), strict=True))


@pytest.mark.parametrize("t", [7, 40])
def test_head_view_lines_match_weights(rng, t):
    m = softmax_probs(rng, (t, t), sharpness=2.0)
    m[0, 1] = 0.1  # exactly on a bin edge (0.1 is bin 2, opacity 0.1)
    m[0] /= m[0].sum()
    fig = head_view(m, tokens_of(t), min_weight=0.02)
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    drawn = {}
    for trace in lines:
        assert trace.opacity == pytest.approx(trace.meta["opacity_bin"] * OPACITY_STEP)
        for i, j in line_segments(trace):
            w = float(np.float32(m[i, j]))
            assert trace.opacity - OPACITY_STEP - 1e-6 < w <= trace.opacity + 1e-6, (i, j, w)
            drawn[(i, j)] = trace.opacity
    expected = {(int(i), int(j)) for i, j in zip(*np.nonzero(m.astype(np.float32) >= 0.02))}
    assert set(drawn) == expected
    assert len(lines) == len({tr.opacity for tr in lines}) <= round(1 / OPACITY_STEP)
    assert f"{len(expected)} lines" in fig.layout.title.subtitle.text


def test_head_view_token_columns_and_hover(rng, fill_hover, displayed):
    m = softmax_probs(rng, (6, 6))
    toks = tokens_of(6)
    fig = head_view(m, toks, min_weight=0.0)
    frm = next(t for t in fig.data if t.name == "from")
    to = next(t for t in fig.data if t.name == "to")
    assert set(frm.x) == {0} and set(to.x) == {1}
    np.testing.assert_array_equal(frm.y, np.arange(6))
    assert list(frm.text)[3] == "&lt;b&gt;sat&lt;/b&gt;"
    shown = displayed(fill_hover(frm.hovertemplate, hovertext=frm.hovertext[3]))
    first_line, top_line = shown.split("\n")[:2]
    assert first_line == "<b>sat</b> (#3) attends to:"
    j = int(np.argmax(m[3]))
    assert f"(#{j}) {m[3, j]:.3f}" in top_line
    shown_to = displayed(to.hovertext[4])
    i = int(np.argmax(m[:, 4]))
    assert f"(#{i}) {m[i, 4]:.3f}" in shown_to.split("\n")[1]
    # min_weight 0 draws every pair.
    assert sum(len(line_segments(t)) for t in fig.data if t.mode == "lines") == 36


def test_head_view_long_input_stays_small(rng):
    t = 512
    m = softmax_probs(rng, (t, t), sharpness=4.0)
    fig = head_view(m, tokens_of(t))
    lines = [tr for tr in fig.data if tr.mode == "lines"]
    assert len(lines) <= 20
    assert sum(len(line_segments(tr)) for tr in lines) == int((m.astype(np.float32) >= 0.02).sum())
    assert len(fig.to_json()) < 2_000_000


def test_user_tokens_are_escaped_in_every_attention_figure(rng, evil, figure_strings):
    toks = ["[CLS]", evil, "%{z}", "$x$", "[SEP]"]
    m = softmax_probs(rng, (5, 5))
    figs = [
        attention_grid(m[None, None], toks, provenance=evil),
        attention_grid(softmax_probs(rng, (1, 1, 100, 100)), [evil] * 100),  # pooled labels
        attention_heatmap(m, toks, title=evil),
        head_view(m, toks, provenance=evil),
    ]
    for fig in figs:
        strings = figure_strings(fig)
        assert not any("<img" in s for s in strings)
        assert not any("%{z}" in s or "$x$" in s for s in strings)
        assert any("&lt;img" in s for s in strings)
        assert "Plotly.newPlot" in fig.to_html(include_plotlyjs=False, full_html=False)


def test_min_weight_is_validated():
    with pytest.raises(ValueError, match="'min_weight' parameter of head_view"):
        head_view(np.eye(3), ["a", "b", "c"], min_weight=2.0)


def test_minilm_sized_grid_fits_a_notebook_cell_with_row_and_column_headers(rng):
    # all-MiniLM-L6-v2: 6 layers x 12 heads, 21 tokens.
    fig = attention_grid(softmax_probs(rng, (6, 12, 21, 21)), tokens_of(21))
    assert fig.layout.width <= GRID_WIDTH
    texts = [a.text for a in fig.layout.annotations]
    # Panels too small for "layer l . head h" each: one header per column and per row.
    assert texts == [f"head {h}" for h in range(12)] + [f"layer {lyr}" for lyr in range(6)]
    # 21 tokens in a panel this small cannot be labelled legibly: no tick labels anywhere ...
    panel_px = fig.layout.width - fig.layout.margin.l - fig.layout.margin.r
    assert panel_px / 12 < GRID_TICK_MIN_PX * 21
    assert not any(fig.layout[f"xaxis{i}"].showticklabels for i in range(2, 73))
    assert not any(fig.layout[f"yaxis{i}"].showticklabels for i in range(2, 73))
    assert not fig.layout.xaxis.showticklabels and not fig.layout.yaxis.showticklabels
    # ... the hover names the tokens instead, and the subtitle says so.
    assert "from %{y}" in fig.data[0].hovertemplate
    assert "21 tokens (named in hover)" in fig.layout.title.subtitle.text


def test_every_grid_panel_names_its_layer_and_head_for_click_handlers(rng):
    fig = attention_grid(softmax_probs(rng, (3, 4, 5, 5)), tokens_of(5))
    metas = [(t.meta["layer"], t.meta["head"]) for t in fig.data]
    assert metas == [(lyr, hd) for lyr in range(3) for hd in range(4)]


def test_grid_height_follows_the_wrapped_subtitle(rng):
    probs = softmax_probs(rng, (2, 2, 6, 6))
    short = attention_grid(probs, tokens_of(6), provenance="model: m")
    long = attention_grid(probs, tokens_of(6), provenance="model: m " + "word " * 200)
    grown = long.layout.margin.t - short.layout.margin.t
    assert grown > 0
    assert long.layout.height - short.layout.height == grown  # the panels keep their size


def test_single_map_view_puts_the_x_axis_below_the_map(rng):
    fig = attention_heatmap(softmax_probs(rng, (12, 12)), tokens_of(12))
    # On top, its title and slanted labels ran into the figure's title and subtitle.
    assert fig.layout.xaxis.side == "bottom"
    assert fig.layout.width <= GRID_WIDTH
