"""The shared text helpers: escaping, truncation, wrapping, provenance subtitle."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from smallbert_viz._validation import check_str_list
from smallbert_viz.figures._common import (
    NOTEBOOK_WIDTH,
    SUBTITLE_SIZE,
    TEMPLATE,
    apply_layout,
    as_float32,
    chars_per_line,
    escape_text,
    safe_short,
    safe_wrapped,
    token_categories,
    truncate,
)


@pytest.mark.parametrize(
    "raw",
    [
        "<img src=x onerror=alert(1)>",
        "<b>bold</b> & <br> 'quoted' \"double\"",
        "100% sure: %{x} is a plotly placeholder",
        "$E = mc^2$",
        "plain text",
        "&lt;already an entity&gt;",
    ],
)
def test_escape_text_round_trips_to_the_typed_characters(raw):
    out = escape_text(raw)
    # No markup, no template placeholder, no MathJax delimiter survives ...
    assert "<" not in out and ">" not in out
    assert "%{" not in out and "%" not in out
    assert "$" not in out
    # ... and decoding entities (what plotly.js does when drawing) gives the text back.
    assert html.unescape(out) == raw


def test_escape_text_of_evil_sentence_is_the_entity_form(evil):
    assert escape_text(evil) == "&lt;img src=x onerror=alert(1)&gt;"


def test_truncate_cuts_with_ellipsis_and_collapses_whitespace():
    assert truncate("a  b\n\tc", 10) == "a b c"
    cut = truncate("abcdefghijklmnopqrstuvwxyz", 10)
    assert len(cut) == 10 and cut.endswith("\u2026") and cut.startswith("abcdefghi")


def test_safe_short_never_cuts_an_entity():
    # Each "<" becomes 4 characters after escaping; truncating after escaping would cut "&lt;".
    out = safe_short("<" * 30, 10)
    assert html.unescape(out) == "<" * 9 + "\u2026"
    assert out.count("&lt;") == 9


def test_safe_wrapped_breaks_lines_and_long_words():
    sentence = " ".join(["word"] * 50)
    out = safe_wrapped(sentence, width=30)
    lines = out.split("<br>")
    assert all(len(line) <= 30 for line in lines)
    assert " ".join(lines) == sentence
    url = "x" * 200
    assert max(len(line) for line in safe_wrapped(url, width=50).split("<br>")) == 50
    assert html.unescape(safe_wrapped("a < b", width=80)) == "a < b"


def test_token_categories_are_unique_for_repeated_tokens():
    cats, ticks = token_categories(["the", "the", "<s>"])
    assert len(set(cats)) == 3
    assert ticks == ["the", "the", "&lt;s&gt;"]


def test_as_float32_and_check_str_list_reject_bad_input():
    assert as_float32([[1, 2]], "m", "f", ndim=2).dtype == np.float32
    with pytest.raises(ValueError, match="'m' parameter of f must be a 2-D array"):
        as_float32([1, 2], "m", "f", ndim=2)
    with pytest.raises(TypeError, match="must hold numbers"):
        as_float32([["a"]], "m", "f", ndim=2)
    with pytest.raises(TypeError, match="Got a single str"):
        check_str_list("abc", 3, "texts", "f", "row")
    with pytest.raises(ValueError, match=r"one entry per row \(3\). Got 2"):
        check_str_list(["a", "b"], 3, "texts", "f", "row")


def test_apply_layout_sets_template_title_and_escaped_provenance():
    fig = apply_layout(
        go.Figure(), title="T <i>", provenance="model: <x> | pooling: mean", extra_subtitle="n"
    )
    assert fig.layout.title.text == "T &lt;i&gt;"
    sub = fig.layout.title.subtitle.text
    assert sub.split("<br>") == ["n", "model: &lt;x&gt; | pooling: mean"]
    assert fig.layout.template == pio.templates[TEMPLATE]
    no_prov = apply_layout(go.Figure(), title="T", provenance=None)
    assert not no_prov.layout.title.subtitle.text


LONG = (
    "model: small_bert_en_uncased_L-4_H-256_A-4 (L=4, H=256, A=4, RANDOM-WEIGHT STAND-IN, in "
    "place of https://tfhub.dev/tensorflow/small_bert/bert_en_uncased_L-4_H-256_A-4/2) | "
    "pooling: mean | 50% <b>off</b> $5 | knn=exact"
)


@pytest.mark.parametrize("width", [None, 500, 1200])
def test_apply_layout_wraps_the_subtitle_for_the_figure_width(width):
    fig = go.Figure()
    fig.update_layout(width=width)
    apply_layout(fig, title="T", provenance=LONG, extra_subtitle="a &amp; b<br>second line")
    lines = fig.layout.title.subtitle.text.split("<br>")
    limit = chars_per_line((width or NOTEBOOK_WIDTH) - 20, SUBTITLE_SIZE)
    shown = [html.unescape(line) for line in lines]
    assert max(len(line) for line in shown) <= limit
    # Nothing lost or reordered: the words read back as typed, the builder's lines first.
    assert shown[:2] == ["a & b", "second line"]
    assert " ".join(shown[2:]) == LONG
    # No entity was cut in half and no user markup got through.
    assert all("<" not in line and ">" not in line for line in lines)
    # The top margin holds every line (plus the title).
    assert fig.layout.margin.t >= 32 + 15 * len(lines)


def test_narrower_figures_get_more_subtitle_lines_and_a_taller_top():
    narrow, wide = go.Figure(), go.Figure()
    narrow.update_layout(width=400)
    wide.update_layout(width=1400)
    for fig in (narrow, wide):
        apply_layout(fig, title="T", provenance=LONG, top_pad=20)
    n_narrow = narrow.layout.title.subtitle.text.count("<br>")
    n_wide = wide.layout.title.subtitle.text.count("<br>")
    assert n_narrow > n_wide
    assert narrow.layout.margin.t - wide.layout.margin.t == 15 * (n_narrow - n_wide)


def test_a_fixed_height_grows_with_the_subtitle_once_even_when_laid_out_twice():
    one, twice = go.Figure(), go.Figure()
    for fig in (one, twice):
        fig.update_layout(width=500, height=400)
    apply_layout(one, title="T", provenance=LONG)
    apply_layout(twice, title="first", provenance=LONG + " " + LONG)  # grows more
    apply_layout(twice, title="T", provenance=LONG)
    assert one.layout.height > 400  # the plot area keeps its size
    assert twice.layout.height == one.layout.height
    assert twice.layout.margin.t == one.layout.margin.t
