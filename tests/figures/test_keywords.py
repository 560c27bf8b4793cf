"""keyword_annotations / keyword_scatter: words at the median of their group, escaped."""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.analysis.keywords import cluster_keywords, keyword_table
from smallbert_viz.figures import keyword_annotations, keyword_scatter


@pytest.fixture
def clustered():
    rng = np.random.default_rng(4)
    centres = {"pets": (0.0, 0.0), "money": (10.0, 0.0), "sport": (0.0, 10.0)}
    words = {"pets": "cat dog purr", "money": "stock bond price", "sport": "goal team match"}
    coords, texts, labels = [], [], []
    for name, (cx, cy) in centres.items():
        for i in range(30):
            coords.append((cx + rng.normal(), cy + rng.normal()))
            texts.append(f"the {words[name].split()[i % 3]} and the {words[name].split()[0]}")
            labels.append(name)
    return np.array(coords), texts, labels


def test_annotations_sit_at_group_medians_with_the_top_words(clustered):
    coords, texts, labels = clustered
    keywords = cluster_keywords(texts, labels, top=5)
    fig = keyword_scatter(coords, texts, labels=labels, keywords=keywords, max_words=2)
    notes = fig.layout.annotations
    assert len(notes) == 3
    for note, name in zip(notes, ["pets", "money", "sport"]):
        members = coords[np.asarray(labels) == name]
        # plotly keeps annotation positions as float64; centres come from float32 coords
        assert (note.x, note.y) == pytest.approx(tuple(np.median(members, axis=0)), abs=1e-5)
        assert note.text == ", ".join(keywords[name][:2])
        assert note.showarrow is False
    assert [t.name for t in fig.data] == ["pets", "money", "sport"]


def test_annotations_from_table_rows_2d_and_3d(evil):
    table = [
        {"group": "a", "x": 1.0, "y": 2.0, "size": 3, "keywords": [evil, "b&c", "d", "e"]},
        {"group": "b", "x": 0.0, "y": 0.0, "size": 1, "keywords": []},
    ]
    notes = keyword_annotations(table)
    assert len(notes) == 1  # no words, no annotation
    assert notes[0]["text"] == "&lt;img src=x onerror=alert(1)&gt;, b&amp;c, d"
    assert (notes[0]["x"], notes[0]["y"]) == (1.0, 2.0) and "z" not in notes[0]
    rows3 = keyword_table(np.arange(9.0).reshape(3, 3), ["g"] * 3, {"g": ["w"]})
    note = keyword_annotations(rows3)[0]
    assert (note["x"], note["y"], note["z"], note["text"]) == (3.0, 4.0, 5.0, "w")


def test_3d_scatter_puts_words_in_the_scene():
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(6, 3))
    labels = ["a", "a", "a", "b", "b", "b"]
    fig = keyword_scatter(coords, ["t"] * 6, labels=labels, keywords={"a": ["x"], "b": ["y"]})
    assert [n.text for n in fig.layout.scene.annotations] == ["x", "y"]
    assert fig.layout.scene.annotations[1].z == pytest.approx(np.median(coords[3:, 2]))
    assert not fig.layout.annotations


def test_integer_groups_match_str_labels():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0], [6.0, 6.0]])
    texts = ["red apple", "green apple", "fast car", "slow car"]
    keywords = cluster_keywords(texts, [0, 0, 1, 1])
    fig = keyword_scatter(coords, texts, labels=["0", "0", "1", "1"], keywords=keywords)
    assert [n.text for n in fig.layout.annotations] == [
        ", ".join(keywords[0][:3]),
        ", ".join(keywords[1][:3]),
    ]


def test_no_markup_reaches_plotly(evil, figure_strings):
    coords = np.array([[0.0, 0.0], [1.0, 1.0]])
    fig = keyword_scatter(
        coords, [evil, evil], labels=[evil, evil], keywords={evil: [evil]}, provenance=evil
    )
    strings = figure_strings(fig)
    assert not any("<img" in s for s in strings)
    assert sum("&lt;img" in s for s in strings) >= 3


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: keyword_annotations([{"x": 1.0}]), ValueError, "'table'.*Row 0"),
        (lambda: keyword_annotations([], max_words=0), ValueError, "'max_words'"),
        (
            lambda: keyword_scatter(np.zeros((2, 2)), ["a", "b"], labels=["x"], keywords={}),
            ValueError,
            "'labels'",
        ),
        (
            lambda: keyword_scatter(np.zeros((2, 2)), ["a", "b"], labels=["x", "y"], keywords=[]),
            TypeError,
            "'keywords'.*dict",
        ),
        (
            lambda: keyword_scatter(np.zeros((2, 4)), ["a", "b"], labels=["x", "y"], keywords={}),
            ValueError,
            "keyword_scatter.*shape",
        ),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
