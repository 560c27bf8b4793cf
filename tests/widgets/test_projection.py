"""ProjectionExplorer headless: PCA at once, UMAP from a thread, selection, query, controls."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from .events import EVIL, click, deselect, error_text, select


def _trace_rows(fw, name=None):
    """Row indices (customdata) per trace, or of the trace called ``name``."""
    rows = {t.name: [int(v) for v in t.customdata] for t in fw.data}
    return rows if name is None else rows.get(name)


def _xy_by_row(fw, n):
    """(n, 2) coordinates drawn for each row, read back from the traces."""
    out = np.full((n, 2), np.nan)
    for t in fw.data:
        if t.name == "highlighted":
            continue
        rows = np.asarray(t.customdata, dtype=int)
        out[rows, 0], out[rows, 1] = t.x, t.y
    return out


@pytest.fixture(scope="module")
def pca_explorer(standin_model, corpus40):
    from smallbert_viz.widgets import ProjectionExplorer

    texts, labels = corpus40
    return ProjectionExplorer(texts, labels, model=standin_model, pooling="mean", method="pca", k=5)


def test_umap_replaces_pca_without_blocking(monkeypatch, standin_model, corpus40, mean_embeddings):
    import smallbert_viz.analysis as analysis
    from smallbert_viz.widgets import ProjectionExplorer

    real_project = analysis.project
    gate = threading.Event()
    started = threading.Event()

    def gated(*args, **kwargs):
        if kwargs.get("method") == "umap":
            started.set()
            assert gate.wait(60), "test never opened the gate"
        return real_project(*args, **kwargs)

    monkeypatch.setattr(analysis, "project", gated)
    texts, labels = corpus40
    ex = ProjectionExplorer(
        texts,
        labels=labels,
        embeddings=mean_embeddings,
        provenance="stand-in, mean pooling",
        method="umap",
        n_neighbors=7,
        min_dist=0.25,
        seed=3,
    )
    # The constructor returned while UMAP is still held: the PCA layout is on screen.
    assert started.wait(30) and not ex.ready and not ex.wait_ready(0.05)
    pca = real_project(mean_embeddings, method="pca")
    np.testing.assert_allclose(_xy_by_row(ex.figure_widget, 40), pca.coords, atol=1e-6)
    assert ex.projection.method == "pca" and "computing UMAP" in ex.status.value

    gate.set()
    assert ex.wait_ready(180), "UMAP did not finish"
    assert ex.projection.method == "umap" and ex.last_error is None, error_text(ex)
    assert ex.projection.params["n_neighbors"] == 7 and ex.projection.params["seed"] == 3
    drawn = _xy_by_row(ex.figure_widget, 40)
    np.testing.assert_allclose(drawn, ex.projection.coords, atol=1e-6)
    assert not np.allclose(drawn, pca.coords, atol=1e-3)
    assert "UMAP ready" in ex.status.value
    assert "UMAP of 40 points" in ex.provenance_text and "min_dist=0.25" in ex.provenance_html.value
    assert "UMAP of 40 points" in ex.figure.layout.title.subtitle.text

    # Recompute with other parameters: the layout changes and names them.
    ex.n_neighbors_control.value = 10
    ex.recompute_button.click()
    assert ex.wait_ready(180)
    assert ex.projection.params["n_neighbors"] == 10
    assert not np.allclose(_xy_by_row(ex.figure_widget, 40), drawn, atol=1e-3)


def test_umap_errors_reach_the_error_panel(monkeypatch, corpus40, mean_embeddings):
    import smallbert_viz.analysis as analysis
    from smallbert_viz.widgets import ProjectionExplorer

    real_project = analysis.project

    def failing(*args, **kwargs):
        if kwargs.get("method") == "umap":
            raise RuntimeError("umap exploded")
        return real_project(*args, **kwargs)

    monkeypatch.setattr(analysis, "project", failing)
    ex = ProjectionExplorer(corpus40[0], embeddings=mean_embeddings, provenance="p")
    assert ex.wait_ready(30)
    assert "umap exploded" in error_text(ex) and isinstance(ex.last_error, RuntimeError)
    assert "UMAP failed" in ex.status.value and ex.projection.method == "pca"


def test_selection_fills_table_and_count(pca_explorer, corpus40):
    texts, labels = corpus40
    fw = pca_explorer.figure_widget
    # Two points of the first trace and one of the second, as a lasso over them reports.
    picks = [(0, 0), (0, 1), (1, 0)]
    expected = sorted(int(fw.data[t].customdata[p]) for t, p in picks)
    select(fw, picks)
    assert pca_explorer.selected == expected
    assert "selected: 3" in pca_explorer.selection_count.value
    table = pca_explorer.selection_table.value
    for row in expected:
        assert (
            f"<td style='border-bottom:1px solid #eee;padding:2px 6px;vertical-align:top'>{row}</td>"
            in table
        )

    # A new selection replaces the old one; a deselect (double click) empties it.
    evil_row = texts.index(next(t for t in texts if t.startswith(EVIL)))
    trace = next(i for i, t in enumerate(fw.data) if evil_row in list(t.customdata))
    point = list(fw.data[trace].customdata).index(evil_row)
    select(fw, [(trace, point)])
    assert pca_explorer.selected == [evil_row]
    assert "<img" not in pca_explorer.selection_table.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in pca_explorer.selection_table.value
    deselect(fw)
    assert pca_explorer.selected == [] and "selected: 0" in pca_explorer.selection_count.value


def test_click_reports_the_row(pca_explorer):
    fw = pca_explorer.figure_widget
    got = []
    pca_explorer.on_point(got.append)
    click(fw, 2, 1)
    assert got == [int(fw.data[2].customdata[1])] and pca_explorer.clicked == got[0]


def test_query_highlights_exact_neighbours(pca_explorer, standin_model, mean_embeddings):
    query = "The match went to extra time after a late goal."
    result = pca_explorer.query(query, k=5)
    q = np.asarray(standin_model.embed([query], pooling="mean"), dtype=np.float64)[0]
    x = mean_embeddings.astype(np.float64)
    cos = x @ q / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    expected = np.argsort(-cos, kind="stable")[:5]
    assert pca_explorer.highlighted.tolist() == expected.tolist()
    np.testing.assert_allclose(result.scores[0], cos[expected], atol=1e-5)
    fw = pca_explorer.figure_widget
    assert sorted(_trace_rows(fw, "highlighted")) == sorted(expected.tolist())
    assert fw.data[-1].name == "highlighted"
    assert query.split()[1] in pca_explorer.query_table.value

    # Through the UI: type and press the button.
    pca_explorer.query_text.value = "<b>bold</b> rain and wind"
    pca_explorer.query_button.click()
    assert pca_explorer.last_error is None, error_text(pca_explorer)
    assert "&lt;b&gt;bold&lt;/b&gt;" in pca_explorer.query_table.value
    assert "<b>bold</b>" not in pca_explorer.query_table.value
    assert pca_explorer.highlighted.tolist() != expected.tolist()

    pca_explorer.clear_button.click()
    assert _trace_rows(pca_explorer.figure_widget, "highlighted") is None
    assert pca_explorer.highlighted.size == 0


def test_colour_control_switches_traces(pca_explorer, corpus40):
    texts, labels = corpus40
    fw = pca_explorer.figure_widget
    assert len(fw.data) == len(set(labels))
    pca_explorer.colour_control.value = "none"
    try:
        assert len(pca_explorer.figure_widget.data) == 1
        assert sorted(pca_explorer.figure_widget.data[0].customdata) == list(range(40))
    finally:
        pca_explorer.colour_control.value = "label"
    assert len(pca_explorer.figure_widget.data) == len(set(labels))


def test_colour_by_cluster(pca_explorer, mean_embeddings):
    from smallbert_viz.analysis import cluster_labels

    expected = cluster_labels(mean_embeddings, n_clusters=8, seed=0)
    pca_explorer.colour_control.value = "cluster"
    try:
        data = pca_explorer.figure_widget.data
        assert len(data) == len(set(expected))
        for trace in data:
            rows = list(trace.customdata)
            assert {expected[r] for r in rows} == {trace.name}
    finally:
        pca_explorer.colour_control.value = "label"


def test_three_components_and_model_free_use(corpus40, mean_embeddings):
    from smallbert_viz.widgets import ProjectionExplorer

    ex = ProjectionExplorer(
        corpus40[0], embeddings=mean_embeddings, provenance="p", method="pca", n_components=3
    )
    assert ex.figure.data[0].type == "scatter3d"
    assert ex.query_text.disabled and ex.query_button.disabled
    with pytest.raises(ValueError, match="needs a model"):
        ex.query("anything")
    with pytest.raises(ValueError, match="'method' parameter of ProjectionExplorer"):
        ProjectionExplorer(corpus40[0], embeddings=mean_embeddings, provenance="p", method="tsne")


def test_five_sentences_default_to_pca_and_k(standin_model, corpus40):
    from smallbert_viz.widgets import ProjectionExplorer

    texts = corpus40[0][:5]
    ex = ProjectionExplorer(texts, model=standin_model, pooling="mean")
    assert ex.ready and ex.last_error is None, error_text(ex)
    assert ex.k == 5 and ex.projection.method == "pca" and ex.method_control.value == "pca"
    result = ex.query("A quiet evening with rain on the windows.")
    assert result.indices.shape == (1, 5) and sorted(result.indices[0].tolist()) == list(range(5))
    assert sorted(_trace_rows(ex.figure_widget, "highlighted")) == list(range(5))
    # An explicit k is still checked strictly.
    with pytest.raises(ValueError, match=r"'k' parameter of ProjectionExplorer .* \[1, 5\]"):
        ProjectionExplorer(texts, model=standin_model, pooling="mean", k=6)
    # UMAP forced on too few points: PCA, and the status says why.
    tiny = ProjectionExplorer(texts[:3], model=standin_model, pooling="mean", method="umap")
    assert tiny.projection.method == "pca" and "UMAP needs at least 4 points" in tiny.status.value


def test_query_while_umap_finishes_keeps_umap_and_highlight(
    monkeypatch, standin_model, corpus40, mean_embeddings
):
    """A redraw on the notebook thread overlapping UMAP's arrival must not put PCA back."""
    import smallbert_viz.analysis as analysis
    import smallbert_viz.figures as figures
    from smallbert_viz.widgets import ProjectionExplorer

    real_project, real_scatter = analysis.project, figures.projection_scatter
    gate, computed = threading.Event(), threading.Event()
    hook = {"armed": False, "fired": False}
    holder = {}

    def gated(*args, **kwargs):
        if kwargs.get("method") != "umap":
            return real_project(*args, **kwargs)
        assert gate.wait(60), "test never opened the gate"
        out = real_project(*args, **kwargs)
        computed.set()
        return out

    def scatter(*args, **kwargs):
        if hook["armed"] and threading.current_thread() is threading.main_thread():
            # The query's redraw is building its figure: let UMAP finish right now, and give
            # the worker every chance to draw before this (older) figure is applied.
            hook["armed"], hook["fired"] = False, True
            gate.set()
            assert computed.wait(120), "UMAP did not finish"
            deadline = time.monotonic() + 2.0
            while holder["ex"].projection.method != "umap" and time.monotonic() < deadline:
                time.sleep(0.02)
        return real_scatter(*args, **kwargs)

    monkeypatch.setattr(analysis, "project", gated)
    monkeypatch.setattr(figures, "projection_scatter", scatter)
    texts, labels = corpus40
    ex = holder["ex"] = ProjectionExplorer(
        texts, labels, model=standin_model, embeddings=mean_embeddings, pooling="mean", seed=1, k=4
    )
    assert ex.projection.method == "pca" and not ex.ready
    hook["armed"] = True
    result = ex.query("Stocks fell sharply after the earnings report.")
    assert hook["fired"]
    assert ex.wait_ready(180) and ex.last_error is None, error_text(ex)

    assert ex.projection.method == "umap" and "UMAP ready" in ex.status.value
    fw = ex.figure_widget
    np.testing.assert_allclose(_xy_by_row(fw, 40), ex.projection.coords, atol=1e-6)
    assert ex.highlighted.tolist() == result.indices[0].tolist()
    marked = next(t for t in fw.data if t.name == "highlighted")
    rows = np.asarray(marked.customdata, dtype=int)
    assert sorted(rows.tolist()) == sorted(result.indices[0].tolist())
    np.testing.assert_allclose(
        np.column_stack([marked.x, marked.y]), ex.projection.coords[rows], atol=1e-6
    )


