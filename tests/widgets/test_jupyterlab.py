"""The explorers in a real JupyterLab, driven by headless Chromium.

One server per module (private config, runtime and root dirs, random port and token), one
generated notebook that builds the three explorers on the stand-in model; then one
interaction per explorer must change what the browser shows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ..jupyterlab_server import KERNEL_EXEC, notebook, notebook_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENTINEL = "SMALLBERT-VIZ-CELLS-DONE"
ATTENTION_TEXT = "The painkillers worked remarkably quickly."


def _notebook(encoder: Path, preprocessor: Path) -> dict:
    setup = f"""\
from smallbert_viz import load_model
from smallbert_viz.corpus import sample_corpus
from smallbert_viz.widgets import AttentionExplorer, ProjectionExplorer, SimilarityExplorer

model = load_model({str(encoder)!r}, preprocessor={str(preprocessor)!r})
corpus = sample_corpus()
rows = [i for lab in sorted(set(corpus.labels))
        for i in [j for j, x in enumerate(corpus.labels) if x == lab][:4]]
texts, labels = [corpus.texts[i] for i in rows], [corpus.labels[i] for i in rows]"""
    cells = [
        setup,
        "sim = SimilarityExplorer(texts, labels, model=model, pooling='mean')\nsim",
        "proj = ProjectionExplorer(texts, labels, model=model, pooling='mean', method='umap', "
        "n_neighbors=8, seed=1)\nproj",
        f"att = AttentionExplorer({ATTENTION_TEXT!r}, model=model)\natt",
        # The hover race: a PCA scatter with many points, plus plotly's own selection callback
        # (the path that loses events) counted for comparison.
        "import json\n"
        "idx = list(range(0, len(corpus.texts), 3))\n"
        "sel = ProjectionExplorer([corpus.texts[i] for i in idx], "
        "[corpus.labels[i] for i in idx], model=model, pooling='mean', method='pca')\n"
        "sel.add_class('race-test')\n"
        "native = []\n"
        "sel.figure_widget.data[-1].on_selection(lambda trace, points, selector: "
        "native.append(1))\n"
        "sel",
        # WebGL (Scattergl) beyond 2,000 points: its lasso reports point numbers too.
        "import numpy as np\n"
        "rng = np.random.default_rng(0)\n"
        "big = ProjectionExplorer([f'sentence {i}' for i in range(3000)], "
        "embeddings=rng.normal(size=(3000, 16)).astype('float32'), provenance='random vectors', "
        "labels=[f'group {i % 3}' for i in range(3000)], method='pca')\n"
        "big.add_class('webgl-test')\n"
        "big",
        "from smallbert_viz.widgets import Explorer\n"
        "ex = Explorer(texts, labels, model=model, pooling='mean', projection={'method': 'pca'})\n"
        "ex.add_class('tabs-test')\n"
        "ex",
        # Split so that the sentinel appears only in the output, never in the cell source.
        f"print({SENTINEL[:12]!r} + {SENTINEL[12:]!r})",
    ]
    return notebook(cells)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, standin_dirs):
    work = tmp_path_factory.mktemp("jupyterlab")
    nb = _notebook(*standin_dirs)
    notebooks = {"explorers.ipynb": nb}
    with notebook_page(work, notebooks, "explorers.ipynb", SENTINEL, timeout_s=240) as (page, errors):
        yield page, errors


def _lasso(page, x0: float, y0: float, x1: float, y1: float) -> None:
    """Draw a rectangular lasso through the page's corners (x0, y0) and (x1, y1)."""
    page.mouse.move(x0, y0)
    page.mouse.down()
    for px, py in ((x1, y0), (x1, y1), (x0, y1), (x0, y0 + 2)):
        page.mouse.move(px, py, steps=6)
    page.mouse.up()


def _lasso_fraction(page, box: dict, fx0: float, fy0: float, fx1: float, fy1: float) -> None:
    """A rectangular lasso given as fractions of the plot area ``box``."""
    _lasso(
        page,
        box["x"] + fx0 * box["width"],
        box["y"] + fy0 * box["height"],
        box["x"] + fx1 * box["width"],
        box["y"] + fy1 * box["height"],
    )


def _plots(page, cls: str) -> int:
    return page.locator(f".{cls} .js-plotly-plot").count()


