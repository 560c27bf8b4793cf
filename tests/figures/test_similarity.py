"""similarity_heatmap and contribution_heatmap: data, hover, masking, escaping, sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smallbert_viz.figures import contribution_heatmap, similarity_heatmap
from smallbert_viz.figures.similarity import MAX_TICK_LABELS

SENTENCES = [
    "The cat sat on the mat.",
    "A dog slept on the rug all afternoon, dreaming of long walks by the river and of the "
    "sticks it would chase there, which is a sentence long enough to need wrapping in hover.",
    "<img src=x onerror=alert(1)>",
    "Stocks fell 5% on Monday; the $SPX index closed lower.",
    "The cat sat on the mat.",  # a duplicate: must keep its own row
]


def cosine(x: np.ndarray) -> np.ndarray:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return x @ x.T


@pytest.fixture
def sim():
    rng = np.random.default_rng(42)
    return cosine(rng.normal(size=(len(SENTENCES), 16)))


def hover_of_cell(fig, r, c, fill_hover, displayed):
    trace = fig.data[0]
    z = trace.z[r][c]
    return displayed(fill_hover(trace.hovertemplate, x=trace.x[c], y=trace.y[r], z=z))


def squash(text: str) -> str:
    return " ".join(text.split())


def test_z_is_the_matrix_as_float32(sim):
    fig = similarity_heatmap(sim, SENTENCES)
    z = fig.data[0].z
    assert z.dtype == np.float32
    np.testing.assert_array_equal(z, sim.astype(np.float32))
    spec = json.loads(fig.to_json())
    assert spec["data"][0]["z"]["dtype"] == "f4"  # written base64 as float32


def test_order_reorders_rows_columns_and_labels(sim):
    order = [3, 0, 4, 2, 1]
    labels = ["a", "b", "a", "c", "b"]
    fig = similarity_heatmap(sim, SENTENCES, order=order, labels=labels)
    np.testing.assert_array_equal(fig.data[0].z, sim[np.ix_(order, order)].astype(np.float32))
    # Row k of the figure names sentence order[k], its original index and its label.
    for k, i in enumerate(order):
        assert fig.data[0].y[k].startswith(f"#{i} [{labels[i]}]: ")
        assert fig.data[0].x[k] == fig.data[0].y[k]
    assert "reordered" in fig.layout.title.subtitle.text


def test_ids_name_the_rows_in_hover_and_categories(sim, fill_hover, displayed):
    # E.g. a sample of a larger corpus: rows must carry the original sentence numbers.
    ids = [1203, 7, 560, 31, 999]
    order = [3, 0, 4, 2, 1]
    fig = similarity_heatmap(sim, SENTENCES, order=order, ids=ids)
    for k, i in enumerate(order):
        assert fig.data[0].y[k].startswith(f"#{ids[i]}: ")
        assert fig.data[0].x[k] == fig.data[0].y[k]
    shown = hover_of_cell(fig, 0, 1, fill_hover, displayed)
    row_part, col_part = shown.split("column", 1)
    assert f"#{ids[order[0]]}:" in row_part and f"#{ids[order[1]]}:" in col_part
    # Default: positions 0..N-1.
    default = similarity_heatmap(sim, SENTENCES, order=order)
    assert [y.split(":")[0] for y in default.data[0].y] == [f"#{i}" for i in order]


def test_cluster_blocks_are_outlined_when_order_makes_them_contiguous(sim):
    labels = ["a", "b", "a", "b", "c"]
    order = [0, 2, 1, 3, 4]  # a a b b c
    fig = similarity_heatmap(sim, SENTENCES, labels=labels, order=order)
    rects = sorted((s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes)
    assert rects == [(-0.5, 1.5, -0.5, 1.5), (1.5, 3.5, 1.5, 3.5), (3.5, 4.5, 3.5, 4.5)]
    unordered = similarity_heatmap(sim, SENTENCES, labels=["a", "a", "a", "a", "a"])
    assert len(unordered.layout.shapes) == 0  # one block is the whole matrix: nothing to show


def test_hover_shows_both_full_sentences_and_the_score(sim, fill_hover, displayed):
    order = [4, 3, 2, 1, 0]
    fig = similarity_heatmap(sim, SENTENCES, order=order, metric="cosine")
    for r, i in enumerate(order):
        for c, j in enumerate(order):
            shown = hover_of_cell(fig, r, c, fill_hover, displayed)
            row_part, col_part = shown.split("column", 1)
            assert squash(SENTENCES[i]) in squash(row_part)
            assert squash(SENTENCES[j]) in squash(col_part)
            assert f"cosine: {sim[i, j]:.4f}" in shown


def test_long_sentences_are_wrapped_in_hover(sim):
    fig = similarity_heatmap(sim, SENTENCES)
    long_row = fig.data[0].y[1]
    assert "<br>" in long_row
    assert max(len(part) for part in long_row.split("<br>")) <= 90


def test_threshold_masks_exactly_the_cells_below_it(sim, fill_hover, displayed):
    t = 0.1
    order = [1, 0, 2, 4, 3]
    fig = similarity_heatmap(sim, SENTENCES, threshold=t, order=order)
    z = fig.data[0].z
    ref = sim[np.ix_(order, order)].astype(np.float32)
    below = ref < t
    assert below.any() and (~below).any()  # the fixture exercises both sides
    assert np.array_equal(np.isnan(z), below)
    np.testing.assert_array_equal(z[~below], ref[~below])
    assert fig.data[0].hoverongaps is False
    assert fig.layout.plot_bgcolor is not None  # masked cells show the grey background
    assert f"({int(below.sum())} of 25)" in fig.layout.title.subtitle.text


def test_user_text_is_escaped_everywhere(sim, figure_strings, evil):
    labels = ["<b>x</b>", "y", "z", "%{z}", "w"]
    fig = similarity_heatmap(
        sim, SENTENCES, labels=labels, provenance="<script>p</script>", title="<i>t</i>"
    )
    strings = figure_strings(fig)
    assert not any("<img" in s or "<script" in s or "<i>" in s for s in strings)
    assert not any("<b>x" in s for s in strings)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in fig.layout.xaxis.ticktext)
    assert any("&lt;img src=x onerror=alert(1)&gt;" in s for s in fig.data[0].y)
    # "%{z}" in a label must not become a placeholder; "$SPX" must not start MathJax.
    assert not any("%{z}" in s for s in fig.data[0].y)
    assert not any("$" in s for s in fig.data[0].y)
    assert fig.layout.title.text == "&lt;i&gt;t&lt;/i&gt;"
    assert "&lt;script&gt;p&lt;/script&gt;" in fig.layout.title.subtitle.text


def test_tick_labels_truncated_and_hidden_for_large_n():
    n = 12
    texts = [f"sentence number {i} " + "padding " * 10 for i in range(n)]
    fig = similarity_heatmap(np.eye(n), texts, max_label_chars=20)
    ticks = fig.layout.xaxis.ticktext
    assert len(ticks) == n and all(len(t) <= 20 for t in ticks)
    assert ticks[3] == "sentence number 3 p\u2026"
    assert list(fig.layout.xaxis.tickvals) == list(range(n))

    big = MAX_TICK_LABELS + 1
    texts = [f"s{i}" for i in range(big)]
    fig = similarity_heatmap(np.eye(big, dtype=np.float32), texts)
    assert fig.layout.xaxis.showticklabels is False and fig.layout.yaxis.showticklabels is False
    assert fig.layout.xaxis.ticktext is None
    assert len(set(fig.data[0].x)) == big  # hover still names every sentence


def test_euclidean_is_labelled_as_negative_distance():
    # The analysis layer's "euclidean" similarity is the negative distance (larger = closer).
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(5, 8))
    ref = -np.linalg.norm(emb[:, None] - emb[None], axis=-1)
    fig = similarity_heatmap(ref, SENTENCES, metric="euclidean", threshold=-4.0)
    expected = np.where(ref >= -4.0, ref, np.nan).astype(np.float32)
    assert np.isnan(expected).any() and not np.isnan(expected).all()
    np.testing.assert_array_equal(fig.data[0].z, expected)
    assert fig.data[0].colorbar.title.text == "\u2212euclidean distance"
    assert "euclidean distance</b>: %{z:.4f}" in fig.data[0].hovertemplate
    with pytest.raises(ValueError, match="'metric' parameter of contribution_heatmap"):
        contribution_heatmap(np.eye(2), ["a", "b"], ["c", "d"], total=1.0, metric="euclidean")


def test_provenance_and_default_title(sim):
    fig = similarity_heatmap(sim, SENTENCES, provenance="model: m | pooling: mean", metric="dot")
    assert fig.layout.title.text == "Sentence similarity (dot)"
    assert fig.layout.title.subtitle.text.endswith("model: m | pooling: mean")
    assert fig.data[0].colorbar.title.text == "dot"


def test_payload_grows_with_n_squared_floats_not_hover_strings():
    # 400 sentences of ~100 characters: one hover name per sentence, not per cell.
    n = 400
    texts = [f"sentence {i}: " + "lorem ipsum dolor sit amet " * 3 for i in range(n)]
    fig = similarity_heatmap(np.eye(n, dtype=np.float32), texts)
    size = len(fig.to_json())
    float_bytes = n * n * 4 * 4 / 3  # base64 float32
    assert size < float_bytes + n * 2 * 200 + 50_000


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"matrix": np.zeros((3, 4))}, ValueError, "square array of shape"),
        ({"texts": ["a", "b"]}, ValueError, r"one entry per row of the matrix \(3\)"),
        ({"order": [0, 0, 1]}, ValueError, "permutation of range\\(3\\)"),
        ({"order": [0, 1]}, ValueError, "permutation of range\\(3\\)"),
        ({"metric": "euclid"}, ValueError, "'metric' parameter of similarity_heatmap must be one"),
        ({"threshold": "high"}, TypeError, "'threshold' parameter"),
        ({"labels": ["a"]}, ValueError, "'labels' parameter"),
        ({"ids": [4, 9]}, ValueError, "'ids' parameter of similarity_heatmap must be 3 integers"),
        ({"ids": [4, 4, 9]}, ValueError, "must be unique non-negative integers"),
        ({"ids": [0.0, 1.0, 2.0]}, ValueError, "'ids' parameter"),
    ],
)
def test_bad_arguments_raise_with_the_fix(kwargs, error, match):
    args = {"matrix": np.eye(3), "texts": ["a", "b", "c"]} | kwargs
    with pytest.raises(error, match=match):
        similarity_heatmap(args.pop("matrix"), args.pop("texts"), **args)


def test_contribution_heatmap_data_colours_and_total(fill_hover, displayed, evil, figure_strings):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 8))
    b = rng.normal(size=(3, 8))
    # Mean-pooling decomposition: u.v = (1/nm) sum_ij a_i . b_j
    contrib = (a @ b.T) / (len(a) * len(b))
    total = float(a.mean(0) @ b.mean(0))
    tokens_a = ["[CLS]", "the", evil, "the"]
    tokens_b = ["[CLS]", "dog", "[SEP]"]
    fig = contribution_heatmap(
        contrib, tokens_a, tokens_b, total=total, metric="dot", provenance="p"
    )
    trace = fig.data[0]
    np.testing.assert_array_equal(trace.z, contrib.astype(np.float32))
    assert trace.zmid == 0 and trace.zmin == -trace.zmax
    assert trace.zmax == pytest.approx(np.abs(contrib).max(), rel=1e-6)
    assert f"dot = {total:.4f}" in fig.layout.title.text
    assert f"cells sum to {contrib.sum():.4f}" in fig.layout.title.subtitle.text
    assert len(set(trace.y)) == 4  # the two "the" rows stay apart
    assert list(fig.layout.yaxis.ticktext) == [
        "[CLS]",
        "the",
        "&lt;img src=x onerror=alert(1)&gt;",
        "the",
    ]
    shown = displayed(fill_hover(trace.hovertemplate, x=trace.x[1], y=trace.y[2], z=trace.z[2][1]))
    assert evil in shown and "dog" in shown
    assert not any("<img" in s for s in figure_strings(fig))


def test_contribution_heatmap_custom_title_keeps_total():
    fig = contribution_heatmap(np.ones((2, 2)) / 4, ["a", "b"], ["c", "d"], total=1.0, title="Why?")
    assert fig.layout.title.text == "Why?: cosine = 1.0000"
    with pytest.raises(ValueError, match="'tokens_b' parameter"):
        contribution_heatmap(np.ones((2, 2)), ["a", "b"], ["c"], total=1.0)


def test_figures_serialize_to_html(sim):
    for fig in (
        similarity_heatmap(sim, SENTENCES, threshold=0.0, labels=list("aabbc"), order=range(5)),
        contribution_heatmap(np.eye(2), ["a", "b"], ["c", "d"], total=0.5),
    ):
        out = fig.to_html(include_plotlyjs=False, full_html=False)
        assert "Plotly.newPlot" in out
