"""AttentionExplorer headless: each control shows the maps computed independently."""

from __future__ import annotations

import numpy as np
import pytest

from .events import EVIL, click, error_text

TEXT = "The painkillers worked remarkably quickly."
PAIR = "Headaches faded."


@pytest.fixture(scope="module")
def reference(standin_model):
    return standin_model.attention(TEXT, PAIR)


@pytest.fixture(scope="module")
def explorer(standin_model):
    from smallbert_viz.widgets import AttentionExplorer

    return AttentionExplorer(TEXT, PAIR, model=standin_model)


def test_grid_shows_every_layer_and_head(explorer, reference):
    fw = explorer.figure_widget
    layers, heads = reference.num_layers, reference.num_heads
    assert len(fw.data) == layers * heads == 16
    for layer in (0, layers - 1):
        for head in range(heads):
            np.testing.assert_allclose(
                np.asarray(fw.data[layer * heads + head].z), reference.probs[layer, head], atol=1e-6
            )
    assert explorer.layer_control.disabled and explorer.head_control.disabled
    assert "attention probabilities" in explorer.provenance_text
    assert explorer.figure is not None and len(explorer.figure.data) == 16


def test_single_head_layer_and_mean(explorer, reference):
    try:
        explorer.view_control.value = "single head"
        explorer.layer_control.value = 3
        explorer.head_control.value = 1
        fw = explorer.figure_widget
        assert len(fw.data) == 1 and not explorer.layer_control.disabled
        np.testing.assert_allclose(np.asarray(fw.data[0].z), reference.probs[3, 1], atol=1e-6)
        assert "layer 3, head 1" in fw.layout.title.text

        explorer.head_control.value = "mean"
        np.testing.assert_allclose(
            np.asarray(explorer.figure_widget.data[0].z),
            reference.probs[3].mean(axis=0),
            atol=1e-6,
        )

        explorer.view_control.value = "head view"
        names = [t.name for t in explorer.figure_widget.data]
        assert names[-2:] == ["from", "to"]
        tokens = [t for t in explorer.figure_widget.data[-2].text]
        assert tokens[0] == "[CLS]" and len(tokens) == reference.num_tokens
    finally:
        explorer.view_control.value = "grid"
        explorer.head_control.value = 0
        explorer.layer_control.value = 0
    assert explorer.last_error is None, error_text(explorer)


def test_words_and_hidden_special_tokens(explorer, reference):
    try:
        explorer.view_control.value = "single head"
        explorer.units_control.value = "words"
        explorer.special_control.value = True
        expected = reference.merge_wordpieces().mask_special()
        assert explorer.attention.tokens == expected.tokens
        assert "[CLS]" not in explorer.attention.tokens
        assert not any(t.startswith("##") for t in explorer.attention.tokens)
        z = np.asarray(explorer.figure_widget.data[0].z)
        assert z.shape == (expected.num_tokens, expected.num_tokens)
        np.testing.assert_allclose(z, expected.head(0, 0), atol=1e-6)
        assert "renormalised" in explorer.provenance_text
    finally:
        explorer.units_control.value = "wordpieces"
        explorer.special_control.value = False
        explorer.view_control.value = "grid"


def test_new_text_escaping_and_errors(standin_model):
    from smallbert_viz.widgets import AttentionExplorer

    ex = AttentionExplorer(model=standin_model)
    assert ex.figure is None and ex.figures == {}
    ex.text_control.value = EVIL
    ex.run_button.click()
    assert ex.attention.text == EVIL and ex.figure is not None
    assert "<img" not in ex.status.value and "&lt;img" in ex.status.value
    assert "<img" not in ex._repr_mimebundle_()["text/html"]

    # An empty text leaves only [CLS] [SEP]; hiding them leaves nothing: the error is shown.
    ex.show("")
    assert ex.attention.tokens == ("[CLS]", "[SEP]")
    ex.special_control.value = True
    assert isinstance(ex.last_error, ValueError)
    assert "No tokens left to show" in error_text(ex)


def test_bad_arguments(standin_model):
    from smallbert_viz.widgets import AttentionExplorer

    with pytest.raises(ValueError, match="'view' parameter of AttentionExplorer"):
        AttentionExplorer("x", view="model view", model=standin_model)
    with pytest.raises(ValueError, match="'layer' parameter of AttentionExplorer"):
        AttentionExplorer("x", layer=8, model=standin_model)
    with pytest.raises(TypeError, match="'model' parameter of AttentionExplorer must be a BertModel"):
        AttentionExplorer("x", model=42)


def test_cache_keeps_the_most_recent_attention_only(monkeypatch, standin_model):
    from smallbert_viz.widgets import AttentionExplorer
    from smallbert_viz.widgets.attention import CACHE_SIZE

    real = standin_model.attention
    calls = []

    def counting(text, text_pair=None, **kwargs):
        calls.append(text)
        return real(text, text_pair, **kwargs)

    monkeypatch.setattr(standin_model, "attention", counting)
    ex = AttentionExplorer(model=standin_model)
    texts = [f"sentence number {i} about the weather" for i in range(CACHE_SIZE + 2)]
    for text in texts:
        ex.show(text)
    assert calls == texts and len(ex._cache) == CACHE_SIZE
    ex.show(texts[2])  # the oldest still kept: no recomputation
    assert len(calls) == len(texts)
    ex.show(texts[0])  # evicted: computed again, and now texts[3] is the oldest
    assert calls[-1] == texts[0] and len(calls) == len(texts) + 1
    ex.show(texts[2])
    assert len(calls) == len(texts) + 1
    ex.show(texts[3])
    assert calls[-1] == texts[3] and len(calls) == len(texts) + 2
    np.testing.assert_allclose(ex.raw_attention.probs, real(texts[3]).probs, atol=1e-6)


def test_a_click_on_a_grid_panel_opens_that_head(explorer, reference):
    explorer.view_control.value = "grid"
    fw = explorer.figure_widget
    panels = [(i, tr.meta) for i, tr in enumerate(fw.data) if isinstance(tr.meta, dict)]
    assert len(panels) == reference.num_layers * reference.num_heads
    index, meta = panels[-1]
    click(fw, index, [0, 0])
    assert explorer.view_control.value == "single head"
    assert (explorer.layer_control.value, explorer.head_control.value) == (
        meta["layer"],
        meta["head"],
    )
    z = np.asarray(explorer.figure.data[0].z, dtype=np.float64)
    np.testing.assert_allclose(z, reference.head(meta["layer"], meta["head"]), atol=1e-6)
    assert explorer.last_error is None
    explorer.view_control.value = "grid"
