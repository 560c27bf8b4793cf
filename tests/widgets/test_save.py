"""Explorers' .save, download bar and ProjectionExplorer.to_pandas / save_table."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from ..chromium import require_chromium
from .events import EVIL, select

N = 14


@pytest.fixture(scope="module")
def data():
    texts = [f"sentence {i}" for i in range(N - 2)] + [EVIL, 'a, "quoted"\nsentence']
    labels = [f"group {i % 3}" for i in range(N)]
    emb = np.random.default_rng(1).normal(size=(N, 16)).astype(np.float32)
    return texts, labels, emb


@pytest.fixture
def projection(data):
    from smallbert_viz.widgets import ProjectionExplorer

    texts, labels, emb = data
    return ProjectionExplorer(texts, labels, embeddings=emb, provenance="random", method="pca")


def _drawn_xy(fw) -> np.ndarray:
    """(N, 2) coordinates as drawn, read back from the traces' customdata."""
    out = np.full((N, 2), np.nan)
    for trace in fw.data:
        if trace.name == "highlighted":
            continue
        rows = np.asarray(trace.customdata, dtype=int)
        out[rows, 0], out[rows, 1] = trace.x, trace.y
    return out


def test_to_pandas_matches_the_drawing_and_the_selection(projection, data):
    texts, labels, _ = data
    fw = projection.figure_widget
    df = projection.to_pandas()
    assert list(df.columns) == ["row", "text", "label", "x", "y", "selected"]
    assert df["row"].tolist() == list(range(N))
    assert df["text"].tolist() == texts and df["label"].tolist() == labels
    np.testing.assert_allclose(df[["x", "y"]].to_numpy(), _drawn_xy(fw), rtol=1e-6)
    assert not df["selected"].any()
    assert "PCA" in df.attrs["projection"] and "random" in df.attrs["provenance"]

    # A box selection as the front end sends it.
    picks = [(0, 0), (1, 1), (2, 0)]
    expected = sorted(int(fw.data[t].customdata[p]) for t, p in picks)
    select(fw, picks)
    assert projection.selected == expected
    df = projection.to_pandas()
    assert df.index[df["selected"]].tolist() == expected
    only = projection.to_pandas(selected_only=True)
    assert only["row"].tolist() == expected and only["selected"].all()
    assert only["text"].tolist() == [texts[i] for i in expected]
    with pytest.raises(TypeError, match="'selected_only' parameter of ProjectionExplorer"):
        projection.to_pandas(selected_only="yes")


def test_to_pandas_3d_and_without_labels(data):
    from smallbert_viz.widgets import ProjectionExplorer

    texts, _, emb = data
    ex = ProjectionExplorer(texts, embeddings=emb, provenance="r", method="pca", n_components=3)
    df = ex.to_pandas()
    assert list(df.columns) == ["row", "text", "label", "x", "y", "z", "selected"]
    assert df["label"].isna().all()
    np.testing.assert_allclose(df[["x", "y", "z"]].to_numpy(), ex.projection.coords, rtol=1e-6)


def test_save_table_csv_and_parquet(projection, tmp_path):
    import pandas as pd

    fw = projection.figure_widget
    select(fw, [(0, 0), (0, 1)])
    want = projection.to_pandas()
    csv = projection.save_table(tmp_path / "points.csv")
    back = pd.read_csv(csv, keep_default_na=False)
    assert back["text"].tolist() == want["text"].tolist()  # commas, quotes, newlines survive
    np.testing.assert_allclose(back[["x", "y"]].to_numpy(), want[["x", "y"]].to_numpy())
    assert back["selected"].tolist() == want["selected"].tolist()
    pytest.importorskip("pyarrow")
    part = projection.save_table(tmp_path / "sel.parquet", selected_only=True)
    pd.testing.assert_frame_equal(pd.read_parquet(part), projection.to_pandas(selected_only=True))
    with pytest.raises(ValueError, match="'path' parameter of ProjectionExplorer.save_table"):
        projection.save_table(tmp_path / "points.xlsx")


