"""CompareExplorer's linked selection in a real JupyterLab, driven by headless Chromium.

A lasso drawn with the mouse in one panel must reach the kernel as exactly the sentences
inside it, and the other panel must highlight the same sentences. The expected set is computed
here from the kernel's own coordinates and plotly's axis ranges (data -> pixel), not from what
plotly or the widget report; the other panel's highlight is read both from plotly's
``selectedpoints`` and from the drawn markers' opacity.
"""

from __future__ import annotations

import pytest

from ..jupyterlab_server import notebook, notebook_page
from .test_jupyterlab import _kernel, _lasso, _wait_kernel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENTINEL = "SMALLBERT-VIZ-COMPARE-DONE"
#: Sentences per sample-corpus label (one trace per label and panel).
PER_LABEL = 4
#: No point may lie closer than this (pixels) to a lasso's edge: it would be a coin toss.
EDGE_MARGIN = 4.0


def _notebook(dirs_a, dirs_b) -> dict:
    (enc_a, pre_a), (enc_b, pre_b) = dirs_a, dirs_b
    setup = f"""\
import json
from smallbert_viz import load_model
from smallbert_viz.corpus import sample_corpus
from smallbert_viz.explain import compare
from smallbert_viz.widgets import CompareExplorer

model_a = load_model({str(enc_a)!r}, preprocessor={str(pre_a)!r})
model_b = load_model({str(enc_b)!r}, preprocessor={str(pre_b)!r})
corpus = sample_corpus()
rows = [i for lab in sorted(set(corpus.labels))
        for i in [j for j, x in enumerate(corpus.labels) if x == lab][:{PER_LABEL}]]
texts, labels = [corpus.texts[i] for i in rows], [corpus.labels[i] for i in rows]
comparison = compare(texts, models=[model_a, model_b], k=3, labels=labels)"""
    cells = [
        setup,
        "cx = CompareExplorer(texts, comparison=comparison)\n"
        "cx.add_class('compare-test')\n"
        "cx.selection_table.add_class('compare-table')\n"
        "cx",
        f"print({SENTINEL[:12]!r} + {SENTINEL[12:]!r})",
    ]
    return notebook(cells)


@pytest.fixture(scope="module")
def lab(tmp_path_factory, standin_factory):
    work = tmp_path_factory.mktemp("jupyterlab-compare")
    nb = _notebook(standin_factory(2, 128, 2), standin_factory(4, 256, 4))
    notebooks = {"compare.ipynb": nb}
    with notebook_page(work, notebooks, "compare.ipynb", SENTINEL, timeout_s=240) as (page, errors):
        yield page, errors


#: Page pixels of every sentence in one panel, from the kernel's coordinates and plotly's
#: axis ranges and placement (linear axes): [[x, y], ...] in row order.
_PIXELS = """([gd, coords, ax, ay]) => {
  const r = gd.getBoundingClientRect(), L = gd._fullLayout, xa = L[ax], ya = L[ay];
  const frac = (a, v) => (v - a.range[0]) / (a.range[1] - a.range[0]);
  return coords.map(([x, y]) => [r.left + xa._offset + frac(xa, x) * xa._length,
                                 r.top + ya._offset + (1 - frac(ya, y)) * ya._length]);
}"""

#: The plot area of one panel in page pixels: [left, top, right, bottom].
_AREA = """([gd, ax, ay]) => {
  const r = gd.getBoundingClientRect(), L = gd._fullLayout, xa = L[ax], ya = L[ay];
  return [r.left + xa._offset, r.top + ya._offset,
          r.left + xa._offset + xa._length, r.top + ya._offset + ya._length];
}"""

#: Rows highlighted per panel, from plotly's own state: {subplot x axis: [rows]}.
_HIGHLIGHTED = """(gd) => {
  const out = {};
  gd._fullData.forEach((t, i) => {
    const sel = gd.data[i].selectedpoints;
    const rows = Array.from(gd.data[i].customdata || []);
    out[t.xaxis] = (out[t.xaxis] || []).concat(
      sel == null ? [] : Array.from(sel, (p) => Number(rows[p])));
  });
  return out;
}"""

