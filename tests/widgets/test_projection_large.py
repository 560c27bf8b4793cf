"""ProjectionExplorer with coordinates given (coords=) and on its large path (binary state).

The large path switches on above ``views.large_scatter.LARGE_POINTS``; these tests lower it so
that about 2,000 points take it (the threshold is read when an explorer is built).
"""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from .events import EVIL

N = 2_000


@pytest.fixture
def small_threshold(monkeypatch):
    from smallbert_viz.views import large_scatter

    monkeypatch.setattr(large_scatter, "LARGE_POINTS", 1_000)
    monkeypatch.setattr(large_scatter, "STATIC_SAMPLE", 300)


def _corpus(n=N, seed=0):
    rng = np.random.default_rng(seed)
    coords = rng.normal(size=(n, 2)).astype(np.float32)
    texts = [f"sentence number {i} marker{i:06d}" for i in range(n)]
    texts[7] = EVIL
    labels = [f"group {i % 5}" for i in range(n)]
    return coords, texts, labels


def _no_compute(monkeypatch):
    """Make every projection, embedding and neighbour search fail loudly."""
    import smallbert_viz.analysis as analysis
    import smallbert_viz.views.inputs as inputs

    def refuse(*_a, **_k):
        raise AssertionError("computed something with coordinates given")

    for name in ("project", "nearest_neighbors", "query_neighbors", "cluster_labels"):
        monkeypatch.setattr(analysis, name, refuse)
    monkeypatch.setattr(inputs, "resolve_model", refuse)


def _json_state(fw):
    """The widget state as the kernel sends it: (JSON text, {path: binary buffer})."""
    state, paths, buffers = _remove_buffers(fw.get_state())
    return json.dumps(state), {tuple(map(str, p)): b for p, b in zip(paths, buffers, strict=True)}


def _custom(fw, content, buffers=()):
    """Deliver a custom message from the front end through ipywidgets' own message path."""
    fw._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": list(buffers)}
    )


@pytest.fixture
def sent(monkeypatch):
    """Custom messages the kernel sends to the front end, recorded at the comm."""
    from ipywidgets import Widget

    out = []
    real = Widget.send

    def record(self, content, buffers=None):
        out.append(content)
        return real(self, content, buffers)

    monkeypatch.setattr(Widget, "send", record)
    return out


def test_coords_only_computes_nothing_and_says_what_is_missing(monkeypatch):
    from smallbert_viz.views.coords import GIVEN_LAYOUT_NOTE
    from smallbert_viz.widgets import ProjectionExplorer

    coords, texts, labels = _corpus(200)
    _no_compute(monkeypatch)
    ex = ProjectionExplorer(texts, labels, coords=coords)
    assert ex.embeddings is None and ex.spec is None
    assert ex.projection.method == "given" and ex.given is ex.projection
    np.testing.assert_array_equal(ex.projection.coords, coords)
    assert GIVEN_LAYOUT_NOTE in ex.unavailable_note
    for word in ("queries", "recompute", "neighbours", "near-duplicates"):
        assert word in ex.unavailable_note
    assert ex.unavailable_html in ex.children
    # No dead controls: query, recompute and near-duplicates are not shown at all.
    shown = {id(w) for box in ex.children for w in getattr(box, "children", ())} | {
        id(w) for w in ex.children
    }
    for dead in (ex.query_text, ex.query_button, ex.recompute_button, ex.method_control):
        assert id(dead) not in shown
    assert id(ex.duplicates_box) not in shown
    assert ex.colour_control.options == ("label", "none")
    assert "Shown as given" in ex.status.value
    ex.recompute()  # still nothing computed: the given layout is drawn again
    assert ex.projection is ex.given
    with pytest.raises(ValueError, match="needs embeddings"):
        ex.clusters  # noqa: B018
    with pytest.raises(ValueError, match="needs a model"):
        ex.query("anything")
    # The drawn points are the given coordinates, row by row.
    drawn = np.full((200, 2), np.nan)
    for trace in ex.figure_widget.data:
        rows = np.asarray(trace.customdata, dtype=int)
        drawn[rows, 0], drawn[rows, 1] = trace.x, trace.y
    np.testing.assert_allclose(drawn, coords)


