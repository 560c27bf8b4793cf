"""explanation_heatmap: the matrix as drawn, the subtitle's numbers, escaping, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.figures import explanation_heatmap

from .conftest import EVIL

TOKENS_A = ["[CLS]", "the", EVIL, "50%", "[SEP]"]
TOKENS_B = ["[CLS]", "the", "the", "$x$", "##s", "[SEP]"]


@pytest.fixture
def matrix():
    return np.random.default_rng(0).normal(size=(len(TOKENS_A), len(TOKENS_B))) * 0.05


def build(matrix, **kw):
    args = dict(
        score=0.8123,
        offset=0.1,
        completeness_error=0.0042,
        metric="cosine",
        method="integrated Jacobians, 16 Gauss-Legendre steps",
        provenance="model: x | pooling: cls",
    )
    return explanation_heatmap(matrix, TOKENS_A, TOKENS_B, **(args | kw))


def test_heatmap_holds_the_matrix_and_one_row_per_token(matrix):
    fig = build(matrix)
    trace = fig.data[0]
    np.testing.assert_allclose(np.asarray(trace.z, np.float64), matrix.astype(np.float32))
    assert len(trace.y) == len(TOKENS_A) and len(trace.x) == len(set(trace.x)) == len(TOKENS_B)
    assert trace.zmid == 0 and trace.zmax == pytest.approx(np.abs(matrix).max(), rel=1e-6)
    assert "attribution" in trace.hovertemplate


def test_subtitle_states_score_offset_error_and_method(matrix):
    fig = build(matrix)
    title = fig.layout.title.text
    sub = fig.layout.title.subtitle.text.replace("<br>", " ")  # lines wrapped for the width
    assert title.endswith("cosine = 0.8123")
    assert f"cells sum to {matrix.sum():.4f}" in sub
    assert "offset (no token pair) +0.1000" in sub
    assert "completeness error 0.0042 (0.52&#37; of |score|)" in sub
    assert "integrated Jacobians, 16 Gauss-Legendre steps" in sub
    assert "pooling: cls" in sub


def test_tokens_are_escaped(matrix, figure_strings):
    fig = build(matrix, title="<b>mine</b>")
    strings = figure_strings(fig)
    assert not any(EVIL in s for s in strings)
    assert not any("$x$" in s for s in strings)
    assert fig.layout.title.text.startswith("&lt;b&gt;mine&lt;/b&gt;")


def test_bad_input_is_rejected(matrix):
    with pytest.raises(ValueError, match="The 'metric' parameter of explanation_heatmap"):
        build(matrix, metric="euclidean")
    with pytest.raises(ValueError, match="'completeness_error' parameter of explanation_heatmap"):
        build(matrix, completeness_error=-1.0)
    with pytest.raises(ValueError, match="'tokens_b' parameter of explanation_heatmap"):
        explanation_heatmap(matrix, TOKENS_A, TOKENS_B[:-1], score=1.0, offset=0.0,
                            completeness_error=0.0, metric="cosine", method="m")
