"""The report in headless Chromium with the network blocked: drawn, linked, and text stays text."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import BREAKOUT, EVIL

pytestmark = pytest.mark.browser


def _open_offline(browser, path):
    """``path`` opened from file:// with every other request aborted; problems recorded."""
    pg = browser.new_page(viewport={"width": 1600, "height": 1000})
    problems: list[str] = []
    blocked: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    pg.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.goto(path.as_uri())
    pg.wait_for_selector("body[data-ready='true']", timeout=60_000)
    # Figures below the heatmap and the projection are drawn after ready (in view or idle).
    pg.wait_for_selector("body[data-drawn='all']", timeout=60_000)
    pg.problems = problems
    pg.blocked = blocked
    return pg


@pytest.fixture
def page(browser, built_report):
    """The report opened from file:// with every other request aborted; problems recorded."""
    pg = _open_offline(browser, built_report.path)
    yield pg
    pg.close()


def _selected(pg) -> int:
    return int(pg.locator("#selected").get_attribute("data-selected"))


def _point_center(pg, index: int) -> tuple[float, float]:
    """Page coordinates of sentence ``index``'s marker in the projection (via plotly's axes)."""
    return pg.evaluate(
        """(index) => {
          const gd = document.getElementById('plot-projection');
          for (let t = 0; t < gd._fullData.length; t++) {
            const cd = Array.from(gd._fullData[t].customdata);
            const k = cd.indexOf(index);
            if (k < 0) continue;
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
            const x = box.left + xa.l2p(gd._fullData[t].x[k]);
            const y = box.top + ya.l2p(gd._fullData[t].y[k]);
            return [x, y];
          }
          return null;
        }""",
        index,
    )


def _click_point(pg, index: int) -> None:
    pg.locator("#plot-projection").scroll_into_view_if_needed()
    x, y = _point_center(pg, index)
    pg.mouse.move(x - 15, y - 15)
    pg.mouse.move(x, y, steps=5)  # plotly resolves the point on hover, then the click
    pg.wait_for_selector("#plot-projection .hoverlayer .hovertext")
    pg.mouse.click(x, y)


def test_renders_offline_without_errors(page, built_report, standin_model, artifacts_dir):
    n_plots = 4  # similarity, projection, contributions, attention of the initial sentence
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(d => d.querySelector('.main-svg')).map(d => d.id)"
    )
    assert sorted(drawn) == sorted(
        ["plot-similarity", "plot-projection", "plot-contributions", "plot-attention"]
    )
    assert len(drawn) == n_plots
    assert page.locator(".js-plotly-plot .main-svg").count() == 3 * n_plots  # 3 svg layers each
    # The heatmap got its decoded matrix: N x N numbers, 1 on the diagonal.
    n = len(built_report.texts)
    shape = page.evaluate(
        "(() => { const z = document.getElementById('plot-similarity')._fullData[0].z;"
        " return [z.length, z[0].length, z[5][5], z[3][17], z[17][3]]; })()"
    )
    assert shape[:2] == [n, n] and abs(shape[2] - 1.0) < 1e-4
    rows = built_report.blocks()["report-data"]["heatmapRows"]
    emb = standin_model.embed([built_report.texts[rows[3]], built_report.texts[rows[17]]])
    cos = float(emb[0] @ emb[1] / np.linalg.norm(emb[0]) / np.linalg.norm(emb[1]))
    assert shape[3] == shape[4] == pytest.approx(cos, abs=1e-4)
    assert page.locator("#sentence-table tbody tr").count() == n
    first = built_report.attention_for[0]
    assert _selected(page) == first
    # The first selection's marker is drawn with the projection (no second redraw): once.
    markers = page.evaluate(
        "document.getElementById('plot-projection').layout.annotations"
        ".filter(a => a.name === 'selected').map(a => a.text)"
    )
    assert markers == [f"#{first}"]
    page.screenshot(path=str(artifacts_dir / "report_initial.png"), full_page=True)
    assert page.problems == []
    assert page.blocked == []  # it asked for nothing in the first place