def test_similarity_cell_click_opens_contributions(lab, artifacts_dir):
    page, errors = lab
    page.wait_for_selector(".smallbert-viz-similarity .js-plotly-plot .main-svg")
    assert _plots(page, "smallbert-viz-similarity") == 1
    # A heatmap wider than the cell scrolls instead of losing its colour bar.
    fits_or_scrolls = page.evaluate(
        """() => {
          const gd = document.querySelector('.smallbert-viz-similarity .js-plotly-plot');
          const box = gd.parentElement;
          return gd.scrollWidth <= box.clientWidth
            || ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
        }"""
    )
    assert fits_or_scrolls
    # The matrix arrives as binary rows: the browser holds the kernel's numbers. Under load the
    # plot's first draw can come before its data (an empty plot, then the data): wait for them.
    page.wait_for_function(
        "() => document.querySelector('.smallbert-viz-similarity .js-plotly-plot')"
        "?.data?.[0]?.z?.length > 3",
        timeout=60_000,
    )
    browser_row = page.evaluate(
        "() => Array.from(document.querySelector('.smallbert-viz-similarity .js-plotly-plot')"
        ".data[0].z[3])"
    )
    kernel_row = _kernel(page, "print(json.dumps(sim.figure_widget.data[0].z[3].tolist()))")
    assert len(browser_row) == len(kernel_row) > 10
    assert max(abs(a - b) for a, b in zip(browser_row, kernel_row, strict=True)) < 1e-6
    drag = page.locator(".smallbert-viz-similarity .js-plotly-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    page.wait_for_function(
        "() => document.querySelectorAll('.smallbert-viz-similarity .js-plotly-plot').length == 2",
        timeout=60_000,
    )
    text = page.locator(".smallbert-viz-similarity").first.text_content()
    assert "Why #" in text and "cosine:" in text
    page.screenshot(path=str(artifacts_dir / "jupyterlab_similarity.png"))
    assert not errors, errors


