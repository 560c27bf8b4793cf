"""layer_accuracy_chart and cka_heatmap: data on the traces, chance line, best layer, escaping."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from smallbert_viz.figures import cka_heatmap, layer_accuracy_chart


def test_accuracy_chart_draws_values_chance_and_best_layer():
    acc = np.array([0.3, 0.55, 0.8, 0.72])
    folds = np.array([[0.2, 0.4], [0.5, 0.6], [0.7, 0.9], [0.7, 0.74]])
    fig = layer_accuracy_chart(acc, chance=0.25, fold_accuracy=folds, provenance="model: X")
    assert isinstance(fig, go.Figure)
    line, chance = fig.data
    assert line.name == "k-NN accuracy" and chance.name == "chance"
    np.testing.assert_allclose(line.y, acc.astype(np.float32))
    assert list(line.x) == ["layer 1", "layer 2", "layer 3", "layer 4"]
    np.testing.assert_allclose(line.error_y.array, folds.std(axis=1), rtol=1e-6)
    assert list(chance.y) == [0.25, 0.25] and chance.line.dash == "dash"
    assert list(line.marker.symbol) == ["circle", "circle", "star", "circle"]
    subtitle = fig.layout.title.subtitle.text
    assert "best: layer 3 (0.800)" in subtitle and "chance 0.250" in subtitle
    assert "model: X" in subtitle


def test_accuracy_chart_without_chance_and_with_names(evil, figure_strings):
    fig = layer_accuracy_chart([0.5, 0.9], layer_names=["emb", evil], title=evil)
    assert len(fig.data) == 1
    assert list(fig.data[0].x) == ["emb", "&lt;img src=x onerror=alert(1)&gt;"]
    assert all("<img" not in s for s in figure_strings(fig))


def test_accuracy_chart_bad_input():
    with pytest.raises(ValueError, match=r"accuracies in \[0, 1\]. Got values from 0.5 to 1.5"):
        layer_accuracy_chart([0.5, 1.5])
    with pytest.raises(ValueError, match="must be a 1-D array"):
        layer_accuracy_chart(np.ones((2, 2)) / 2)
    with pytest.raises(ValueError, match=r"one row per layer \(2\)"):
        layer_accuracy_chart([0.5, 0.6], fold_accuracy=np.ones((3, 4)) / 2)
    with pytest.raises(ValueError, match=r"'chance' parameter .* range \[0.0, 1.0\]. Got 2.0"):
        layer_accuracy_chart([0.5, 0.6], chance=2)
    with pytest.raises(ValueError, match=r"one entry per layer \(2\). Got 1"):
        layer_accuracy_chart([0.5, 0.6], layer_names=["a"])


def test_cka_heatmap_fixed_scale_and_values():
    cka = np.array([[1.0, 0.8, 0.2], [0.8, 1.0, 0.4], [0.2, 0.4, 1.0]])
    fig = cka_heatmap(cka, provenance="model: Y")
    (heat,) = fig.data
    np.testing.assert_allclose(heat.z, cka.astype(np.float32))
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert list(heat.x) == list(heat.y) == ["layer 1", "layer 2", "layer 3"]
    assert heat.texttemplate == "%{z:.2f}"
    assert fig.layout.yaxis.autorange == "reversed"
    assert "model: Y" in fig.layout.title.subtitle.text


def test_cka_heatmap_bad_input():
    with pytest.raises(ValueError, match=r"square array .* Got shape \(2, 3\)"):
        cka_heatmap(np.ones((2, 3)))