def test_click_projection_point_updates_linked_view(page, built_report, artifacts_dir):
    texts = built_report.texts
    without = next(i for i in range(len(texts)) if i not in built_report.attention_for)
    _click_point(page, without)
    page.wait_for_function(f"document.getElementById('selected').dataset.selected === '{without}'")
    assert page.locator("#selected-text").text_content() == texts[without]
    assert page.locator("#neighbor-table tbody tr").count() == 10
    message = page.locator("#attention-message")
    assert message.is_visible()
    assert f"not precomputed for #{without}" in message.text_content()
    assert page.locator("#plot-attention").is_hidden()

    with_attention = built_report.attention_for[1]
    _click_point(page, with_attention)
    page.wait_for_function(
        f"document.getElementById('selected').dataset.selected === '{with_attention}'"
    )
    page.wait_for_selector("#plot-attention .main-svg")
    assert message.is_hidden()
    title = page.locator("#plot-attention .gtitle").first.text_content()
    assert title.startswith(f"Attention of #{with_attention}")
    page.screenshot(path=str(artifacts_dir / "report_linked.png"), full_page=True)
    assert page.problems == []


def test_table_row_and_heatmap_cell_select(page, built_report):
    texts = built_report.texts
    row = page.locator('#sentence-table tbody tr[data-index="7"]')
    row.scroll_into_view_if_needed()
    row.click()
    assert _selected(page) == 7
    assert "current" in row.get_attribute("class")
    # A neighbour row in the side panel selects that neighbour.
    first = page.locator("#neighbor-table tbody tr").first
    j = int(first.get_attribute("data-index"))
    first.click()
    assert _selected(page) == j

    heat = page.locator("#plot-similarity .nsewdrag").first
    heat.scroll_into_view_if_needed()
    box = heat.bounding_box()
    n = len(texts)
    r, c = 30, 10  # aim at the centre of cell (row 30, column 10)
    x = box["x"] + (c + 0.5) / n * box["width"]
    y = box["y"] + (r + 0.5) / n * box["height"]
    rows = page.evaluate("JSON.parse(document.getElementById('report-data').textContent)")[
        "heatmapRows"
    ]
    page.mouse.move(x, y, steps=3)
    # plotly.js throttles hover events and a click reports the last hover it handled: wait for
    # the hover of this very cell (an earlier step of the move may have hovered another).
    page.wait_for_function(
        """([r, c]) => {
          const layer = document.querySelector('#plot-similarity .hoverlayer');
          const text = layer ? layer.textContent : '';
          return text.includes('row #' + r + ' ') && text.includes('column #' + c + ' ');
        }""",
        arg=[rows[r], rows[c]],
    )
    page.mouse.click(x, y)
    # The neighbour click above already showed a pair: wait for this cell's own selection.
    page.wait_for_function(
        f"document.getElementById('selected').dataset.selected === '{rows[r]}'", timeout=10_000
    )
    assert _selected(page) == rows[r]
    assert f"#{rows[r]} \u00d7 #{rows[c]}" in page.locator("#selected-pair").text_content()
    assert page.problems == []