def test_recompute_requests_collapse_into_one_worker(monkeypatch, corpus40, mean_embeddings):
    import smallbert_viz.analysis as analysis
    from smallbert_viz.widgets import ProjectionExplorer

    real_project = analysis.project
    calls, threads = [], set()
    started = [threading.Event(), threading.Event()]
    gates = [threading.Event(), threading.Event()]
    active = {"now": 0, "max": 0}
    count_lock = threading.Lock()

    def gated(*args, **kwargs):
        if kwargs.get("method") != "umap":
            return real_project(*args, **kwargs)
        with count_lock:
            i = len(calls)
            calls.append(kwargs["n_neighbors"])
            threads.add(threading.get_ident())
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        try:
            if i < 2:
                started[i].set()
                assert gates[i].wait(60), "test never opened the gate"
            return real_project(*args, **kwargs)
        finally:
            with count_lock:
                active["now"] -= 1

    monkeypatch.setattr(analysis, "project", gated)
    ex = ProjectionExplorer(corpus40[0], embeddings=mean_embeddings, provenance="p", seed=0)
    assert ex.method_control.value == "umap" and started[0].wait(30)
    for n_neighbors in (5, 6, 7):  # three clicks while the first UMAP runs
        ex.n_neighbors_control.value = n_neighbors
        assert "press apply" in ex.status.value
        ex.recompute_button.click()
        assert "press apply" not in ex.status.value
    gates[0].set()
    assert started[1].wait(60), "the latest request never ran"
    # The superseded result was dropped: PCA still drawn, status still about the latest request.
    assert ex.projection.method == "pca" and not ex.ready
    assert "computing UMAP" in ex.status.value and "n_neighbors=7" in ex.status.value
    assert "UMAP ready" not in ex.status.value
    gates[1].set()
    assert ex.wait_ready(180) and ex.last_error is None, error_text(ex)
    assert calls == [15, 7] and len(threads) == 1 and active["max"] == 1
    assert ex.projection.method == "umap" and ex.projection.params["n_neighbors"] == 7
    assert "UMAP ready" in ex.status.value


