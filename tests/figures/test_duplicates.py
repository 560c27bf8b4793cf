"""duplicates_table: one go.Table of the pairs, escaped sentences, counts in the subtitle."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.analysis.duplicates import near_duplicates
from smallbert_viz.figures import duplicates_table


def test_columns_hold_the_rows_and_their_sentences():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 8))
    x = np.vstack([base, base[:1] + 1e-3, base[1:2] * 2.0])
    texts = ["a cat", "stocks fell", "goal!", "A cat.", "Shares dropped"]
    result = near_duplicates(x, texts, threshold=0.99, k=2, method="exact")
    fig = duplicates_table(result.rows, texts)
    assert len(fig.data) == 1 and isinstance(fig.data[0], go.Table)
    table = fig.data[0]
    assert list(table.header.values) == ["#i", "sentence i", "#j", "sentence j", "similarity", "kind"]
    cols = [list(c) for c in table.cells.values]
    assert list(zip(cols[0], cols[2], cols[4], cols[5])) == [
        (i, j, pytest.approx(s), kind) for i, j, s, kind in result.rows
    ]
    assert cols[1] == [texts[i] for i in cols[0]] and cols[3] == [texts[j] for j in cols[2]]
    assert set(cols[5]) == {"lexical", "semantic"}
    assert table.cells.format[4] == ".3f"
    sub = fig.layout.title.subtitle.text
    assert sub.startswith("2 pairs (1 lexical, 1 semantic)")


def test_only_the_first_rows_are_drawn_and_the_subtitle_says_so():
    rows = [(0, i, 1.0 - i / 1000, "semantic" if i % 2 else "lexical") for i in range(1, 101)]
    fig = duplicates_table(
        rows, ["s"] * 101, max_rows=10, provenance="model: m", method_description="cosine >= 0.9"
    )
    assert len(fig.data[0].cells.values[0]) == 10
    assert list(fig.data[0].cells.values[2]) == list(range(1, 11))
    assert fig.layout.title.subtitle.text == (
        "100 pairs (50 lexical, 50 semantic); the first 10 shown; cosine &gt;= 0.9<br>model: m"
    )


def test_sentences_are_escaped_wrapped_and_cut(evil, figure_strings, displayed):
    long = "word " * 200
    fig = duplicates_table([(0, 1, 0.95, "semantic")], [evil, long], provenance=evil, title=evil)
    strings = figure_strings(fig)
    assert not any("<img" in s for s in strings)
    cells = fig.data[0].cells.values
    assert displayed(cells[1][0]) == evil
    shown = displayed(cells[3][0])
    assert "\n" in shown and len(shown) <= 300 + shown.count("\n") and shown.endswith("\u2026")


@pytest.mark.parametrize(
    ("rows", "texts", "kwargs", "error", "match"),
    [
        ([(0, 5, 0.9, "lexical")], ["a", "b"], {}, ValueError, r"row numbers in \[0, 1\]"),
        ([(0, 1, 0.9, "exact")], ["a", "b"], {}, ValueError, "kind in"),
        ([(0, 1)], ["a", "b"], {}, ValueError, r"\(i, j, score, kind\)"),
        ([], "ab", {}, TypeError, "single str"),
        ([], ["a"], {"max_rows": 0}, ValueError, "'max_rows'"),
    ],
)
def test_bad_arguments(rows, texts, kwargs, error, match):
    with pytest.raises(error, match=match):
        duplicates_table(rows, texts, **kwargs)