def test_xss_sentence_stays_text(page, built_report):
    i = built_report.texts.index(EVIL)
    row = page.locator(f'#sentence-table tbody tr[data-index="{i}"]')
    row.scroll_into_view_if_needed()
    row.click()
    assert page.locator("#selected-text").text_content() == EVIL
    assert EVIL in page.locator("#selected-title").text_content()  # its label is EVIL too
    assert i in built_report.attention_for
    page.wait_for_selector("#plot-attention .main-svg")
    # Hover on its projection point shows the characters, not an element.
    _click_point(page, i)
    assert (
        "<img src=x onerror=alert(1)>"
        in page.locator("#plot-projection .hoverlayer").text_content()
    )
    # Quotes show as typed too (the page escapes hover text itself, as numeric entities).
    _click_point(page, built_report.texts.index(BREAKOUT))
    hover = page.locator("#plot-projection .hoverlayer").text_content()
    assert "alert(\"2\")" in hover and "it's a comment" in hover, hover
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    # The template's scripts, plus the two our loader added (plotly.js, report.js): none
    # came from the sentence.
    n_tags = built_report.html.count("<script")
    assert page.evaluate("document.querySelectorAll('script').length") == n_tags + 2
    assert page.problems == []  # no dialog, no error


# -- CSV downloads of the report's tables (offline: Blob URL + a.download) ----------------------

#: Sentences that break naive CSV: separators, quotes, newlines, and spreadsheet formulas.
CSV_TRAPS = [
    "=HYPERLINK(\"http://example.invalid\",\"click\")",
    "+1 plus one",
    "-2 minus two",
    "@SUM(A1:A2)",
    "\tleading tab",
    'he said "hi", then left',
    "first line\nsecond line, with a comma",
    "a, b, c",
    "Straße ✓ café",
    EVIL,
    "plain sentence about the sea",
    "another plain sentence about the sky",
]
CSV_LABELS = ["=1+1", "quote\"", "x", "y", "x", "y", "x", "y", "x", "y", "x", "y"]