def test_changed_controls_ask_for_apply(pca_explorer):
    ex = pca_explorer
    assert "apply" in ex.recompute_button.description
    assert "press apply" not in ex.status.value
    ex.n_neighbors_control.value = ex.n_neighbors_control.value - 1  # PCA ignores it
    assert "press apply" not in ex.status.value
    ex.method_control.value = "umap"
    try:
        assert "Parameters changed: press apply" in ex.status.value
        assert ex.projection.method == "pca"  # nothing recomputed yet
    finally:
        ex.method_control.value = "pca"
    assert "press apply" not in ex.status.value and "PCA layout" in ex.status.value


def test_precomputed_embeddings_with_a_model_need_their_pooling(
    standin_model, corpus40, mean_embeddings
):
    from smallbert_viz.widgets import ProjectionExplorer

    texts = corpus40[0]
    for extra in ({}, {"provenance": "my vectors"}):
        with pytest.raises(ValueError, match=r"pass pooling= .* that produced these embeddings"):
            ProjectionExplorer(
                texts, model=standin_model, embeddings=mean_embeddings, method="pca", **extra
            )
    ex = ProjectionExplorer(
        texts, model=standin_model, embeddings=mean_embeddings, pooling="mean", method="pca", k=3
    )
    assert ex.pooling == "mean"
    assert "pooling: mean" in ex.provenance_text and "embeddings: passed in" in ex.provenance_text
    q = "Heavy snow closed the mountain pass."
    vector = np.asarray(standin_model.embed([q], pooling="mean"), dtype=np.float64)[0]
    x = mean_embeddings.astype(np.float64)
    cos = x @ vector / (np.linalg.norm(x, axis=1) * np.linalg.norm(vector))
    assert ex.query(q).indices[0].tolist() == np.argsort(-cos, kind="stable")[:3].tolist()