def test_projection_umap_arrives_and_controls_work(lab, artifacts_dir):
    page, errors = lab
    widget = page.locator(".smallbert-viz-projection").first
    widget.scroll_into_view_if_needed()
    # UMAP arrives from the kernel's background thread without another cell running.
    page.wait_for_function(
        "() => document.querySelector('.smallbert-viz-projection').textContent"
        ".includes('UMAP ready')",
        timeout=120_000,
    )
    # The first projection explorer's traces (others follow it in the notebook).
    traces = (
        "document.querySelector('.smallbert-viz-projection')"
        ".querySelectorAll('.js-plotly-plot .scatterlayer .trace')"
    )
    n_label_traces = page.evaluate(f"() => {traces}.length")
    assert n_label_traces >= 4
    widget.locator(".smallbert-viz-colour select").select_option("none")
    page.wait_for_function(f"() => {traces}.length == 1", timeout=30_000)
    # Box-select the whole plot area: the count and the table fill.
    drag = widget.locator(".js-plotly-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    x0, y0 = box["x"] + 3, box["y"] + 3
    _lasso(page, x0, y0, box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    page.mouse.move(x0 - 40, y0 - 40)
    page.wait_for_function(
        "() => /selected: [1-9]/.test(document.querySelector("
        "'.smallbert-viz-selection-count').textContent)",
        timeout=30_000,
    )
    assert widget.locator(".smallbert-viz-selection-table tr").count() > 1
    # A query highlights neighbours in a new trace and fills the query table.
    widget.locator(".smallbert-viz-query input").fill("The team won the cup final.")
    widget.get_by_role("button", name="find neighbours").click()
    page.wait_for_function(f"() => {traces}.length == 2", timeout=60_000)
    assert widget.locator(".smallbert-viz-query-table tr").count() == 11  # header + k=10
    page.screenshot(path=str(artifacts_dir / "jupyterlab_projection.png"))
    assert not errors, errors


def test_attention_view_switch(lab, artifacts_dir):
    page, errors = lab
    widget = page.locator(".smallbert-viz-attention").first
    widget.scroll_into_view_if_needed()
    page.wait_for_selector(".smallbert-viz-attention .js-plotly-plot .main-svg")
    assert "every layer" in widget.locator(".js-plotly-plot .gtitle").first.text_content()
    widget.get_by_role("button", name="single head").click()
    page.wait_for_function(
        "() => document.querySelector('.smallbert-viz-attention .js-plotly-plot .gtitle')"
        "?.textContent.includes('layer 0, head 0')",
        timeout=30_000,
    )
    page.screenshot(path=str(artifacts_dir / "jupyterlab_attention.png"), full_page=True)
    assert not errors, errors


# -- the hover race (plotly.py #3910) ---------------------------------------------------------


def _kernel(page, code: str):
    """Run ``code`` in the notebook's kernel; its last printed line, parsed as JSON."""
    return json.loads(page.evaluate(KERNEL_EXEC, code).strip().splitlines()[-1])


def _wait_kernel(page, code: str, expected, timeout: float = 15.0):
    """Poll ``code`` until it prints ``expected`` (messages may still be on their way)."""
    deadline = time.monotonic() + timeout
    while True:
        got = _kernel(page, code)
        if got == expected or time.monotonic() > deadline:
            return got
        page.wait_for_timeout(250)


def _hover_across(page, box: dict, steps: int = 14) -> None:
    """Move straight over the plot's points, as a user moving on would, with no pause."""
    for i in range(steps):
        fx = 0.08 + 0.84 * i / (steps - 1)
        fy = 0.5 + 0.35 * (-1) ** i * (i % 3) / 2
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=2)


def _race_widget(page):
    widget = page.locator(".race-test").first
    widget.scroll_into_view_if_needed()
    page.wait_for_selector(".race-test .js-plotly-plot .main-svg")
    drag = widget.locator(".js-plotly-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()
    gd = widget.locator(".js-plotly-plot").first.element_handle()
    custom = _kernel(
        page,
        "print(json.dumps([list(map(int, t.customdata)) for t in sel.figure_widget.data]))",
    )
    return drag.bounding_box(), gd, custom


#: Lasso rectangles as fractions of the plot area (x0, y0, x1, y1), each enclosing points.
_LASSOS = [
    (0.02, 0.02, 0.55, 0.60),
    (0.40, 0.30, 0.98, 0.98),
    (0.02, 0.40, 0.70, 0.98),
    (0.30, 0.02, 0.98, 0.70),
    (0.15, 0.15, 0.85, 0.85),
    (0.02, 0.02, 0.98, 0.50),
    (0.02, 0.50, 0.98, 0.98),
    (0.50, 0.02, 0.98, 0.98),
]


def test_selection_survives_an_immediate_hover(lab, artifacts_dir):
    page, errors = lab
    box, gd, custom = _race_widget(page)
    native_lost = []
    for k, (fx0, fy0, fx1, fy1) in enumerate(_LASSOS):
        n_native = _kernel(page, "print(len(native))")
        _lasso_fraction(page, box, fx0, fy0, fx1, fy1)
        _hover_across(page, box)  # at once: the hover events chase the selection
        pairs = page.evaluate(
            "(gd) => gd.data.flatMap((t, i) => Array.from(t.selectedpoints || [], p => [i, p]))",
            gd,
        )
        expected = sorted({custom[t][p] for t, p in pairs})
        assert expected, f"lasso {k} enclosed no point: the test would prove nothing"
        got = _wait_kernel(page, "print(json.dumps(sel.selected))", expected)
        assert got == expected, (
            f"lasso {k}: the kernel has {len(got)} selected sentences, the browser shows "
            f"{len(expected)}: the selection event was lost"
        )
        count = page.locator(".race-test .smallbert-viz-selection-count").first.text_content()
        assert f"selected: {len(expected):,}" in count
        native_lost.append(_kernel(page, "print(len(native))") == n_native)
    # For the record: how often plotly's own callback path lost the same selections.
    (artifacts_dir / "selection_race.json").write_text(
        json.dumps({"lassos": len(_LASSOS), "plotly_on_selection_lost": sum(native_lost)})
    )
    page.screenshot(path=str(artifacts_dir / "jupyterlab_selection_race.png"))
    assert not errors, errors


def test_click_survives_an_immediate_hover(lab, artifacts_dir):
    page, errors = lab
    box, gd, custom = _race_widget(page)
    # A double-click clears a previous selection (its outline would catch the clicks).
    page.mouse.dblclick(box["x"] + 4, box["y"] + 4)
    assert _wait_kernel(page, "print(json.dumps(sel.selected))", []) == []
    # A few points spread over the traces; their pixels are read just before each click
    # (JupyterLab may scroll the notebook when a click activates the cell).
    targets = page.evaluate(
        "(gd) => gd.calcdata.flatMap((cd, t) => cd.map((_, i) => [t, i])"
        ".filter(([_, i]) => i % 7 == 3).slice(0, 4))",
        gd,
    )
    where = """([gd, t, i]) => {
      const r = gd.getBoundingClientRect(), L = gd._fullLayout, p = gd.calcdata[t][i];
      return [r.left + L.xaxis._offset + L.xaxis.c2p(p.x), r.top + L.yaxis._offset + L.yaxis.c2p(p.y)];
    }"""
    # What the browser itself reports as clicked is the truth to compare with.
    page.evaluate(
        "(gd) => gd.on('plotly_click', (e) => { window.__clicked = "
        "[e.points[0].curveNumber, e.points[0].pointNumber]; })",
        gd,
    )
    seen, rounds = {_kernel(page, "print(json.dumps(sel.clicked))")}, 0
    for t, i in targets:
        page.evaluate("() => { window.__clicked = null; }")
        px, py = page.evaluate(where, [gd, t, i])
        page.mouse.move(px, py)
        page.wait_for_timeout(150)  # plotly resolves the point under the mouse on hover
        page.mouse.click(px, py)
        _hover_across(page, box)  # at once: the hover events chase the click
        clicked = page.evaluate("() => window.__clicked")
        if clicked is None:
            page.screenshot(path=str(artifacts_dir / "jupyterlab_click_race_failed.png"))
        assert clicked is not None, (
            f"no point under the mouse at ({px:.0f}, {py:.0f}); now "
            f"{page.evaluate(where, [gd, t, i])}, hover {page.evaluate('(gd) => !!gd._hoverdata', gd)}"
        )
        row = custom[clicked[0]][clicked[1]]
        if row in seen:  # the kernel would already hold it: this round would prove nothing
            continue
        seen.add(row)
        got = _wait_kernel(page, "print(json.dumps(sel.clicked))", row)
        assert got == row, f"click on sentence {row} reached the kernel as {got}"
        rounds += 1
        if rounds == 6:
            break
    assert rounds >= 4
    assert not errors, errors


def test_every_subtitle_sits_below_its_title(lab):
    """JupyterLab renders widgets before they are in the page; plotly must still measure titles."""
    page, errors = lab
    boxes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(gd => {
          const t = gd.querySelector('.gtitle'), s = gd.querySelector('.gtitle-subtitle');
          if (!t || !s || !s.textContent || gd.getClientRects().length === 0) return [];
          const a = t.getBoundingClientRect(), b = s.getBoundingClientRect();
          return [[t.textContent, a.top, a.bottom, b.top]];
        })"""
    )
    assert len(boxes) >= 4, boxes  # similarity, two projections, attention
    for title, top, bottom, sub_top in boxes:
        assert top < bottom <= sub_top + 1, (
            f"{title!r}: title {top}-{bottom}, subtitle at {sub_top}"
        )
    assert not errors, errors


def test_a_plot_in_a_hidden_tab_draws_when_shown(lab, artifacts_dir):
    """Explorer tabs hide their views (display:none); each plot draws once its tab is shown."""
    page, errors = lab
    widget = page.locator(".tabs-test").first
    widget.scroll_into_view_if_needed()
    page.wait_for_selector(".tabs-test .smallbert-viz-projection .js-plotly-plot .main-svg")
    page.wait_for_timeout(1000)
    hidden = ".tabs-test .smallbert-viz-similarity .js-plotly-plot"
    assert page.locator(hidden).count() == 0  # not drawn while hidden
    widget.get_by_role("tab", name="similarity").click()
    page.wait_for_selector(f"{hidden} .main-svg")
    top, bottom, sub_top = page.evaluate(
        f"""() => {{
          const gd = document.querySelector('{hidden}');
          const a = gd.querySelector('.gtitle').getBoundingClientRect();
          return [a.top, a.bottom, gd.querySelector('.gtitle-subtitle').getBoundingClientRect().top];
        }}"""
    )
    assert top < bottom <= sub_top + 1
    page.screenshot(path=str(artifacts_dir / "jupyterlab_explorer_tab.png"))
    assert not errors, errors


def test_a_lasso_on_a_webgl_scatter_reaches_the_kernel(lab, artifacts_dir):
    page, errors = lab
    widget = page.locator(".webgl-test").first
    widget.scroll_into_view_if_needed()
    page.wait_for_selector(".webgl-test .js-plotly-plot .main-svg")
    gd = widget.locator(".js-plotly-plot").first.element_handle()
    assert page.evaluate("(gd) => gd._fullData.every(t => t.type === 'scattergl')", gd)
    custom = _kernel(
        page,
        "print(json.dumps([list(map(int, t.customdata)) for t in big.figure_widget.data]))",
    )
    page.evaluate(
        "(gd) => { window.__sel = []; gd.on('plotly_selected', (e) => window.__sel.push("
        "(e?.points || []).map(p => [p.curveNumber, p.pointNumber]))); }",
        gd,
    )
    drag = widget.locator(".js-plotly-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    _lasso_fraction(page, box, 0.3, 0.3, 0.7, 0.7)
    _hover_across(page, box)
    # What plotly reported to its listeners. (For WebGL traces plotly.js's own
    # `selectedpoints` state can hold one more boundary point than its event; the event is
    # what every Python callback, plotly's included, receives.)
    events = page.evaluate("() => window.__sel")
    assert len(events) == 1, f"{len(events)} plotly_selected events for one lasso"
    expected = sorted({custom[t][p] for t, p in events[0]})
    assert len(expected) > 100, "the lasso must enclose many of the 3,000 points"
    got = _wait_kernel(page, "print(json.dumps(big.selected))", expected)
    assert got == expected, f"kernel {len(got)} selected, plotly reported {len(expected)}"
    page.screenshot(path=str(artifacts_dir / "jupyterlab_webgl_lasso.png"))
    assert not errors, errors
