"""SimilarityExplorer headless: controls change the heatmap, clicks open the right pair."""

from __future__ import annotations

import numpy as np
import pytest

from .events import EVIL, click, error_text


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def explorer(standin_model, corpus40):
    from smallbert_viz.widgets import SimilarityExplorer

    texts, labels = corpus40
    return SimilarityExplorer(
        texts, labels, model=standin_model, pooling="mean", order="input", background=False
    )


def test_heatmap_holds_the_cosine_matrix(explorer, mean_embeddings):
    u = _unit(mean_embeddings.astype(np.float64))
    z = np.asarray(explorer.figure_widget.data[0].z, dtype=np.float64)
    np.testing.assert_allclose(z, u @ u.T, atol=1e-5)
    # The static copy is the same figure.
    np.testing.assert_allclose(np.asarray(explorer.figure.data[0].z), z, atol=0)
    assert "pooling: mean" in explorer.provenance_text


def test_metric_order_and_threshold_controls(explorer, mean_embeddings):
    x = mean_embeddings.astype(np.float64)
    fw = explorer.figure_widget
    try:
        explorer.metric_control.value = "dot"
        np.testing.assert_allclose(np.asarray(fw.data[0].z), x @ x.T, rtol=1e-5, atol=1e-3)

        explorer.metric_control.value = "euclidean"
        dist = np.linalg.norm(x[:, None] - x[None], axis=-1)
        np.testing.assert_allclose(np.asarray(fw.data[0].z), -dist, atol=1e-3)

        explorer.metric_control.value = "cosine"
        explorer.order_control.value = "clustered"
        order = explorer.order
        assert sorted(order.tolist()) == list(range(40)) and order.tolist() != list(range(40))
        u = _unit(x)
        np.testing.assert_allclose(
            np.asarray(fw.data[0].z), (u @ u.T)[np.ix_(order, order)], atol=1e-5
        )
        assert fw.data[0].y[0].startswith(f"#{order[0]}")

        explorer.threshold_toggle.value = True
        # The median similarity (the stand-in's random weights make every cosine high).
        explorer.threshold_control.value = float(np.median(u @ u.T))
        t = explorer.threshold
        z = np.asarray(fw.data[0].z, dtype=np.float64)
        expected_hidden = int(((u @ u.T).astype(np.float32) < t).sum())
        assert np.isnan(z).sum() == expected_hidden > 0
        assert f"{t:.3f}" in explorer.status.value
    finally:
        explorer.threshold_toggle.value = False
        explorer.order_control.value = "input"
    assert not np.isnan(np.asarray(fw.data[0].z, dtype=np.float64)).any()
    assert explorer.last_error is None, error_text(explorer)


def test_click_shows_exact_mean_pooling_contributions(explorer, mean_embeddings):
    explorer.order_control.value = "clustered"
    try:
        order = explorer.order
        seen = []
        explorer.on_pair(lambda i, j: seen.append((i, j)))
        click(explorer.figure_widget, 0, [3, 7])
        i, j = int(order[3]), int(order[7])
        assert explorer.pair == (i, j) and seen[-1] == (i, j)
    finally:
        explorer.order_control.value = "input"
    u = _unit(mean_embeddings.astype(np.float64))
    e = explorer.explanation
    # For mean pooling the decomposition is exact: the cells sum to the heatmap's own cosine.
    assert e.offset == 0 and e.steps is None
    assert float(e.matrix.sum()) == pytest.approx(u[i] @ u[j], abs=1e-4)
    panel = explorer.contribution_figure
    assert panel is not None
    assert float(np.nansum(np.asarray(panel.data[0].z, dtype=np.float64))) == pytest.approx(
        float(e.matrix.sum()), abs=1e-3
    )
    assert explorer.pair_box.children[-1] is explorer._contribution_fw
    assert "exact mean-pooling decomposition" in explorer.pair_html.value
    assert set(explorer.figures) == {"similarity", "explanation"}


def test_cls_pooling_is_explained_by_integrated_jacobians_in_the_background(
    standin_model, corpus40
):
    from smallbert_viz.widgets import SimilarityExplorer

    texts, _ = corpus40
    ex = SimilarityExplorer(texts[:6], model=standin_model, pooling="cls", order="input")
    ex.select_pair(0, 1)  # returns at once; the worker explains the pair
    assert ex.wait_explained(300) and ex.last_error is None
    e = ex.explanation
    assert e.pooling == "cls" and "integrated Jacobians" in e.method
    x = standin_model.embed(texts[:2], pooling="cls").astype(np.float64)
    cosine = float(x[0] @ x[1] / (np.linalg.norm(x[0]) * np.linalg.norm(x[1])))
    assert float(e.matrix.sum()) + e.offset == pytest.approx(cosine, abs=max(0.01 * cosine, 5e-3))
    assert "integrated Jacobians" in ex.pair_html.value
    assert "cls pooling" in ex.contribution_figure.layout.title.text.replace("<br>", " ")


