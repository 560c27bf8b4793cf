"""The example notebooks run top to bottom in a fresh kernel and their HTML exports show plots.

Each notebook in ``notebooks/`` is executed with nbclient in a temporary copy of the folder (the
kernel's working directory), on whatever model ``load_model_with_fallback`` finds: the pretrained
all-MiniLM-L6-v2 converted into this session's cache, since ``tests/conftest.py`` points the
default TF Hub handles at an unreachable local address (``SMALLBERT_VIZ_TFHUB_URL``) and sets
``SMALLBERT_VIZ_CACHE_DIR``; the kernel inherits the environment. The stored notebooks are built
from their sources (``tests/test_notebook_sources.py``). Widget state is not stored,
so an export shows a plot only through a static ``text/html`` rendering, as after a plain
JupyterLab save.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
PLOTLY_DIV = 'class="plotly-graph-div"'

#: Notebooks that must show at least one plot (the others may, and are then checked the same way).
MAKE_FIGURES = {
    "01_quickstart.ipynb",
    "02_similarity.ipynb",
    "03_projection.ipynb",
    "04_attention.ipynb",
    "05_magic.ipynb",
    "07_compare_sizes.ipynb",
    "08_layers_and_models.ipynb",
}
#: Notebooks whose kernel needs an optional package.
NEEDS = {"spark_round_trip.ipynb": "pyspark"}


def _notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def _params():
    params = []
    for path in _notebook_paths():
        marks = [pytest.mark.slow]
        module = NEEDS.get(path.name)
        if module is not None and importlib.util.find_spec(module) is None:
            marks.append(pytest.mark.skip(reason=f"{path.name} needs {module}, not installed"))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def test_the_example_notebooks_exist():
    names = {p.name for p in _notebook_paths()}
    assert MAKE_FIGURES | {"06_reports.ipynb"} <= names


@pytest.mark.parametrize("path", _notebook_paths(), ids=lambda p: p.stem)
def test_stored_notebook_has_no_outputs_and_runs_on_python3(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in raw["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    for cell in code:
        assert cell["outputs"] == [], f"{path.name}: a cell was stored with outputs"
        assert cell["execution_count"] is None, f"{path.name}: a cell has an execution count"
    assert "widgets" not in raw["metadata"], f"{path.name}: widget state was stored"


def _outputs(nb) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def _error_text(nb) -> str:
    errors = [o for o in _outputs(nb) if o.get("output_type") == "error"]
    return "\n".join(f"{o['ename']}: {o['evalue']}" for o in errors)


@pytest.mark.parametrize("path", _params())
def test_notebook_runs_and_its_export_shows_the_plots(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbconvert import HTMLExporter

    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    nb = nbformat.read(work / path.name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(work)}},
        store_widget_state=False,
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name} failed in a fresh kernel:\n{exc}")
    assert not _error_text(nb), _error_text(nb)

    outputs = _outputs(nb)
    datas = [o.get("data", {}) for o in outputs if "data" in o]
    plotly_data = [d for d in datas if PLOTLY_MIME in d]
    # A plot reaches an export only through HTML that draws it (plotly's div + newPlot call).
    html_plots = [d for d in datas if PLOTLY_DIV in d.get("text/html", "")]
    if path.name in MAKE_FIGURES:
        assert plotly_data, f"{path.name}: no output carries {PLOTLY_MIME}"
        assert html_plots, f"{path.name}: no text/html output contains a plotly figure"
    if plotly_data:
        # Every figure displayed with the plotly MIME type also has its HTML rendering.
        assert all(PLOTLY_DIV in d.get("text/html", "") for d in plotly_data), (
            f"{path.name}: a figure has the plotly MIME type but no HTML (blank in an export)"
        )
    widget_outputs = [d for d in datas if "application/vnd.jupyter.widget-view+json" in d]
    explorers = [d for d in widget_outputs if "Explorer(" in d.get("text/plain", "")]
    for d in explorers:
        assert PLOTLY_DIV in d.get("text/html", ""), (
            f"{path.name}: an explorer widget has no static plot for exports"
        )

    body, _ = HTMLExporter().from_notebook_node(nb)
    (tmp_path / f"{path.stem}.html").write_text(body, encoding="utf-8")
    if path.name in MAKE_FIGURES or html_plots:
        assert PLOTLY_DIV in body and "Plotly.newPlot" in body
        from plotly.offline import get_plotlyjs

        # plotly.js itself is in the page, so the plots draw offline.
        assert get_plotlyjs()[:300] in body, f"{path.name}: the export lacks plotly.js"
        assert body.count(PLOTLY_DIV) >= len(html_plots)
