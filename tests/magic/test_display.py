"""Which front end ``%embed`` draws for, and what it sends to each.

Detection reads the kernel's environment and imported modules; the tests set those up (an
environment variable, a ``google.colab`` module in ``sys.modules``) and run the real magic,
in IPython's test shell and in a real kernel started by nbclient.
"""

from __future__ import annotations

import json
import shlex
import sys
import types

import pytest
from IPython.testing.globalipapp import start_ipython
from IPython.utils.capture import capture_output

from smallbert_viz.magic.display import FigureDisplay, detect_frontend, figure_bundle

PLOTLY_MIME = "application/vnd.plotly.v1+json"


@pytest.fixture
def fig():
    import plotly.graph_objects as go

    return go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1]), layout={"title": {"text": "a &lt; b"}})


# ---- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "modules", "in_kernel", "expected"),
    [
        ({}, {}, True, "jupyter"),
        ({"VSCODE_PID": "4242"}, {}, True, "vscode"),
        ({"VSCODE_CWD": "/home/me"}, {}, True, "vscode"),
        # A VS Code terminal running IPython is not a notebook front end.
        ({"VSCODE_PID": "4242"}, {}, False, "jupyter"),
        ({}, {"google.colab": types.ModuleType("google.colab")}, True, "colab"),
        # Colab's kernel is Colab, whatever else the environment says.
        ({"VSCODE_PID": "1"}, {"google.colab": types.ModuleType("google.colab")}, True, "colab"),
        ({"JPY_SESSION_NAME": "x.ipynb", "PAPERMILL_X": "1"}, {"google": object()}, True, "jupyter"),
    ],
)
def test_detect_frontend(environ, modules, in_kernel, expected):
    assert detect_frontend(environ=environ, modules=modules, in_kernel=in_kernel) == expected


def test_detection_reads_the_process_environment_and_modules(monkeypatch):
    for name in ("VSCODE_PID", "VSCODE_CWD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert detect_frontend(in_kernel=True) == "jupyter"
    monkeypatch.setenv("VSCODE_CWD", "/tmp")
    assert detect_frontend(in_kernel=True) == "vscode"
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert detect_frontend(in_kernel=True) == "colab"


def test_ipythons_test_shell_is_not_a_kernel(monkeypatch):
    monkeypatch.setenv("VSCODE_PID", "4242")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    start_ipython()
    assert detect_frontend() == "jupyter"


# ---- what each front end gets ------------------------------------------------------------------


def test_jupyter_bundle_has_the_mimetype_and_export_html_without_plotlyjs(fig):
    bundle = figure_bundle(fig, "jupyter")
    assert set(bundle) == {PLOTLY_MIME, "text/html", "text/plain"}
    assert bundle[PLOTLY_MIME]["data"][0]["type"] == "scatter"
    assert "Plotly.newPlot" in bundle["text/html"]
    assert "<script src=" not in bundle["text/html"] and len(bundle["text/html"]) < 100_000
    assert bundle["text/plain"] == "<plotly figure: a < b>"


def test_vscode_bundle_is_the_mimetype_only(fig):
    bundle = figure_bundle(fig, "vscode")
    assert set(bundle) == {PLOTLY_MIME, "text/plain"}
    assert bundle[PLOTLY_MIME] == figure_bundle(fig, "jupyter")[PLOTLY_MIME]


def test_colab_bundle_is_html_that_loads_plotlyjs_itself(fig):
    import re

    import plotly.io as pio
    from plotly.offline import get_plotlyjs_version

    bundle = figure_bundle(fig, "colab")
    assert set(bundle) == {"text/html", "text/plain"}
    page = bundle["text/html"]
    # The same plotly.js script tag as plotly's own Colab renderer, then the plot.
    colab = pio.renderers["colab"].to_mimebundle(fig.to_dict())["text/html"]
    (script,) = re.findall(r'<script [^>]*src="https://cdn\.plot\.ly/[^>]*></script>', colab)
    assert f"plotly-{get_plotlyjs_version()}.min.js" in script  # the version plotly.py draws
    assert script in page
    assert page.index(script) < page.index("Plotly.newPlot")
    assert "cdnjs.cloudflare.com" not in page  # no MathJax: our figures carry no LaTeX


def test_unknown_frontend_is_refused(fig):
    with pytest.raises(ValueError, match=r"The 'frontend' parameter of figure_bundle must be one "
                       r"of 'jupyter', 'vscode', 'colab'\. Got 'lab' instead\."):
        figure_bundle(fig, "lab")
    with pytest.raises(ValueError, match="parameter of FigureDisplay"):
        FigureDisplay("nteract")


# ---- the magic --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def opts(standin_dirs) -> str:
    encoder, pre = standin_dirs
    return f"--model {shlex.quote(str(encoder))} --preprocessor {shlex.quote(str(pre))}"


@pytest.fixture
def fresh_magic():
    """IPython's test shell with a new EmbedMagics (front end not yet detected)."""
    from IPython import get_ipython

    from smallbert_viz.magic import EmbedMagics

    ip = start_ipython() or get_ipython()  # the second call returns None
    ip.run_line_magic("load_ext", "smallbert_viz")
    previous = ip.magics_manager.registry["EmbedMagics"]
    ip.register_magics(EmbedMagics(ip))
    yield ip
    ip.register_magics(previous)


def test_embed_in_colab_sends_self_loading_html(fresh_magic, opts, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with capture_output() as cap:
        fresh_magic.run_line_magic("embed", f"a b --view similarity {opts}")
    assert len(cap.outputs) == 1  # no separate plotly.js output: Colab frames cannot share it
    data = cap.outputs[0].data
    assert PLOTLY_MIME not in data
    assert "cdn.plot.ly" in data["text/html"] and "Plotly.newPlot" in data["text/html"]
    assert data["text/plain"].startswith("<plotly figure: ")
    # --renderer still overrides.
    with capture_output() as cap:
        fresh_magic.run_line_magic("embed", f"a b --view similarity --renderer json {opts}")
    assert len(cap.outputs) == 1 and "application/json" in cap.outputs[0].data


@pytest.mark.slow
def test_embed_in_a_vscode_kernel_sends_the_mimetype_only(standin_dirs, tmp_path, monkeypatch):
    """A real kernel started with VS Code's environment variable, as VS Code starts kernels."""
    import nbclient
    import nbformat

    monkeypatch.setenv("VSCODE_PID", "4242")
    monkeypatch.delenv("VSCODE_CWD", raising=False)
    encoder, pre = standin_dirs
    model = f"--model {str(encoder)!r} --preprocessor {str(pre)!r}"
    cells = [
        "%load_ext smallbert_viz\n"
        "from smallbert_viz.magic.display import detect_frontend\n"
        "print(detect_frontend())",
        f"%embed one two three --view similarity {model}",
        f"%embed one two three --view similarity --renderer notebook {model}",
    ]
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert nb.cells[0].outputs[-1]["text"].strip() == "vscode"
    shown = [o for o in nb.cells[1].outputs if o["output_type"] == "display_data"]
    assert len(shown) == 1, json.dumps([sorted(o["data"]) for o in shown])
    assert sorted(shown[0]["data"]) == [PLOTLY_MIME, "text/plain"]
    # --renderer notebook: plotly's own HTML renderer, with plotly.js inline, overrides.
    html_out = [o for o in nb.cells[2].outputs if o["output_type"] == "display_data"]
    assert html_out and all(PLOTLY_MIME not in o["data"] for o in html_out)
    assert any("Plotly.newPlot" in o["data"].get("text/html", "") for o in html_out)