def test_precomputed_embeddings_need_provenance(mean_embeddings, corpus40):
    from smallbert_viz.widgets import SimilarityExplorer

    texts, labels = corpus40
    with pytest.raises(ValueError, match="provenance="):
        SimilarityExplorer(texts, embeddings=mean_embeddings)
    with pytest.raises(ValueError, match=r"\(40, H\)"):
        SimilarityExplorer(texts, embeddings=mean_embeddings[:5], provenance="x")
    ex = SimilarityExplorer(
        texts,
        labels=labels,
        embeddings=mean_embeddings,
        provenance="my model, mean pooling",
        order="input",
    )
    assert "my model, mean pooling" in ex.provenance_html.value
    click(ex.figure_widget, 0, [1, 2])
    assert ex.pair == (2, 1) or ex.pair == (1, 2)
    assert "need the model" in ex.pair_html.value and ex.explanation is None


def test_user_text_is_escaped_everywhere(explorer, corpus40):
    texts, _ = corpus40
    evil_row = texts.index(next(t for t in texts if t.startswith(EVIL)))
    explorer.select_pair(evil_row, 0)
    assert "<img" not in explorer.pair_html.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in explorer.pair_html.value
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<img src=x" not in bundle["text/html"]
    assert "plotly-graph-div" in bundle["text/html"]


def test_callback_errors_are_shown_not_swallowed(standin_model, corpus40):
    from smallbert_viz.widgets import SimilarityExplorer

    texts, _ = corpus40
    ex = SimilarityExplorer(texts[:5], model=standin_model, pooling="mean", order="input")

    def broken(i, j):
        raise RuntimeError(f"listener failed on {i},{j}")

    ex.on_pair(broken)
    click(ex.figure_widget, 0, [0, 1])
    assert isinstance(ex.last_error, RuntimeError)
    assert "listener failed on 0,1" in error_text(ex)
    assert ex.errors in ex.children
    ex.clear_errors()
    assert ex.errors.outputs == () and ex.last_error is None


def test_bad_arguments_name_the_fix(standin_model, corpus40):
    from smallbert_viz.widgets import SimilarityExplorer

    texts, _ = corpus40
    with pytest.raises(ValueError, match="'metric' parameter of SimilarityExplorer"):
        SimilarityExplorer(texts[:3], model=standin_model, metric="manhattan")
    with pytest.raises(TypeError, match="wrap it in a list"):
        SimilarityExplorer("one sentence", model=standin_model)
    with pytest.raises(ValueError, match="one entry per text"):
        SimilarityExplorer(texts[:3], model=standin_model, labels=["a"])


def test_a_click_made_before_the_order_changed_is_ignored_and_said(mean_embeddings, corpus40):
    from smallbert_viz.widgets import SimilarityExplorer

    texts, labels = corpus40
    ex = SimilarityExplorer(
        texts, labels=labels, embeddings=mean_embeddings, provenance="p", order="input"
    )
    fw = ex.figure_widget
    before = fw._sbv_draw
    ex.order_control.value = "clustered"  # cell [3, 7] now holds another pair
    assert fw._sbv_draw == before + 1
    fw._sbv_click = {"id": "late", "draw": before, "trace": 0, "point": [3, 7]}
    assert ex.pair is None and "ignored" in ex.status.value
    fw._sbv_click = {"id": "now", "draw": fw._sbv_draw, "trace": 0, "point": [3, 7]}
    assert ex.pair == (int(ex.order[3]), int(ex.order[7]))
    assert "ignored" not in ex.status.value


def test_default_order_is_clustered_and_big_corpora_are_sampled(mean_embeddings, corpus40):
    from smallbert_viz.analysis import cluster_order, similarity_matrix
    from smallbert_viz.widgets import SimilarityExplorer

    texts, labels = corpus40
    ex = SimilarityExplorer(texts, labels, embeddings=mean_embeddings, provenance="p")
    sim = similarity_matrix(mean_embeddings, metric="cosine")
    np.testing.assert_array_equal(ex.order, cluster_order(sim))
    # Above max_rows the heatmap shows a seeded sample; clicks map back to corpus rows.
    small = SimilarityExplorer(
        texts, labels, embeddings=mean_embeddings, provenance="p", max_rows=12, seed=5
    )
    assert len(small.rows) == 12 and small.similarity.matrix.shape == (12, 12)
    assert "random sample of 12 of 40" in small.figure.layout.title.text
    again = SimilarityExplorer(
        texts, labels, embeddings=mean_embeddings, provenance="p", max_rows=12, seed=5
    )
    np.testing.assert_array_equal(small.rows, again.rows)
    click(small.figure_widget, 0, [2, 5])
    i, j = (int(small.rows[small.order[k]]) for k in (2, 5))
    assert small.pair == (i, j)
    assert "#" + str(i) in small.pair_html.value
    expected = float(mean_embeddings[i] @ mean_embeddings[j]) / float(
        np.linalg.norm(mean_embeddings[i]) * np.linalg.norm(mean_embeddings[j])
    )
    assert f"{expected:.4f}" in small.pair_html.value
