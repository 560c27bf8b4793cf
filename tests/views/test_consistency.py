"""The same sentences give the same pictures through %embed, the report and the explorers.

The views layer (smallbert_viz.views) is the one place that decides the projection rule and
seed, the heatmap order and sample, and the attention length and cut-over; this checks that
every view really goes through it, on a real stand-in model.
"""

from __future__ import annotations

import shlex

import numpy as np
import pytest
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

TEXTS = [
    "A cat sat on the mat.",
    "A kitten slept on the rug.",
    "Dogs bark at the postman.",
    "Stocks fell sharply on Monday.",
    "Bond yields rose again.",
    "The central bank held rates.",
    "It rained all afternoon.",
    "Snow is expected tonight.",
    "A storm closed the harbour.",
    "The striker scored twice.",
    "The match ended in a draw.",
    "Fans cheered the late goal.",
]
LABELS = ["animals"] * 3 + ["finance"] * 3 + ["weather"] * 3 + ["sport"] * 3


def _z(fig_or_trace) -> np.ndarray:
    trace = fig_or_trace.data[0] if hasattr(fig_or_trace, "data") else fig_or_trace
    return np.asarray(trace.z, dtype=np.float64)


@pytest.fixture(scope="module")
def through_magic(standin_dirs):
    encoder, pre = standin_dirs
    # start_ipython returns None when another test module started the global shell first.
    shell = globalipapp.start_ipython() or globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "smallbert_viz")
    shell.user_ns["texts"], shell.user_ns["labels"] = TEXTS, LABELS
    opts = f"--model {shlex.quote(str(encoder))} --preprocessor {shlex.quote(str(pre))}"
    with capture_output():
        return shell.run_line_magic("embed", f"{{texts}} --labels {{labels}} {opts}")


@pytest.fixture(scope="module")
def through_report(standin_model):
    from smallbert_viz.reporting import build_content

    return build_content(TEXTS, LABELS, model=standin_model, attention_for=[0])


def test_similarity_matrix_and_order_agree(through_magic, through_report, standin_model):
    from smallbert_viz.widgets import SimilarityExplorer

    explorer = SimilarityExplorer(TEXTS, LABELS, model=standin_model)
    magic_fig = through_magic.figures["similarity"]
    report_fig = through_report.figures["similarity"]
    np.testing.assert_allclose(_z(magic_fig), _z(report_fig), atol=1e-6)
    np.testing.assert_allclose(_z(explorer.figure), _z(report_fig), atol=1e-6)
    np.testing.assert_allclose(through_report.heatmap_matrix, _z(report_fig), atol=1e-6)
    # The same order: row labels (sentence numbers and texts) in the same sequence.
    assert list(magic_fig.data[0].y) == list(report_fig.data[0].y) == list(explorer.figure.data[0].y)
    np.testing.assert_array_equal(explorer.rows[explorer.order], through_report.heatmap_rows)
    assert magic_fig.layout.title.text == report_fig.layout.title.text
    assert explorer.figure.layout.title.text == report_fig.layout.title.text


def test_projection_coordinates_agree(through_magic, through_report, standin_model):
    from smallbert_viz.views.policy import DEFAULT_SEED
    from smallbert_viz.widgets import ProjectionExplorer

    explorer = ProjectionExplorer(TEXTS, LABELS, model=standin_model, background=False)
    assert explorer.wait_ready(600)
    assert through_magic.projection.method == explorer.projection.method == "umap"  # 12 >= 10
    assert through_magic.projection.params["seed"] == DEFAULT_SEED
    np.testing.assert_allclose(through_magic.projection.coords, through_report.coords, atol=1e-6)
    np.testing.assert_allclose(explorer.projection.coords, through_report.coords, atol=1e-6)
    assert (
        through_magic.figures["projection"].layout.title.text
        == explorer.figure.layout.title.text
    )


def test_attention_of_the_first_sentence_agrees(through_magic, through_report, standin_model):
    from smallbert_viz.widgets import AttentionExplorer

    explorer = AttentionExplorer(TEXTS[0], model=standin_model)
    magic_fig = through_magic.figures["attention"]
    report_fig = through_report.figures["attention-0"]
    info = standin_model.info
    # 8 layers x 2 heads = 16 panels: the full grid everywhere (the views' cut-over is 32).
    assert len(magic_fig.data) == len(report_fig.data) == len(explorer.figure.data)
    assert len(magic_fig.data) == info.num_layers * info.num_heads
    for a, b, c in zip(magic_fig.data, report_fig.data, explorer.figure.data, strict=True):
        np.testing.assert_allclose(_z(a), _z(b), atol=1e-7)
        np.testing.assert_allclose(_z(c), _z(b), atol=1e-7)
    assert magic_fig.layout.title.text == report_fig.layout.title.text


def test_provenance_is_one_type_everywhere(through_magic, through_report, standin_model):
    from smallbert_viz.provenance import Provenance
    from smallbert_viz.widgets import SimilarityExplorer

    explorer = SimilarityExplorer(TEXTS, model=standin_model)
    assert isinstance(through_magic.provenance, Provenance)
    assert isinstance(through_report.provenance, Provenance)
    assert isinstance(explorer.provenance, Provenance)
    assert through_magic.provenance.describe() == through_report.provenance_line
    assert explorer.provenance.describe() == through_report.provenance_line
    # The report's table rows come from the same object, plus its own parameters.
    rows = dict(through_report.provenance.rows())
    assert rows["pooling"].startswith(standin_model.default_pooling)
    assert rows["seed"] == "42" and "UMAP" in rows["projection"]