#: Every drawn marker of one subplot: [[centre x, centre y, opacity], ...] in page pixels.
_MARKERS = """([gd, subplot]) => Array.from(
  gd.querySelectorAll(`.subplot.${subplot} .scatterlayer .trace .points path.point`),
  (el) => {
    const b = el.getBoundingClientRect();
    return [b.left + b.width / 2, b.top + b.height / 2, Number(getComputedStyle(el).opacity)];
  })"""

#: Candidate lassos as fractions of the points' bounding box (x0, y0, x1, y1): the whole box
#: first, then every rectangle on a 10% grid at least 30% wide and high.
_GRID = [i / 10 for i in range(11)]
_CANDIDATES = [(0.0, 0.0, 0.55, 0.6)] + [
    (x0, y0, x1, y1)
    for x0 in _GRID
    for x1 in _GRID
    for y0 in _GRID
    for y1 in _GRID
    if x1 - x0 >= 0.3 and y1 - y0 >= 0.3
]


def _pick_lasso(area, pixels):
    """The first candidate rectangle with some but not all points inside, none near an edge.

    Candidates are fractions of the points' bounding box (a few pixels wider, within the plot
    area): an aligned layout may fill only the middle of its panel. Returns (x0, y0, x1, y1)
    in page pixels and the rows strictly inside.
    """
    pad = 3 * EDGE_MARGIN
    left = max(area[0] + 2, min(px for px, _ in pixels) - pad)
    right = min(area[2] - 2, max(px for px, _ in pixels) + pad)
    top = max(area[1] + 2, min(py for _, py in pixels) - pad)
    bottom = min(area[3] - 2, max(py for _, py in pixels) + pad)
    for fx0, fy0, fx1, fy1 in _CANDIDATES:
        x0, x1 = left + fx0 * (right - left), left + fx1 * (right - left)
        y0, y1 = top + fy0 * (bottom - top), top + fy1 * (bottom - top)
        near = any(
            (abs(px - x0) < EDGE_MARGIN or abs(px - x1) < EDGE_MARGIN) and y0 - 4 < py < y1 + 4
            or (abs(py - y0) < EDGE_MARGIN or abs(py - y1) < EDGE_MARGIN) and x0 - 4 < px < x1 + 4
            for px, py in pixels
        )
        inside = [i for i, (px, py) in enumerate(pixels) if x0 < px < x1 and y0 < py < y1]
        if not near and 2 <= len(inside) <= len(pixels) - 2:
            return (x0, y0, x1, y1), inside
    pytest.fail("no candidate lasso separates the points cleanly; add candidates")


def _clear(page, gd, area) -> None:
    """Double-click an empty corner of a panel: plotly and the explorer forget the selection."""
    page.mouse.dblclick(area[0] + 2, area[1] + 2)
    assert _wait_kernel(page, "print(json.dumps(cx.selected))", []) == []


def _check_linked(page, gd, rows, pixels_other, subplot_other) -> None:
    """Both panels highlight exactly ``rows``; the other panel draws them opaque, others dim."""
    highlighted = page.evaluate(_HIGHLIGHTED, gd)
    for xaxis in ("x", "x2"):
        assert sorted(highlighted.get(xaxis, [])) == rows, (
            f"panel {'A' if xaxis == 'x' else 'B'} highlights {highlighted.get(xaxis)}, "
            f"the selection is {rows}"
        )
    # What is drawn: each marker of the other panel sits on one sentence's pixel; opaque
    # exactly for the selected sentences.
    markers = page.evaluate(_MARKERS, [gd, subplot_other])
    assert len(markers) == len(pixels_other)
    opaque = set()
    for mx, my, opacity in markers:
        d2 = [(mx - px) ** 2 + (my - py) ** 2 for px, py in pixels_other]
        row = min(range(len(d2)), key=d2.__getitem__)
        assert d2[row] < 2.0**2, f"a marker at ({mx:.1f}, {my:.1f}) is on no sentence"
        if opacity > 0.9:
            opaque.add(row)
        else:
            assert opacity < 0.5, f"marker of sentence {row}: opacity {opacity}"
    assert sorted(opaque) == rows, f"{subplot_other} draws {sorted(opaque)} opaque, not {rows}"