def test_dataframe_input_takes_texts_and_labels_from_its_columns(monkeypatch):
    pd = pytest.importorskip("pandas")
    from smallbert_viz.widgets import ProjectionExplorer

    coords, texts, labels = _corpus(120)
    frame = pd.DataFrame({"text": texts, "x": coords[:, 0], "y": coords[:, 1], "label": labels})
    _no_compute(monkeypatch)
    ex = ProjectionExplorer(coords=frame)
    assert ex.texts == texts and ex.labels == labels
    np.testing.assert_array_equal(ex.to_pandas()[["x", "y"]].to_numpy(np.float32), coords)
    with pytest.raises(ValueError, match="without a 'text' column"):
        ProjectionExplorer(coords=frame.drop(columns="text"))
    with pytest.raises(ValueError, match="has 120 rows but there are 3 texts"):
        ProjectionExplorer(texts[:3], coords=coords)
    with pytest.raises(ValueError, match="needs texts"):
        ProjectionExplorer()


def test_coords_with_embeddings_and_model_keep_the_layout_and_query(
    standin_model, corpus40, mean_embeddings
):
    from smallbert_viz.analysis import query_neighbors
    from smallbert_viz.widgets import ProjectionExplorer

    texts, labels = corpus40
    coords = np.random.default_rng(3).normal(size=(len(texts), 2)).astype(np.float32)
    ex = ProjectionExplorer(
        texts,
        labels,
        coords=coords,
        model=standin_model,
        embeddings=mean_embeddings,
        pooling="mean",
        k=4,
    )
    assert ex.projection.method == "given"
    np.testing.assert_array_equal(ex.projection.coords, coords)
    assert "cluster" in ex.colour_control.options and "trust" in ex.colour_control.options
    result = ex.query("a sentence about food")
    vector = np.asarray(standin_model.embed(["a sentence about food"], pooling="mean"))
    expected = query_neighbors(vector, mean_embeddings, k=4, metric="cosine")
    np.testing.assert_array_equal(result.indices, expected.indices)
    assert ex.projection.method == "given"  # a query redraws, it does not project
    assert "no recompute" in ex.unavailable_note and "queries" not in ex.unavailable_note


def test_spark_shaped_frame_brings_its_embeddings(standin_model, corpus40, mean_embeddings):
    """spark.project's output read back (text, embedding, x, y): the vectors are not made again."""
    pd = pytest.importorskip("pandas")
    from smallbert_viz.widgets import ProjectionExplorer

    texts, _ = corpus40
    coords = np.random.default_rng(4).normal(size=(len(texts), 2)).astype(np.float32)
    frame = pd.DataFrame(
        {"text": texts, "embedding": list(mean_embeddings), "x": coords[:, 0], "y": coords[:, 1]}
    )
    ex = ProjectionExplorer(coords=frame, model=standin_model, pooling="mean", k=4)
    np.testing.assert_array_equal(ex.embeddings, mean_embeddings)
    np.testing.assert_array_equal(ex.projection.coords, coords)
    assert ex.projection.method == "given"


def test_large_state_is_binary_without_texts(small_threshold, monkeypatch):
    from smallbert_viz.widgets import ProjectionExplorer

    coords, texts, labels = _corpus()
    _no_compute(monkeypatch)
    ex = ProjectionExplorer(texts, labels, coords=coords)
    assert ex.large
    fw = ex.figure_widget
    assert fw._sbv_large and fw.data[0].type == "scattergl"
    text, buffers = _json_state(fw)
    for t in texts[:50] + texts[-50:]:
        assert t not in text
    assert not re.search(r"marker\d{6}", text) and EVIL not in text
    sizes = sorted(memoryview(b).nbytes for b in buffers.values())
    # x and y as float32, the label codes as int32: three N * 4-byte buffers.
    assert sizes.count(N * 4) == 3, sizes
    x = np.frombuffer(buffers[("_widget_data", "0", "x", "buffer")], dtype=np.float32)
    np.testing.assert_array_equal(x, coords[:, 0])
    codes = np.frombuffer(buffers[("_widget_data", "0", "marker", "color", "buffer")], np.int32)
    # Labels: int32 codes plus one legend list of 5 names (first appearance order).
    names = [t.name for t in fw.data[1:]]
    assert names == [f"group {i}" for i in range(5)]
    np.testing.assert_array_equal(np.asarray(names)[codes], labels)
    # The small path carries every text in its JSON state: that is what the large path avoids.
    small_text, _ = _json_state(ProjectionExplorer(texts[:500], coords=coords[:500]).figure_widget)
    assert texts[3] in small_text
    assert len(text) < len(small_text)


