"""What a notebook keeps: the static text/html next to the live widget, and nbconvert exports."""

from __future__ import annotations

import numpy as np
import pytest

from .events import EVIL

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def static_mode():
    from smallbert_viz.widgets import set_static_plotlyjs

    set_static_plotlyjs("once")
    yield set_static_plotlyjs
    set_static_plotlyjs("once")


def _explorers():
    from smallbert_viz.widgets import ProjectionExplorer, SimilarityExplorer

    texts = [f"sentence {i}" for i in range(11)] + [EVIL]
    emb = np.random.default_rng(0).normal(size=(12, 16)).astype(np.float32)
    kw = {"embeddings": emb, "provenance": "random vectors"}
    return SimilarityExplorer(texts, **kw), ProjectionExplorer(texts, method="pca", **kw)


def test_bundle_has_widget_and_static_plot_with_plotlyjs_once(static_mode):
    sim, proj = _explorers()
    first, second = sim._repr_mimebundle_(), proj._repr_mimebundle_()
    for bundle in (first, second):
        assert WIDGET_VIEW in bundle and "plotly-graph-div" in bundle["text/html"]
        assert "<img src=x" not in bundle["text/html"]
        assert "random vectors" in bundle["text/html"]
    # plotly.js (about 4.8 MB) is inlined in the first rendering only.
    assert len(first["text/html"]) > 3_000_000 > 200_000 > len(second["text/html"])

    static_mode("cdn")
    assert "cdn.plot.ly" in sim._repr_mimebundle_()["text/html"]
    static_mode("none")
    assert "text/html" not in sim._repr_mimebundle_()
    with pytest.raises(ValueError, match="'mode' parameter of set_static_plotlyjs"):
        static_mode("sometimes")


@pytest.mark.slow
def test_nbconvert_html_export_shows_plots_without_widget_state(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbconvert import HTMLExporter

    setup = (
        "import numpy as np\n"
        "from smallbert_viz.widgets import ProjectionExplorer, SimilarityExplorer\n"
        f"texts = [f'sentence {{i}}' for i in range(11)] + [{EVIL!r}]\n"
        "emb = np.random.default_rng(0).normal(size=(12, 16)).astype('float32')\n"
        "kw = dict(embeddings=emb, provenance='random vectors')"
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(setup),
            nbformat.v4.new_code_cell("SimilarityExplorer(texts, **kw)"),
            nbformat.v4.new_code_cell("ProjectionExplorer(texts, method='pca', **kw)"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        store_widget_state=False,
    )
    client.execute()
    assert "widgets" not in nb.metadata  # no widget state: the export relies on text/html
    body, _ = HTMLExporter().from_notebook_node(nb)
    (tmp_path / "export.html").write_text(body, encoding="utf-8")
    assert body.count('class="plotly-graph-div"') == 2
    assert body.count("Plotly.newPlot(") >= 2
    assert "<img src=x onerror" not in body
