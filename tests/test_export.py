"""sv.save / save_table: files written by kaleido and the system Chromium, opened and checked."""

from __future__ import annotations

import os
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from .chromium import require_chromium

EVIL = "<img src=x onerror=alert(1)> & \"quotes\""


@pytest.fixture(scope="module")
def fig():
    from smallbert_viz.figures import projection_scatter

    coords = np.random.default_rng(0).normal(size=(12, 2)).astype(np.float32)
    texts = [f"sentence {i}" for i in range(11)] + [EVIL]
    return projection_scatter(
        coords, texts, labels=["a", "b"] * 6, title="Export " + EVIL, provenance="random vectors"
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after the 8-byte signature)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
def test_png_svg_pdf_are_real_files(fig, tmp_path):
    from smallbert_viz.views.export import save

    require_chromium()
    png = save(fig, tmp_path / "fig.png", width=640, height=480, scale=2)
    data = png.read_bytes()
    assert png_size(data) == (1280, 960) and len(data) > 20_000

    svg = save(fig, tmp_path / "sub" / "fig.SVG", width=640, height=480)
    root = ET.parse(svg).getroot()  # parses as XML
    assert root.tag.endswith("svg") and root.get("width") == "640"
    text = svg.read_text("utf-8")
    assert "<svg" in text and "<img src=x" not in text  # user text stays text
    drawn = ["".join(t.itertext()) for t in root.iter() if t.get("class") == "gtitle"]
    assert drawn and drawn[0].startswith("Export <img src=x onerror=alert(1)> &")  # as typed

    pdf = save(fig, tmp_path / "fig.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and len(data) > 5_000
    assert not [p for p in tmp_path.rglob(".*.tmp")]  # no temporary files left behind


def test_html_is_offline_and_interactive(fig, tmp_path):
    from smallbert_viz.views.export import save

    path = save(fig, tmp_path / "fig.html")
    page = path.read_text("utf-8")
    assert page.lower().startswith("<!doctype html>")
    # plotly.js inlined (about 4.8 MB); no script or stylesheet from the network.
    assert len(page) > 3_000_000 and not re.search(r"<script[^>]*\ssrc=", page)
    assert page.count("<script") >= 2  # plotly.js, then the figure
    assert "sentence 10" in page and "<img src=x" not in page.replace("\\u003cimg", "")


@pytest.mark.parametrize("bad", ["fig.jpg", "fig", "fig.eps", "fig.png.txt"])
def test_bad_suffix_says_which_work(fig, tmp_path, bad):
    from smallbert_viz.views.export import save

    with pytest.raises(ValueError, match=r"The 'path' parameter of save must end in one of "
                       r"'\.png', '\.svg', '\.pdf', '\.html'.*Got '.*" + bad.split(".")[0]):
        save(fig, tmp_path / bad)
    assert not list(tmp_path.iterdir())


def test_bad_figure_and_sizes(fig, tmp_path):
    from smallbert_viz.views.export import save

    with pytest.raises(TypeError, match="'fig' parameter of figure_bytes must be a plotly Figure"):
        save({"x": 1}, tmp_path / "a.html")
    with pytest.raises(TypeError, match="'path' parameter of save must be a str or path"):
        save(fig, 3)
    with pytest.raises(ValueError, match="'width' parameter of figure_bytes"):
        save(fig, tmp_path / "a.png", width=0)


def test_no_browser_is_a_clear_error_before_anything_starts(fig, tmp_path, monkeypatch):
    from smallbert_viz.views.export import BrowserNotFoundError, find_browser, save

    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BrowserNotFoundError, match="apt-get install chromium") as err:
        save(fig, tmp_path / "fig.png")
    assert "chromium-browser" in str(err.value) and "BROWSER_PATH" in str(err.value)
    assert not (tmp_path / "fig.png").exists()
    # .html needs no browser.
    assert save(fig, tmp_path / "fig.html").exists()

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "nowhere" / "chrome"))
    with pytest.raises(BrowserNotFoundError, match="BROWSER_PATH=.*nowhere.* is not an executable"):
        find_browser()


def test_browser_path_and_path_search(tmp_path, monkeypatch):
    from smallbert_viz.views.export import find_browser

    fake = tmp_path / "bin" / "chromium-browser"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert find_browser() == str(fake)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    monkeypatch.setenv("PATH", "")
    assert find_browser() == str(fake)


@pytest.mark.browser
def test_readme_write_image_works_with_the_system_browser(fig, tmp_path):
    """What the README shows: plain plotly ``fig.write_image`` after ``pip install``."""
    require_chromium()
    path = tmp_path / "readme.png"
    fig.write_image(path, width=500, height=400)
    assert png_size(path.read_bytes()) == (500, 400)


def test_save_table_csv_and_parquet_round_trip(tmp_path):
    import pandas as pd

    from smallbert_viz.views.export import save_table

    df = pd.DataFrame(
        {
            "row": [0, 1, 2],
            "text": ['a, "quoted"', "two\nlines", "=1+1 ünïcode"],
            "x": [0.5, -1.25, 3.0],
            "selected": [True, False, True],
        }
    )
    back = pd.read_csv(save_table(df, tmp_path / "t.csv"))
    pd.testing.assert_frame_equal(back, df)
    pytest.importorskip("pyarrow")
    back = pd.read_parquet(save_table(df, tmp_path / "t.parquet"))
    pd.testing.assert_frame_equal(back, df)
    with pytest.raises(ValueError, match=r"'path' parameter of save_table must end in one of "
                       r"'\.csv', '\.parquet'"):
        save_table(df, tmp_path / "t.xlsx")
    with pytest.raises(TypeError, match="'df' parameter of save_table must be a pandas DataFrame"):
        save_table([1, 2], tmp_path / "t.csv")
    assert sorted(os.listdir(tmp_path)) == ["t.csv", "t.parquet"]