def test_hover_round_trip_answers_plain_text_of_that_row(small_threshold, monkeypatch, sent):
    from smallbert_viz.widgets import ProjectionExplorer

    coords, texts, labels = _corpus()
    ex = ProjectionExplorer(texts, labels, coords=coords)
    fw = ex.figure_widget
    for point in (7, 1234):
        _custom(fw, {"kind": "hover", "seq": point, "trace": 0, "point": point, "draw": fw._sbv_draw})
        answer = sent[-1]
        assert answer["kind"] == "hover" and answer["seq"] == point
        assert answer["text"] == f"#{point} \u00b7 label: {labels[point]}\n{texts[point]}"
    assert EVIL in sent[0]["text"]  # plain text: the front end sets it with textContent
    # A hover on a replaced drawing gets no answer.
    count = len(sent)
    _custom(fw, {"kind": "hover", "seq": 9, "trace": 0, "point": 9, "draw": fw._sbv_draw - 1})
    assert len(sent) == count
    # The highlight trace maps its points through customdata.
    ex.highlight([42, 99])
    fw = ex.figure_widget
    hl = len(fw.data) - 1
    assert fw.data[hl].name == "highlighted"
    _custom(fw, {"kind": "hover", "seq": 1, "trace": hl, "point": 1, "draw": fw._sbv_draw})
    assert sent[-1]["text"].startswith("#99 ")


def test_binary_selection_reaches_python(small_threshold, monkeypatch):
    from smallbert_viz.widgets import ProjectionExplorer

    coords, texts, labels = _corpus()
    ex = ProjectionExplorer(texts, labels, coords=coords)
    fw = ex.figure_widget
    picked = np.sort(np.random.default_rng(1).choice(N, size=700, replace=False)).astype(np.int32)
    event = {"kind": "selection", "id": "a", "draw": fw._sbv_draw, "sent": time.time() * 1000}
    # What the front end sends for trace 0: point numbers as int32 ...
    as_int32 = [{"trace": 0, "encoding": "int32", "count": int(picked.size)}]
    _custom(fw, {**event, "parts": as_int32}, [picked[::-1].tobytes()])
    assert ex.selected == picked.tolist()
    assert f"selected: {picked.size:,}" in ex.selection_count.value
    assert fw.last_selection_ms is not None and fw.last_selection_ms >= -1000
    assert "&lt;img" in ex.selection_table.value or 7 not in ex.selected
    # ... or, once that is smaller, a bitmap (bit i of byte i // 8, least significant first).
    mask = np.zeros(N, dtype=bool)
    mask[picked[: picked.size // 2]] = True
    bits = np.packbits(mask, bitorder="little").tobytes()
    assert len(bits) == -(-N // 8)
    as_bits = [{"trace": 0, "encoding": "bits", "count": int(mask.sum())}]
    _custom(fw, {**event, "id": "b", "parts": as_bits}, [bits])
    assert ex.selected == np.flatnonzero(mask).tolist() == picked[: picked.size // 2].tolist()
    # A bitmap cut after the last selected point (the front end sends no trailing zeros).
    last = picked[: picked.size // 2][-1]
    _custom(fw, {**event, "id": "c", "parts": as_bits}, [bits[: last // 8 + 1]])
    assert ex.selected == picked[: picked.size // 2].tolist()
    # A deselection: no parts.
    _custom(fw, {**event, "id": "d", "parts": []}, [])
    assert ex.selected == []
    # A count that disagrees with the buffer, a missing buffer, an unknown encoding: each is
    # reported in the error panel, not swallowed, and the selection stays as it was.
    _custom(fw, {**event, "id": "e", "parts": as_int32}, [picked.tobytes()])
    bad = [
        ([{**as_bits[0], "count": 3}], [bits]),
        (as_int32, []),
        ([{**as_int32[0], "encoding": "int64"}], [picked.tobytes()]),
    ]
    for k, (parts, buffers) in enumerate(bad):
        ex.clear_errors()
        _custom(fw, {**event, "id": f"bad{k}", "parts": parts}, buffers)
        text = "".join(o.get("text", "") for o in ex.errors.outputs)
        assert ["says 3 points but its bits buffer holds", "one buffer per part", "'int64'"][
            k
        ] in text, text
        assert ex.selected == picked.tolist()


def test_large_static_html_is_a_sample(small_threshold):
    from smallbert_viz.views import large_scatter
    from smallbert_viz.widgets import ProjectionExplorer

    coords, texts, labels = _corpus()
    ex = ProjectionExplorer(texts, labels, coords=coords)
    (fig,) = ex._static_figures()
    assert len(fig.data[0].x) == large_scatter.STATIC_SAMPLE < N
    rows = np.asarray(fig.data[0].customdata)
    np.testing.assert_allclose(fig.data[0].x, coords[rows, 0])
    page = ex._repr_mimebundle_()
    page = (page[0] if isinstance(page, tuple) else page)["text/html"]
    assert not re.search(r"marker\d{6}", page)  # no texts in the static copy either
    assert "a sample of 300 of 2,000 points" in page
