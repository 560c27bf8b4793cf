"""Every figure kind laid out in headless Chromium at a notebook's width: no text on text.

plotly.js places titles, subtitles, panel titles and axis titles where it is told and never
wraps or moves them, so a long provenance line runs off the figure and a short top margin puts
the subtitle on the first row of panel titles. These tests draw each builder's figure with long
provenance strings (like a real stand-in's), measure the boxes of the text Chromium actually
drew, and fail on two boxes overlapping or on a box outside the figure's SVG.
"""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.figures import (
    attention_grid,
    attention_heatmap,
    cka_heatmap,
    comparison_scatter,
    contribution_heatmap,
    explanation_heatmap,
    head_view,
    layer_accuracy_chart,
    projection_scatter,
    similarity_heatmap,
)

from .test_render_browser import open_page

pytestmark = pytest.mark.browser

#: A Jupyter cell's output area is about this wide.
CELL_WIDTH = 900

PROVENANCE = (
    "model: small_bert_en_uncased_L-4_H-256_A-4 (L=4, H=256, A=4, 11,170,560 parameters, "
    "RANDOM-WEIGHT STAND-IN, in place of https://tfhub.dev/tensorflow/small_bert/"
    "bert_en_uncased_L-4_H-256_A-4/2) | preprocessor: https://tfhub.dev/tensorflow/"
    "bert_en_uncased_preprocess/3 | pooling: mean | normalize: True | max_length: 128 | "
    "precision: float32"
)
METHOD = (
    "UMAP n_neighbors=15 min_dist=0.1 metric=cosine seed=42 knn=exact (brute force below "
    "4,096 points) init=spectral n_epochs=500"
)
TEXTS = [
    "The cat sat on the mat.",
    "A dog slept on the rug all afternoon, dreaming of long walks by the river.",
    "Stocks fell on Monday as investors worried about interest rates.",
    "The central bank left rates unchanged.",
    "She plays the violin in a small orchestra.",
    "Rain is expected over the weekend in the north.",
]
TOKENS = (
    "[CLS] the quick brown fox jumps over the lazy dog while the cat sleeps on a warm "
    "soft mat ##s [SEP]"
).split()
assert len(TOKENS) == 21  # all-MiniLM-L6-v2's grid in issue 13 had 21 tokens

#: JavaScript: the text boxes of one figure, grouped by kind.
MEASURE = """
(id) => {
  const root = document.getElementById(id);
  const svg = root.querySelector('.main-svg').getBoundingClientRect();
  const box = (kind, e) => {
    const r = e.getBoundingClientRect();
    return {kind, text: e.textContent.slice(0, 60), x0: r.left, y0: r.top, x1: r.right,
            y1: r.bottom};
  };
  const all = (sel) => Array.from(root.querySelectorAll(sel))
    .filter(e => e.textContent.trim() && e.getBoundingClientRect().width > 0);
  const out = [];
  all('.g-gtitle .gtitle').forEach(e => out.push(box('title', e)));
  all('.gtitle-subtitle').forEach(e => out.push(box('subtitle', e)));
  all('.annotation-text').forEach(e => out.push(box('annotation', e)));
  all('.infolayer text').filter(e => /^[xy]\\d*title$/.test(e.getAttribute('class') || ''))
    .forEach(e => out.push(box('axis title', e)));
  all('.cbtitle text').forEach(e => out.push(box('colorbar title', e)));
  // Axis tick labels (g.xtick, g.x2tick, ...) and colour bar ones (g.ycb<id>tick).
  all('g[class$="tick"] > text').forEach(e => out.push(box(
    e.parentNode.getAttribute('class').startsWith('ycb') ? 'colorbar tick' : 'tick', e)));
  all('.legendtext').forEach(e => out.push(box('legend', e)));
  return {svg: {x0: svg.left, y0: svg.top, x1: svg.right, y1: svg.bottom}, boxes: out};
}
"""

#: Pairs of kinds that must not overlap (tick labels may touch each other, not the headings).
HEADINGS = {"title", "subtitle", "annotation", "axis title", "colorbar title", "legend"}
SLACK = 1.0  # px: glyph boxes of adjacent lines may touch


def _overlap(a: dict, b: dict) -> bool:
    w = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
    h = min(a["y1"], b["y1"]) - max(a["y0"], b["y0"])
    return w > SLACK and h > SLACK


