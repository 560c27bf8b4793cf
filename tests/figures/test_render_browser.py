"""The figures drawn by plotly.js in headless Chromium, offline: text stays text, hover works.

Data-level tests check what we hand to plotly; these check what plotly.js does with it (entity
decoding, category axes with serial tickvals, NaN gaps in typed arrays, hover boxes).
"""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.figures import (
    attention_grid,
    attention_heatmap,
    contribution_heatmap,
    head_view,
    projection_scatter,
    similarity_heatmap,
)

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
TEXTS = [
    "The cat sat on the mat.",
    EVIL + " 50% off $5 %{y} \"quoted\" it's",
    "A dog slept on the rug all afternoon, dreaming of long walks by the river.",
    "Stocks fell on Monday.",
]


def open_page(browser, tmp_path, figs, width=1300, head=""):
    """Write one offline page (plotly.js inlined once), open it with the network blocked."""
    import plotly.offline

    body = "".join(
        fig.to_html(include_plotlyjs=False, full_html=False, div_id=name)
        for name, fig in figs.items()
    )
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><meta charset='utf-8'><script>"
        + plotly.offline.get_plotlyjs()
        + "</script>"
        + head
        + "</head><body>"
        + body
        + "</body></html>",
        encoding="utf-8",
    )
    page = browser.new_page(viewport={"width": width, "height": 1000})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
    )
    page.goto(path.as_uri(), timeout=120_000)  # a loaded 2-core machine draws slowly
    for name in figs:
        page.wait_for_selector(f"#{name} .main-svg", timeout=60_000)
    return page, problems


def hover_box(page):
    page.wait_for_selector(".hoverlayer .hovertext", timeout=3000)
    return page.locator(".hoverlayer .hovertext").first.text_content()


def test_every_figure_renders_offline_with_text_as_text(browser, tmp_path, artifacts_dir):
    rng = np.random.default_rng(0)
    sim = rng.uniform(0.2, 1.0, size=(4, 4))
    toks = ["[CLS]", EVIL, "the", "the", "[SEP]"]
    attn = rng.dirichlet(np.ones(5), size=(2, 2, 5))
    figs = {
        "sim": similarity_heatmap(sim, TEXTS, threshold=0.5, provenance="prov " + EVIL),
        "contrib": contribution_heatmap(rng.normal(size=(5, 5)), toks, toks, total=0.3),
        "proj": projection_scatter(rng.normal(size=(4, 2)), TEXTS, labels=[EVIL, "a", "a", "b"]),
        "grid": attention_grid(attn, toks),
        "heat": attention_heatmap(attn[0, 0], toks),
        "hv": head_view(attn[1, 1], toks, min_weight=0.0),
    }
    page, problems = open_page(browser, tmp_path, figs)
    page.screenshot(path=str(artifacts_dir / "figures_all.png"), full_page=True)
    assert problems == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    for name in figs:
        # Shown as the characters typed (the grid's short tick labels cut it after 14).
        assert "<img src=x one" in page.locator(f"#{name}").text_content(), name
    # Category tick labels placed by serial tickvals show the short token text.
    ticks = page.evaluate(
        "Array.from(document.querySelectorAll('#heat .xtick text')).map(e => e.textContent)"
    )
    assert ticks == toks
    # head_view: NaN separators in the float32 arrays break the trace into one path per line.
    paths = page.locator("#hv .scatterlayer .js-line").count()
    assert paths == 25
    page.close()


def test_similarity_hover_names_both_sentences(browser, tmp_path):
    sim = np.array(
        [[1.0, 0.8, 0.3, 0.1], [0.8, 1.0, 0.2, 0.4], [0.3, 0.2, 1.0, 0.6], [0.1, 0.4, 0.6, 1.0]]
    )
    fig = similarity_heatmap(sim, TEXTS, order=[3, 2, 1, 0])
    page, problems = open_page(browser, tmp_path, {"sim": fig})
    box = page.locator("#sim .nsewdrag").first.bounding_box()
    n = 4
    # Figure row 2 is sentence 1 (the evil one), column 3 is sentence 0.
    page.mouse.move(box["x"] + box["width"] * 3.5 / n, box["y"] + box["height"] * 2.5 / n)
    text = hover_box(page)
    assert EVIL in text and "%{y}" in text and "$5" in text
    assert "\"quoted\" it's" in text  # quotes as typed, not &quot; or &#x27;
    assert TEXTS[0] in text
    assert "cosine: 0.8000" in text
    assert problems == []
    page.close()


@pytest.mark.slow
def test_50k_point_scatter_draws_with_webgl(browser, tmp_path):
    rng = np.random.default_rng(1)
    n = 50_000
    texts = [f"sentence {i} " + "lorem ipsum " * 8 for i in range(n)]
    texts[0] = EVIL
    coords = rng.normal(size=(n, 2))
    coords[0] = [9.0, 9.0]  # alone in a corner, so hovering there must find it
    fig = projection_scatter(coords, texts, labels=[f"c{i % 5}" for i in range(n)])
    page, problems = open_page(browser, tmp_path, {"proj": fig})
    assert page.locator("#proj canvas").count() >= 1  # Scattergl draws on a WebGL canvas
    count = page.evaluate(
        "document.getElementById('proj')._fullData.reduce((s, t) => s + t._length, 0)"
    )
    assert count == n
    x, y = page.evaluate(
        """() => { const L = document.getElementById('proj')._fullLayout;
        return [L.xaxis._offset + L.xaxis.d2p(9), L.yaxis._offset + L.yaxis.d2p(9)]; }"""
    )
    page.mouse.move(x, y)
    text = hover_box(page)
    assert EVIL in text and "#0" in text and "label: c0" in text
    assert problems == []
    page.close()
