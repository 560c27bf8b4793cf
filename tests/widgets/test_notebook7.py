"""The explorers in a real Jupyter Notebook 7, driven by headless Chromium.

Notebook 7 is built from JupyterLab's components but is another application (its own server
app, page URLs, shell and widget manager wiring), so the explorers are checked there too: one
server per module, one generated notebook with the three explorers on the stand-in model; each
must render its plot, and one interaction per explorer must reach the kernel (asserted on the
kernel's state, read back by running code in the notebook's own kernel).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ..jupyterlab_server import KERNEL_EXEC, notebook, notebook_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENTINEL = "SMALLBERT-VIZ-NB7-DONE"
#: Notebook 7.6.5's own start-up error (its shortcuts plugin reads the schema of a settings
#: plugin it has not loaded). It happens on a notebook with one print() and with the widget,
#: anywidget and plotly extensions disabled, so it is not ours; JupyterLab 4.6 does not raise it.
NOTEBOOK_OWN_ERRORS = {"Cannot read properties of undefined (reading 'schema')"}
ATTENTION_TEXT = "The painkillers worked remarkably quickly."


def _notebook(encoder: Path, preprocessor: Path) -> dict:
    setup = f"""\
import json
import notebook
from smallbert_viz import load_model
from smallbert_viz.corpus import sample_corpus
from smallbert_viz.widgets import AttentionExplorer, ProjectionExplorer, SimilarityExplorer

model = load_model({str(encoder)!r}, preprocessor={str(preprocessor)!r})
corpus = sample_corpus()
rows = [i for lab in sorted(set(corpus.labels))
        for i in [j for j, x in enumerate(corpus.labels) if x == lab][:3]]
