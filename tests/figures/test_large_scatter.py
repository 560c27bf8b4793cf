"""The large scatter builder: numeric arrays only, one legend list, escaped names and hover."""

from __future__ import annotations

import numpy as np

from smallbert_viz.figures.large_scatter import label_codes, large_scatter


def test_label_codes_round_trip_in_order_of_first_appearance():
    labels = ["b", "a", "b", "<i>c</i>", "a"]
    codes, names = label_codes(labels)
    assert codes.dtype == np.int32 and names == ["b", "a", "<i>c</i>"]
    assert [names[c] for c in codes] == labels


def test_points_are_typed_arrays_and_no_text_is_in_the_figure():
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(3000, 2))
    labels = [f"<b>g{i % 3}</b>" for i in range(3000)]
    codes, names = label_codes(labels)
    fig = large_scatter(xy, codes=codes, names=names, title="t", highlight=np.array([5]),
                        highlight_texts=["<script>alert(1)</script>"])
    main = fig.data[0]
    assert main.type == "scattergl" and main.hoverinfo == "none" and main.text is None
    assert np.asarray(main.x).dtype == np.float32 and len(main.x) == 3000
    np.testing.assert_array_equal(np.asarray(main.marker.color), codes)
    legend = [t.name for t in fig.data[1:4]]
    assert legend == ["&lt;b&gt;g0&lt;/b&gt;", "&lt;b&gt;g1&lt;/b&gt;", "&lt;b&gt;g2&lt;/b&gt;"]
    hl = fig.data[-1]
    assert hl.name == "highlighted" and list(hl.customdata) == [5]
    assert "<script>" not in hl.hovertext[0] and "&lt;script&gt;" in hl.hovertext[0]


def test_a_static_sample_names_its_rows():
    xy = np.arange(40, dtype=np.float32).reshape(20, 2)
    rows = np.array([1, 4, 9])
    fig = large_scatter(xy, title="t", rows=rows)
    np.testing.assert_array_equal(np.asarray(fig.data[0].x), xy[rows, 0])
    assert list(fig.data[0].customdata) == [1, 4, 9]
    assert "a sample of 3 of 20 points" in fig.layout.title.subtitle.text