def _check_table(page, rows) -> None:
    table = page.locator(".compare-test .compare-table tr")
    assert table.count() == len(rows) + 1  # header
    listed = [int(table.nth(i + 1).locator("td").first.text_content()) for i in range(len(rows))]
    assert listed == rows
    count = page.locator(".compare-test").first.text_content()
    assert f"selected: {len(rows)}" in count


def test_a_lasso_in_either_panel_selects_the_same_sentences_in_both(lab, artifacts_dir):
    page, errors = lab
    widget = page.locator(".compare-test").first
    widget.scroll_into_view_if_needed()
    page.wait_for_selector(".compare-test .js-plotly-plot .main-svg")
    gd = widget.locator(".js-plotly-plot").first.element_handle()
    coords = _kernel(
        page,
        "print(json.dumps([comparison.coords_a.tolist(), comparison.coords_b.tolist()]))",
    )
    n_labels = _kernel(page, "print(len(set(labels)))")
    assert len(coords[0]) == PER_LABEL * n_labels and n_labels >= 3
    # One trace per label and panel: the mapping through customdata is exercised.
    page.wait_for_function(
        "([gd, n]) => (gd._fullData || []).length == n", arg=[gd, 2 * n_labels], timeout=30_000
    )
    panels = {
        "A": (coords[0], "xaxis", "yaxis", "xy"),
        "B": (coords[1], "xaxis2", "yaxis2", "x2y2"),
    }
    # What plotly itself reported, for the failure messages only.
    page.evaluate(
        "(gd) => { window.__sel = []; gd.on('plotly_selected', (e) => window.__sel.push("
        "(e?.points || []).map(p => Number(p.customdata)).sort((a, b) => a - b))); }",
        gd,
    )

    for drawn, other in (("A", "B"), ("B", "A")):
        _clear(page, gd, page.evaluate(_AREA, [gd, "xaxis", "yaxis"]))
        # Read after the clear: a click may scroll the notebook.
        pixels = {k: page.evaluate(_PIXELS, [gd, c, x, y]) for k, (c, x, y, _) in panels.items()}
        areas = {k: page.evaluate(_AREA, [gd, x, y]) for k, (_, x, y, _) in panels.items()}
        (x0, y0, x1, y1), expected = _pick_lasso(areas[drawn], pixels[drawn])
        _lasso(page, x0, y0, x1, y1)
        page.mouse.move(areas["A"][0] - 30, areas["A"][1] - 30)  # away: no hover label on top
        # (a) The kernel holds exactly the sentences inside the drawn region.
        got = _wait_kernel(page, "print(json.dumps(cx.selected))", expected)
        if got != expected:
            page.screenshot(path=str(artifacts_dir / "jupyterlab_compare_failed.png"))
        assert got == expected, (
            f"lasso in {drawn}: kernel has {got}, inside are {expected}; plotly reported "
            f"{page.evaluate('() => window.__sel')}"
        )
        # (b) Both panels highlight them; the other panel draws them, and only them, opaque.
        # One more request through the kernel: every message the browser sent before it (also
        # plotly.py's own, later selection message) has been handled, and its restyles sent.
        _kernel(page, "print(1)")
        try:  # the restyles are on their way to the page
            page.wait_for_function(
                "([gd, n]) => gd.data.reduce((s, t) => s + (t.selectedpoints || []).length, 0)"
                " == n",
                arg=[gd, 2 * len(expected)],
                timeout=10_000,
            )
        except Exception:
            page.screenshot(path=str(artifacts_dir / "jupyterlab_compare_failed.png"))
        page.wait_for_timeout(300)  # the restyle's redraw
        _check_linked(page, gd, expected, pixels[other], panels[other][3])
        # (c) The table lists them.
        _check_table(page, expected)
        page.screenshot(path=str(artifacts_dir / f"jupyterlab_compare_{drawn}.png"))
    assert not errors, errors