texts, labels = [corpus.texts[i] for i in rows], [corpus.labels[i] for i in rows]
vectors = model.embed(texts, pooling='mean')
print('notebook', notebook.__version__)"""
    cells = [
        setup,
        "sim = SimilarityExplorer(texts, labels, model=model, pooling='mean')\nsim",
        # Precomputed vectors and PCA: no second embedding pass, no UMAP wait.
        "proj = ProjectionExplorer(texts, labels, embeddings=vectors, "
        "provenance='stand-in, mean pooling', method='pca')\nproj",
        f"att = AttentionExplorer({ATTENTION_TEXT!r}, model=model, view='single head', "
        "layer=0, head=0)\natt",
        # Split so that the sentinel appears only in the output, never in the cell source.
        f"print({SENTINEL[:12]!r} + {SENTINEL[12:]!r})",
    ]
    return notebook(cells)


@pytest.fixture(scope="module")
def nb7(tmp_path_factory, standin_dirs):
    pytest.importorskip("notebook", minversion="7")
    work = tmp_path_factory.mktemp("notebook7")
    nb = _notebook(*standin_dirs)
    with notebook_page(
        work,
        {"explorers.ipynb": nb},
        "explorers.ipynb",
        SENTINEL,
        timeout_s=180,
        app="notebook",
        ignored_errors=NOTEBOOK_OWN_ERRORS,
    ) as (page, errors):
        yield page, errors


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


def _drawn(page, widget_cls: str):
    """The first plot of the widget, once plotly.js has drawn its data (it arrives after the DOM)."""
    page.wait_for_function(
        f"() => document.querySelector('.{widget_cls} .js-plotly-plot')?._fullData?.length > 0",
        timeout=60_000,
    )
    return page.locator(f".{widget_cls} .js-plotly-plot").first.element_handle()


def _record_clicks(page, gd) -> None:
    """Keep what plotly.js itself reports as clicked: the truth the kernel is compared with."""
    page.evaluate(
        "(gd) => gd.on('plotly_click', (e) => { window.__clicked = "
        "[e.points[0].curveNumber, e.points[0].pointNumber]; })",
        gd,
    )


def test_it_is_notebook_7(nb7):
    """The page is Notebook 7's application, not JupyterLab's, and the kernel sees notebook 7."""
    page, errors = nb7
    assert "/notebooks/explorers.ipynb" in page.url
    assert page.evaluate("() => window.jupyterapp.name") == "Jupyter Notebook"
    version = page.evaluate(
        "() => document.getElementById('jupyter-config-data').textContent"
    )
    assert json.loads(version)["appName"] == "Jupyter Notebook"
    assert _kernel(page, "print(json.dumps(int(notebook.__version__.split('.')[0])))") >= 7
    assert not errors, errors


def test_similarity_renders_and_a_cell_click_sets_the_pair(nb7, artifacts_dir):
    page, errors = nb7
    widget = page.locator(".smallbert-viz-similarity").first
    widget.scroll_into_view_if_needed()
    try:
        gd = _drawn(page, "smallbert-viz-similarity")
    except Exception:
        page.screenshot(path=str(artifacts_dir / "notebook7_similarity_empty.png"))
        raise
    assert page.evaluate("(gd) => gd._fullData.map(t => t.type)", gd)[0] == "heatmap"
    # The browser holds the kernel's matrix.
    n = len(page.evaluate("(gd) => Array.from(gd.data[0].z)", gd))
    assert n == _kernel(page, "print(json.dumps(len(sim.rows)))") > 10
    assert _kernel(page, "print(json.dumps(sim.pair))") is None
    _record_clicks(page, gd)
    drag = widget.locator(".js-plotly-plot .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.wait_for_timeout(300)  # plotly resolves the cell under the mouse on hover
    page.mouse.click(x, y)
    page.wait_for_function("() => window.__clicked != null", timeout=10_000)
    _, (row, col) = page.evaluate("() => window.__clicked")
    # Heatmap row k is sentence rows[order[k]] (the explorer's documented attributes).
    shown = _kernel(page, "print(json.dumps([int(i) for i in sim.rows[sim.order]]))")
    expected = [shown[row], shown[col]]
    got = _wait_kernel(page, "print(json.dumps(sim.pair))", expected, timeout=60)
    assert got == expected, f"clicked cell ({row}, {col}) reached the kernel as {got}"
    # The pair panel's figure arrives in the page as a second plot.
    page.wait_for_function(
        "() => document.querySelectorAll('.smallbert-viz-similarity .js-plotly-plot').length == 2",
        timeout=60_000,
    )
    assert "Why #" in widget.text_content()
    page.screenshot(path=str(artifacts_dir / "notebook7_similarity.png"))
    assert not errors, errors


def test_projection_renders_and_a_point_click_reaches_the_kernel(nb7, artifacts_dir):
    page, errors = nb7
    widget = page.locator(".smallbert-viz-projection").first
    widget.scroll_into_view_if_needed()
    gd = _drawn(page, "smallbert-viz-projection")
    # One scatter trace per label, as the kernel's figure has them.
    browser_traces = page.evaluate("(gd) => gd._fullData.map(t => [t.type, t.name])", gd)
    kernel_traces = _kernel(
        page, "print(json.dumps([[t.type, t.name] for t in proj.figure_widget.data]))"
    )
    assert browser_traces == kernel_traces
    assert len(browser_traces) >= 8 and {t for t, _ in browser_traces} == {"scatter"}
    custom = _kernel(
        page,
        "print(json.dumps([list(map(int, t.customdata)) for t in proj.figure_widget.data]))",
    )
    assert _kernel(page, "print(json.dumps(proj.clicked))") is None
    _record_clicks(page, gd)
    where = """([gd, t, i]) => {
      const r = gd.getBoundingClientRect(), L = gd._fullLayout, p = gd.calcdata[t][i];
      return [r.left + L.xaxis._offset + L.xaxis.c2p(p.x), r.top + L.yaxis._offset + L.yaxis.c2p(p.y)];
    }"""
    seen = set()
    for t, i in ((0, 1), (2, 0)):
        page.evaluate("() => { window.__clicked = null; }")
        px, py = page.evaluate(where, [gd, t, i])
        page.mouse.move(px, py)
        page.wait_for_timeout(200)  # plotly resolves the point under the mouse on hover
        page.mouse.click(px, py)
        clicked = page.evaluate("() => window.__clicked")
        assert clicked is not None, f"no point under the mouse at ({px:.0f}, {py:.0f})"
        row = custom[clicked[0]][clicked[1]]
        seen.add(row)
        got = _wait_kernel(page, "print(json.dumps(proj.clicked))", row)
        assert got == row, f"click on sentence {row} reached the kernel as {got}"
    assert len(seen) == 2  # two different sentences: the second click proves a change
    page.screenshot(path=str(artifacts_dir / "notebook7_projection.png"))
    assert not errors, errors


def test_attention_renders_and_a_layer_change_redraws(nb7, artifacts_dir):
    page, errors = nb7
    widget = page.locator(".smallbert-viz-attention").first
    widget.scroll_into_view_if_needed()
    gd = _drawn(page, "smallbert-viz-attention")
    title = ".smallbert-viz-attention .js-plotly-plot .gtitle"
    assert "layer 0, head 0" in page.locator(title).first.text_content()
    assert page.evaluate("(gd) => gd._fullData[0].type", gd) == "heatmap"
    z = "(gd) => Array.from(gd.data[0].z, r => Array.from(r))"
    before = page.evaluate(z, gd)
    layer = widget.locator(".widget-dropdown").filter(has_text="layer").locator("select")
    layer.select_option(label="3")
    page.wait_for_function(
        f"() => document.querySelector('{title}')?.textContent.includes('layer 3, head 0')",
        timeout=30_000,
    )
    state = _wait_kernel(
        page,
        "print(json.dumps([att.layer_control.value, 'layer 3, head 0' in "
        "att.figure.layout.title.text]))",
        [3, True],
    )
    assert state == [3, True]
    # The heatmap itself was redrawn with layer 3's weights, the kernel's numbers.
    gd = widget.locator(".js-plotly-plot").first.element_handle()
    after = page.evaluate(z, gd)
    assert after != before
    kernel_z = _kernel(page, "print(json.dumps(att.figure_widget.data[0].z.tolist()))")
    assert len(after) == len(kernel_z)
    assert max(
        abs(a - b) for ra, rb in zip(after, kernel_z, strict=True) for a, b in zip(ra, rb, strict=True)
    ) < 1e-6
    page.screenshot(path=str(artifacts_dir / "notebook7_attention.png"))
    assert not errors, errors
