"""Explorer: the three views share one corpus; clicks open attention."""

from __future__ import annotations

import numpy as np

from .events import click


def test_clicks_open_attention(standin_model, corpus40, mean_embeddings):
    from smallbert_viz.widgets import Explorer

    texts, labels = corpus40
    ex = Explorer(texts, labels, model=standin_model, pooling="mean", projection={"method": "pca"})
    assert ex.tabs.children == (
        ex.projection_view,
        ex.similarity_view,
        ex.attention_view,
        ex.duplicates_panel,
    )
    np.testing.assert_allclose(ex.similarity_view.embeddings, mean_embeddings, atol=1e-5)
    assert ex.projection_view.embeddings is ex.similarity_view.embeddings  # embedded once

    fw = ex.projection_view.figure_widget
    row = int(fw.data[1].customdata[2])
    click(fw, 1, 2)
    assert ex.attention_view.attention.text == texts[row]
    assert ex.attention_view.attention.text_pair is None
    assert ex.tabs.selected_index == 2
    assert ex.attention_view.figure is not None

    sv = ex.similarity_view
    click(sv.figure_widget, 0, [4, 9])  # heatmap row 4, column 9 of the clustered order
    i, j = (int(sv.rows[sv.order[k]]) for k in (4, 9))
    assert sv.pair == (i, j) and i != 4  # the views' default order is clustered
    assert ex.attention_view.attention.text == texts[i]
    assert ex.attention_view.attention.text_pair == texts[j]
    assert ex.last_error is None and ex.similarity_view.last_error is None
    assert sv.wait_explained(300)
    assert set(ex.figures) == {"projection", "similarity", "explanation", "attention"}
    assert "pooling: mean" in ex.provenance_html.value


def test_without_model_two_views(corpus40, mean_embeddings):
    from smallbert_viz.widgets import Explorer

    ex = Explorer(
        corpus40[0], embeddings=mean_embeddings, provenance="p", projection={"method": "pca"}
    )
    assert ex.attention_view is None
    assert ex.tabs.children == (ex.projection_view, ex.similarity_view, ex.duplicates_panel)
    click(ex.projection_view.figure_widget, 0, 0)
    assert ex.last_error is None


def test_five_sentences(standin_model, corpus40):
    from smallbert_viz.widgets import Explorer

    texts = corpus40[0][:5]
    ex = Explorer(texts, model=standin_model, pooling="mean")
    view = ex.projection_view
    assert ex.wait_ready(30) and view.projection.method == "pca" and view.k == 5
    result = view.query("Rain is expected all weekend.")
    assert sorted(result.indices[0].tolist()) == list(range(5))
    assert ex.last_error is None and view.last_error is None
    assert ex.similarity_view.similarity.matrix.shape == (5, 5)