def _spreadsheet_safe(text: str) -> str:
    """What the CSV must hold for ``text``: formulas defused with a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _read_csv(download) -> list[list[str]]:
    import csv
    import io

    raw = open(download.path(), "rb").read()
    assert raw.startswith("\ufeff".encode()), "UTF-8 byte-order mark missing"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def csv_report(standin_model, tmp_path_factory):
    from smallbert_viz.reporting import report

    path = report(
        CSV_TRAPS,
        CSV_LABELS,
        model=standin_model,
        path=tmp_path_factory.mktemp("csv-report") / "report.html",
        attention_for=(0,),
    )
    return path


@pytest.fixture
def csv_page(browser, csv_report):
    pg = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    problems: list[str] = []
    blocked: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))

    def route(r):
        if r.request.url.startswith(("file:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.goto(csv_report.as_uri())
    pg.wait_for_selector("body[data-ready='true']", timeout=60_000)
    # Figures below the heatmap and the projection are drawn after ready (in view or idle).
    pg.wait_for_selector("body[data-drawn='all']", timeout=60_000)
    pg.problems = problems
    pg.blocked = blocked
    yield pg
    pg.close()


def test_sentence_table_downloads_as_csv_offline(csv_page, csv_report):
    from smallbert_viz.reporting.render import read_page_data

    data = read_page_data(csv_report.read_text("utf-8"))
    with csv_page.expect_download() as info:
        csv_page.click("#download-table")
    download = info.value
    assert download.suggested_filename == "sentences.csv"
    rows = _read_csv(download)
    assert rows[0] == ["row", "label", "sentence", "nearest_row", "nearest_sentence", "cosine"]
    assert len(rows) == 1 + len(CSV_TRAPS)
    for i, row in enumerate(rows[1:]):
        j = data["neighbors"]["indices"][i][0]
        assert row[0] == str(i)
        assert row[1] == _spreadsheet_safe(CSV_LABELS[i])
        assert row[2] == _spreadsheet_safe(CSV_TRAPS[i])  # commas, quotes, newlines survive
        assert row[3] == str(j) and row[4] == _spreadsheet_safe(CSV_TRAPS[j])
        assert float(row[5]) == pytest.approx(data["neighbors"]["scores"][i][0], abs=1e-6)
    # No cell a spreadsheet would evaluate as a formula.
    assert not any(cell[:1] in "=+@\t\r" and cell for row in rows[1:] for cell in row[1:3])
    assert csv_page.problems == [] and csv_page.blocked == []


def test_box_selection_downloads_as_csv(csv_page):
    gd = "document.getElementById('plot-projection')"
    csv_page.evaluate(f"Plotly.relayout({gd}, {{dragmode: 'select'}})")
    csv_page.locator("#plot-projection").scroll_into_view_if_needed()
    box = csv_page.locator("#plot-projection .nsewdrag").first.bounding_box()
    # Corner to corner of the plot area: every point is inside (autorange pads the markers).
    csv_page.mouse.move(box["x"] + 2, box["y"] + 2)
    csv_page.mouse.down()
    csv_page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    csv_page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2, steps=5)
    csv_page.mouse.up()
    csv_page.wait_for_selector("#download-selection", timeout=10_000)
    with csv_page.expect_download() as info:
        csv_page.click("#download-selection")
    download = info.value
    assert download.suggested_filename == "selection.csv"
    rows = _read_csv(download)
    assert rows[0] == ["row", "label", "sentence"]
    got = sorted(int(r[0]) for r in rows[1:])
    assert got == list(range(len(CSV_TRAPS)))
    for row in rows[1:]:
        i = int(row[0])
        assert row[1:] == [_spreadsheet_safe(CSV_LABELS[i]), _spreadsheet_safe(CSV_TRAPS[i])]
    assert csv_page.problems == [] and csv_page.blocked == []


def test_new_sections_render_and_link(page, built_report):
    """Keywords, near-duplicates and the trust toggle render; their text stays text."""
    table = page.locator("#keyword-table")
    assert EVIL in table.text_content()  # the XSS label, shown as characters
    pair = page.locator("#duplicate-table tbody tr").first
    pair.scroll_into_view_if_needed()
    pair.click()
    i, j = int(pair.get_attribute("data-index")), int(pair.get_attribute("data-pair"))
    assert _selected(page) == i
    assert f"#{j}" in page.locator("#selected-pair").text_content()
    # Keyword annotations survive the selection marker.
    n_notes = page.evaluate(
        "document.getElementById('plot-projection').layout.annotations.length"
    )
    own = built_report.blocks()["fig-projection"]["layout"]["annotations"]
    n_groups = sum(1 for r in built_report.blocks()["report-data"]["keywords"]["groups"]
                   if r["keywords"])
    assert len(own) == n_groups and n_notes == n_groups + 1  # no marker piles up
    # The trust button shows the trust trace only.
    page.locator("#plot-projection .updatemenu-button").nth(1).click()
    page.wait_for_timeout(300)
    visible = page.evaluate(
        "document.getElementById('plot-projection')._fullData.map(t => t.visible === true)"
    )
    assert visible[-1] and not any(visible[:-1])
    assert page.locator("#plot-layer-accuracy").is_hidden()  # skipped: its reason is shown
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.problems == []


# -- large-corpus paths at small N: one page of rows, search over all texts, packed data ------


@pytest.fixture(scope="module")
def paged_report(standin_model, tmp_path_factory):
    """150 sentences, 25 table rows a page, coordinates given (no projection computed)."""
    from smallbert_viz.corpus import sample_corpus
    from smallbert_viz.reporting import render, report

    base = sample_corpus()
    texts = [f"{base.texts[i % len(base.texts)]} (number {i})" for i in range(149)] + [EVIL]
    labels = [base.labels[i % len(base.labels)] for i in range(149)] + ["traps"]
    coords = np.random.default_rng(5).normal(size=(len(texts), 2)).astype(np.float32)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render, "TABLE_PAGE_ROWS", 25)
        path = report(
            texts,
            labels,
            model=standin_model,
            coords=coords,
            attention_for=(0,),
            path=tmp_path_factory.mktemp("paged") / "report.html",
        )
    return path, texts, labels, coords


@pytest.fixture
def paged_page(browser, paged_report):
    pg = _open_offline(browser, paged_report[0])
    yield pg
    pg.close()


def test_packed_blocks_decode_in_the_browser(paged_page, paged_report):
    from smallbert_viz.reporting.render import read_page_data

    path, texts, labels, coords = paged_report
    got = paged_page.evaluate(
        "(() => { const d = window.smallbertReport.data; return {texts: d.texts,"
        " labels: d.labels, coords: Array.from(d.coords), idx: Array.from(d.neighbors.indices),"
        " scores: Array.from(d.neighbors.scores), k: d.neighbors.k}; })()"
    )
    assert got["texts"] == texts and got["labels"] == labels
    np.testing.assert_array_equal(np.asarray(got["coords"], np.float32), coords.ravel())
    ref = read_page_data(path.read_text("utf-8"))
    np.testing.assert_array_equal(np.asarray(got["idx"]).reshape(-1, got["k"]),
                                  ref["neighbors"]["indices"])
    np.testing.assert_allclose(np.asarray(got["scores"]).reshape(-1, got["k"]),
                               ref["neighbors"]["scores"], atol=1e-6)
    # The given layout is drawn as it is: the scatter's points are the given coordinates.
    xy = paged_page.evaluate(
        "(() => { const gd = document.getElementById('plot-projection');"
        " const t = gd._fullData[0]; return [Array.from(t.customdata), Array.from(t.x),"
        " Array.from(t.y)]; })()"
    )
    rows = np.asarray(xy[0])
    np.testing.assert_array_equal(np.asarray(xy[1], np.float32), coords[rows, 0])
    np.testing.assert_array_equal(np.asarray(xy[2], np.float32), coords[rows, 1])
    assert paged_page.problems == [] and paged_page.blocked == []


def test_table_is_paged_and_search_finds_any_sentence(paged_page, paged_report):
    _, texts, _, _ = paged_report
    body = "#sentence-table tbody tr"
    assert paged_page.locator(body).count() == 25  # one page, not all 150
    first = [int(r.get_attribute("data-index")) for r in paged_page.locator(body).all()]
    paged_page.click("#table-next")
    second = [int(r.get_attribute("data-index")) for r in paged_page.locator(body).all()]
    assert not set(first) & set(second) and len(second) == 25
    # Search for a sentence far beyond the first page, then select it from the results.
    target = 137
    paged_page.fill("#table-filter", "(number 137)")
    paged_page.wait_for_function(
        "document.querySelectorAll('#sentence-table tbody tr').length === 1"
    )
    row = paged_page.locator(body).first
    assert int(row.get_attribute("data-index")) == target
    row.click()
    assert _selected(paged_page) == target
    assert paged_page.locator("#selected-text").text_content() == texts[target]
    assert "current" in row.get_attribute("class")
    assert paged_page.locator("#neighbor-table tbody tr").count() == 10
    # HTML in a text stays text, in the search results as everywhere.
    paged_page.fill("#table-filter", "onerror")
    paged_page.wait_for_function(
        "document.querySelectorAll('#sentence-table tbody tr').length === 1"
    )
    assert paged_page.locator(body).first.locator("td.text").first.text_content() == EVIL
    assert paged_page.evaluate("document.querySelectorAll('img').length") == 0
    # Selecting a sentence elsewhere (a neighbour) with the search cleared turns to its page.
    paged_page.fill("#table-filter", "")
    paged_page.wait_for_function(
        "document.querySelectorAll('#sentence-table tbody tr').length === 25"
    )
    paged_page.evaluate("window.scrollTo(0, 0)")
    neighbour = paged_page.locator("#neighbor-table tbody tr").first
    j = int(neighbour.get_attribute("data-index"))
    neighbour.click()
    assert _selected(paged_page) == j
    current = paged_page.locator("#sentence-table tbody tr.current")
    assert current.count() == 1 and int(current.get_attribute("data-index")) == j
    assert paged_page.problems == [] and paged_page.blocked == []