def layout_problems(measured: dict) -> list[str]:
    """Overlapping heading boxes, headings on tick labels, and boxes outside the SVG."""
    svg, boxes = measured["svg"], measured["boxes"]
    problems = []
    for b in boxes:
        if (
            b["x0"] < svg["x0"] - SLACK
            or b["x1"] > svg["x1"] + SLACK
            or b["y0"] < svg["y0"] - SLACK
            or b["y1"] > svg["y1"] + SLACK
        ):
            problems.append(f"{b['kind']} {b['text']!r} outside the figure")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            pair = {a["kind"], b["kind"]}
            if pair <= {"tick", "colorbar tick"} or pair == {"colorbar title", "colorbar tick"}:
                continue  # neighbouring labels, or plotly's own colour bar layout
            if a["kind"] not in HEADINGS and b["kind"] not in HEADINGS:
                continue
            if _overlap(a, b):
                problems.append(f"{a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
    return problems


def every_figure() -> dict:
    rng = np.random.default_rng(0)
    n = len(TEXTS)
    sim = rng.uniform(0.1, 1.0, size=(n, n))
    sim = (sim + sim.T) / 2
    np.fill_diagonal(sim, 1.0)
    labels = ["animals", "animals", "finance", "finance", "music", "weather"]
    ta, tb = TOKENS[:9], TOKENS[9:]
    contrib = rng.normal(scale=0.02, size=(len(ta), len(tb)))
    grid_8x2 = rng.dirichlet(np.ones(12), size=(8, 2, 12))
    grid_6x12 = rng.dirichlet(np.ones(len(TOKENS)), size=(6, 12, len(TOKENS)))
    coords = rng.normal(size=(n, 2))
    cka = np.clip(rng.uniform(0.3, 1.0, size=(5, 5)), 0, 1)
    cka = (cka + cka.T) / 2
    np.fill_diagonal(cka, 1.0)
    return {
        "similarity": similarity_heatmap(sim, TEXTS, labels=labels, provenance=PROVENANCE),
        "contribution": contribution_heatmap(contrib, ta, tb, total=0.42, provenance=PROVENANCE),
        "projection": projection_scatter(
            coords, TEXTS, labels=labels, provenance=PROVENANCE, method_description=METHOD
        ),
        "grid8x2": attention_grid(grid_8x2, TOKENS[:12], provenance=PROVENANCE),
        "grid6x12": attention_grid(grid_6x12, TOKENS, provenance=PROVENANCE),
        "heatmap": attention_heatmap(grid_6x12[2, 5], TOKENS, provenance=PROVENANCE),
        "headview": head_view(grid_6x12[2, 5], TOKENS, provenance=PROVENANCE),
        "explanation": explanation_heatmap(
            contrib,
            ta,
            tb,
            score=0.42,
            offset=0.01,
            completeness_error=0.003,
            metric="cosine",
            method="integrated Jacobians, 16 Gauss-Legendre steps along the straight path",
            provenance=PROVENANCE,
        ),
        "layers": layer_accuracy_chart(
            np.linspace(0.4, 0.9, 5), chance=0.25, provenance=PROVENANCE
        ),
        "cka": cka_heatmap(cka, provenance=PROVENANCE),
        "compare": comparison_scatter(
            coords,
            coords + rng.normal(scale=0.1, size=coords.shape),
            TEXTS,
            labels=labels,
            names=("small_bert_en_uncased_L-4_H-256_A-4", "all-MiniLM-L6-v2"),
            cka=0.83,
            provenance=PROVENANCE,
            method_description=METHOD,
        ),
    }


#: Fonts to lay out with: the page's own (plotly asks for "Open Sans", verdana, arial; Chromium
#: here draws Liberation Sans, metric-compatible with Arial), and DejaVu Sans, as wide as the
#: Verdana many notebooks fall back to.
FONTS = {"default": "", "wide": "<style>text { font-family: 'DejaVu Sans' !important; }</style>"}


@pytest.fixture(scope="module", params=sorted(FONTS))
def measured(request, browser, tmp_path_factory, artifacts_dir):
    figs = every_figure()
    page, problems = open_page(
        browser,
        tmp_path_factory.mktemp("layout"),
        figs,
        width=CELL_WIDTH,
        head=FONTS[request.param],
    )
    page.screenshot(
        path=str(artifacts_dir / f"figures_layout_{request.param}.png"), full_page=True
    )
    out = {name: page.evaluate(MEASURE, name) for name in figs}
    page.close()
    assert problems == []
    return out


@pytest.mark.parametrize(
    "name",
    [
        "similarity",
        "contribution",
        "projection",
        "grid8x2",
        "grid6x12",
        "heatmap",
        "headview",
        "explanation",
        "layers",
        "cka",
        "compare",
    ],
)
def test_no_text_overlaps_or_leaves_the_figure(measured, name):
    m = measured[name]
    kinds = {b["kind"] for b in m["boxes"]}
    assert {"title", "subtitle"} <= kinds, kinds  # the measurement found the headings
    assert layout_problems(m) == []


@pytest.mark.parametrize("name", ["projection", "grid6x12", "grid8x2", "heatmap", "headview"])
def test_figure_fits_a_notebook_cell(measured, name):
    svg = measured[name]["svg"]
    assert svg["x1"] - svg["x0"] <= CELL_WIDTH


def test_long_provenance_wraps_instead_of_being_cut(measured):
    # The words at the end of the provenance and of the method are drawn, inside the figure.
    subtitle = next(b for b in measured["projection"]["boxes"] if b["kind"] == "subtitle")
    assert subtitle["y1"] - subtitle["y0"] > 3 * 14  # several lines
    assert layout_problems(measured["projection"]) == []


def test_6x12_grid_labels_only_outer_panels_and_only_when_readable(measured):
    ticks = [b for b in measured["grid6x12"]["boxes"] if b["kind"] == "tick"]
    # 21 tokens in a panel of about 60 px cannot be labelled legibly: hover names them.
    assert ticks == []
    ticks_8x2 = [b for b in measured["grid8x2"]["boxes"] if b["kind"] == "tick"]
    # 12 tokens in the 2-head grid are readable: x on the bottom row, y on the left column.
    assert len(ticks_8x2) == 12 * 2 + 12 * 8


def test_detector_finds_overlap_and_overflow():
    """The checker itself fails on the two faults issue 13 showed (so the tests can fail)."""
    svg = {"x0": 0, "y0": 0, "x1": 900, "y1": 500}
    title = {"kind": "title", "text": "t", "x0": 10, "y0": 5, "x1": 200, "y1": 22}
    cut = {"kind": "subtitle", "text": "knn=exac", "x0": 10, "y0": 30, "x1": 1010, "y1": 44}
    panel = {"kind": "annotation", "text": "layer 0", "x0": 80, "y0": 40, "x1": 160, "y1": 52}
    problems = layout_problems({"svg": svg, "boxes": [title, cut, panel]})
    assert any("outside" in p for p in problems)
    assert any("overlaps" in p for p in problems)
    assert layout_problems({"svg": svg, "boxes": [title]}) == []


#: A neighbour row as report.js fills it: #id, cosine, label, sentence.
NEIGHBOUR = (
    "<tr><td class='num'>#{i}</td><td class='num'>0.{i}123</td><td>business and finance</td>"
    "<td class='text'>Stocks fell sharply on Monday as investors worried that the central bank "
    "would raise interest rates again before the end of the year.</td></tr>"
)


@pytest.mark.parametrize("viewport", [1280, 1600])
def test_report_side_panel_keeps_sentences_readable(browser, tmp_path, viewport):
    """The report's template and CSS with the side panel filled: several words per line."""
    import string
    from importlib.resources import files

    static = files("smallbert_viz.reporting") / "static"
    template = string.Template((static / "template.html").read_text(encoding="utf-8"))
    fields = dict.fromkeys(template.get_identifiers(), "")
    fields |= {"css": (static / "report.css").read_text(encoding="utf-8"), "title": "t"}
    page_html = template.substitute(fields)
    path = tmp_path / "report.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": viewport, "height": 900})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.as_uri())
    rows = "".join(NEIGHBOUR.format(i=i) for i in range(1, 6))
    # A figure as wide as the builders make them sits in the main column.
    page.evaluate(
        """(rows) => {
          document.querySelector('#neighbor-table tbody').innerHTML = rows;
          document.getElementById('selected-text').textContent = 'The cat sat on the mat.';
          const plot = document.querySelector('main .plot');
          plot.style.width = '900px'; plot.style.height = '500px';
        }""",
        rows,
    )
    sizes = page.evaluate(
        """() => {
          const aside = document.getElementById('selected').getBoundingClientRect();
          const cell = document.querySelector('#neighbor-table td.text');
          const range = document.createRange();
          range.selectNodeContents(cell);
          const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
          return {aside: aside.width, cell: cell.getBoundingClientRect().width,
                  lines: tops.size, words: cell.textContent.split(/\\s+/).length,
                  pageWidth: document.documentElement.scrollWidth};
        }"""
    )
    page.close()
    assert sizes["pageWidth"] <= viewport  # nothing pushes the page sideways
    assert sizes["cell"] >= 0.8 * sizes["aside"] - 40  # the sentence gets the panel's width
    assert sizes["words"] / sizes["lines"] >= 5, sizes  # not a word or two per line


def test_clicking_a_grid_panel_reports_its_layer_and_head(browser, tmp_path):
    """plotly.js hands each panel's meta to click handlers: a view opens that head."""
    rng = np.random.default_rng(1)
    fig = attention_grid(rng.dirichlet(np.ones(21), size=(6, 12, 21)), TOKENS)
    page, problems = open_page(browser, tmp_path, {"grid": fig}, width=CELL_WIDTH)
    page.evaluate(
        """() => { const gd = document.getElementById('grid');
        gd.on('plotly_click', d => { window.clicked = d.points[0].data.meta; }); }"""
    )
    # The centre of the panel of layer 4, head 9 (subplot 4 * 12 + 9 + 1 = 58).
    x, y = page.evaluate(
        """() => { const L = document.getElementById('grid')._fullLayout;
        const xa = L.xaxis58, ya = L.yaxis58;
        const svg = document.querySelector('#grid .main-svg').getBoundingClientRect();
        return [svg.left + xa._offset + xa._length / 2, svg.top + ya._offset + ya._length / 2]; }"""
    )
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_function("window.clicked !== undefined", timeout=3000)
    assert page.evaluate("window.clicked") == {"layer": 4, "head": 9}
    assert problems == []
    page.close()