def test_precomputed_embeddings_are_checked_against_the_model_they_claim(
    standin_model, corpus40, mean_embeddings
):
    from smallbert_viz.widgets import ProjectionExplorer

    texts = corpus40[0]
    kw = {"method": "pca", "k": 3}
    # Mean-pooled vectors claimed to be cls: refused, with the numbers and the fix.
    with pytest.raises(ValueError, match=r"not model.embed\(texts, pooling='cls'.*cosine"):
        ProjectionExplorer(texts, model=standin_model, embeddings=mean_embeddings, pooling="cls", **kw)
    # Unit-length vectors must say so; then queries are unit length too.
    unit = mean_embeddings / np.linalg.norm(mean_embeddings, axis=1, keepdims=True)
    with pytest.raises(ValueError, match="length ratio"):
        ProjectionExplorer(texts, model=standin_model, embeddings=unit, pooling="mean", **kw)
    ex = ProjectionExplorer(
        texts, model=standin_model, embeddings=unit, pooling="mean", normalize=True, metric="dot", **kw
    )
    assert ex.normalize and "normalized: yes" in ex.provenance_text
    q = "Heavy snow closed the mountain pass."
    vector = np.asarray(standin_model.embed([q], pooling="mean", normalize=True), np.float64)[0]
    expected = np.argsort(-(unit.astype(np.float64) @ vector), kind="stable")[:3]
    assert ex.query(q).indices[0].tolist() == expected.tolist()
    # Vectors of another width come from another model.
    with pytest.raises(ValueError, match="another model"):
        ProjectionExplorer(texts, model=standin_model, embeddings=unit[:, :64], pooling="mean", **kw)
    # Named by the user: trusted as named, not checked.
    named = ProjectionExplorer(
        texts, model=standin_model, embeddings=unit[:, :64], pooling="mean", provenance="mine", **kw
    )
    assert named.provenance_text.startswith("mine")
    with pytest.raises(TypeError, match="normalize"):
        ProjectionExplorer(texts, embeddings=unit, provenance="p", normalize="yes", **kw)


def test_explorer_embeds_normalized_once_for_both_views(standin_model, corpus40):
    from smallbert_viz.widgets import Explorer

    texts = corpus40[0][:12]
    ex = Explorer(texts, model=standin_model, pooling="mean", normalize=True)
    norms = np.linalg.norm(ex.projection_view.embeddings, axis=1)
    assert np.allclose(norms, 1, atol=1e-5)
    assert ex.similarity_view.embeddings is ex.projection_view.embeddings
    assert ex.projection_view.normalize and ex.similarity_view.normalize
    assert "normalized: yes" in ex.provenance_text