def test_download_bar_offers_the_table(projection, tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.chdir(tmp_path)
    select(projection.figure_widget, [(0, 0)])
    projection.download_format.value = "csv"
    projection.download_button.click()
    assert projection.last_error is None, projection.last_error
    path = tmp_path / "smallbert-viz-projection-table.csv"
    back = pd.read_csv(path, keep_default_na=False)
    assert back["row"].tolist() == list(range(N)) and back["selected"].sum() == 1
    payload = re.search(r'href="data:text/csv;base64,([^"]+)"', projection.download_link.value)
    assert base64.b64decode(payload.group(1)) == path.read_bytes()
    with pytest.raises(ValueError, match="'fmt' parameter of ProjectionExplorer.download"):
        projection.download("xlsx")


def test_every_explorer_has_a_download_bar_above_its_errors(data):
    from smallbert_viz.widgets import Explorer, SimilarityExplorer

    texts, labels, emb = data
    sim = SimilarityExplorer(texts, labels, embeddings=emb, provenance="r")
    for ex in (sim,):
        kids = list(ex.children)
        assert ex.download_bar in kids and kids.index(ex.download_bar) == kids.index(ex.errors) - 1
    linked = Explorer(texts, labels, embeddings=emb, provenance="r", projection={"method": "pca"})
    # The linked explorer has none of its own: each tab's explorer has one.
    assert all("smallbert-viz-download" not in c._dom_classes for c in linked.children)
    for view in (linked.projection_view, linked.similarity_view):
        assert view.download_bar in view.children
    with pytest.raises(NotImplementedError, match="ProjectionExplorer.to_pandas"):
        sim.to_pandas()
    # Only explorers with a table offer one in the bar.
    assert "csv" not in [v for _, v in sim.download_format.options]
    assert "csv" in [v for _, v in linked.projection_view.download_format.options]


def _trace_types(page: str) -> set[str]:
    """Trace types of the figure in a saved .html (the data argument of Plotly.newPlot)."""
    import json

    call = re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page)
    traces, _ = json.JSONDecoder().raw_decode(page, call.end())
    return {t.get("type", "scatter") for t in traces}


def test_save_html_picks_the_shown_figure(data, tmp_path):
    from smallbert_viz.widgets import Explorer

    texts, labels, emb = data
    ex = Explorer(texts, labels, embeddings=emb, provenance="r", projection={"method": "pca"})
    ex.tabs.selected_index = 0
    assert _trace_types(ex.save(tmp_path / "a.html").read_text("utf-8")) == {"scatter"}
    ex.tabs.selected_index = 1
    assert _trace_types(ex.save(tmp_path / "b.html").read_text("utf-8")) == {"heatmap"}
    page = ex.save(tmp_path / "c.html", name="projection").read_text("utf-8")
    assert _trace_types(page) == {"scatter"}
    with pytest.raises(ValueError, match="'name' parameter of Explorer.save must be one of"):
        ex.save(tmp_path / "d.html", name="nope")
    with pytest.raises(ValueError, match="'path' parameter of save must end in one of"):
        ex.save(tmp_path / "e.jpg")


def test_attention_explorer_without_a_text_says_so(standin_model, tmp_path):
    from smallbert_viz.widgets import AttentionExplorer

    ex = AttentionExplorer(model=standin_model)
    with pytest.raises(ValueError, match=r"shows no figure yet.*\.show\(text\)"):
        ex.save(tmp_path / "att.png")
    assert ex.download_bar in ex.children


@pytest.mark.browser
def test_download_button_writes_the_file_and_links_its_bytes(projection, tmp_path, monkeypatch):
    require_chromium()
    monkeypatch.chdir(tmp_path)
    projection.download_format.value = "png"
    projection.download_button.click()
    assert projection.last_error is None, projection.last_error
    path = tmp_path / "smallbert-viz-projection.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    link = projection.download_link.value
    assert 'download="smallbert-viz-projection.png"' in link and str(path) in link
    payload = re.search(r'href="data:image/png;base64,([^"]+)"', link).group(1)
    assert base64.b64decode(payload) == data

    # A failure lands in the error panel and the bar says the file was not saved.
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-browser"))
    projection.download_format.value = "pdf"
    projection.download_button.click()
    assert "not saved" in projection.download_link.value
    assert "BROWSER_PATH" in str(projection.last_error)
    assert not (tmp_path / "smallbert-viz-projection.pdf").exists()
