"""compute_attention on real models, and the Attention helpers against direct numpy."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from smallbert_viz.attention import Attention, compute_attention

# -- hand-made Attention objects (no model) ----------------------------------------------------

TOKENS = ("[CLS]", "pain", "##kill", "##er", "is", "fine", "[SEP]")
GROUPS = [[0], [1, 2, 3], [4], [5], [6]]  # written out by hand for TOKENS


def make(tokens=TOKENS, layers=3, heads=2, seed=0, segments=None):
    rng = np.random.default_rng(seed)
    n = len(tokens)
    probs = rng.dirichlet(np.ones(n), size=(layers, heads, n)).astype(np.float32)
    return Attention(
        tokens=tokens,
        segment_ids=np.zeros(n, np.int32) if segments is None else np.asarray(segments),
        probs=probs,
        model_name="hand-made",
        provenance="attention probabilities | model: hand-made",
        text="painkiller is fine",
    )


def test_indexing_helpers_match_numpy():
    att = make()
    p = att.probs
    np.testing.assert_array_equal(att.head(1, 0), p[1, 0])
    np.testing.assert_array_equal(att.head(-1, -1), p[2, 1])
    np.testing.assert_array_equal(att.layer(2), p[2])
    np.testing.assert_allclose(att.mean_over_heads(), p.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(att.mean_over_heads(layer=0), p[0].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(att.mean_over_layers(), p.mean(axis=0), rtol=1e-6)
    assert att.mean_over_heads().shape == (3, 7, 7)
    assert att.mean_over_layers().shape == (2, 7, 7)
    assert (att.num_layers, att.num_heads, att.num_tokens) == (3, 2, 7)


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda a: a.head(3, 0), ValueError, r"'layer' parameter of Attention.head .*\[-3, 2\]"),
        (lambda a: a.head(0, 2), ValueError, r"'head' parameter of Attention.head .*\[-2, 1\]"),
        (lambda a: a.layer(-4), ValueError, r"'layer' parameter of Attention.layer"),
        (lambda a: a.layer(1.0), TypeError, r"'layer' parameter of Attention.layer must be an int"),
        (lambda a: a.mean_over_heads(layer=9), ValueError, r"'layer' .*Got 9 instead"),
        (lambda a: a.mask_special(renormalize="yes"), TypeError, r"'renormalize'"),
    ],
)
def test_bad_indices_raise_clear_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(make())


def test_rollout_matches_direct_numpy():
    att = make(layers=4)
    n = att.num_tokens
    expected = np.eye(n)
    for layer in range(4):  # Abnar & Zuidema: 0.5 * mean-of-heads + 0.5 * I, then chain
        a = 0.5 * att.probs[layer].astype(np.float64).mean(axis=0) + 0.5 * np.eye(n)
        expected = a @ expected
    rollout = att.rollout()
    assert rollout.shape == (n, n) and rollout.dtype == np.float32
    np.testing.assert_allclose(rollout, expected, atol=1e-6)
    np.testing.assert_allclose(rollout.sum(axis=1), 1.0, atol=1e-5)


def test_rollout_of_self_attention_only_is_identity():
    att = make()
    identity = np.broadcast_to(np.eye(7, dtype=np.float32), att.probs.shape)
    att = dataclasses.replace(att, probs=identity)
    np.testing.assert_allclose(att.rollout(), np.eye(7), atol=1e-7)


def test_merge_wordpieces_matches_direct_numpy():
    att = make()
    merged = att.merge_wordpieces()
    assert merged.tokens == ("[CLS]", "painkiller", "is", "fine", "[SEP]")
    p = att.probs.astype(np.float64)
    expected = np.zeros((3, 2, 5, 5))
    for g, rows in enumerate(GROUPS):
        for h, cols in enumerate(GROUPS):
            expected[:, :, g, h] = p[:, :, rows][:, :, :, cols].sum(axis=-1).mean(axis=-1)
    np.testing.assert_allclose(merged.probs, expected, atol=1e-6)
    np.testing.assert_allclose(merged.probs.sum(axis=-1), 1.0, atol=1e-5)
    assert "wordpieces merged" in str(merged.provenance)
    assert merged.merge_wordpieces().tokens == merged.tokens  # idempotent


def test_merge_never_joins_special_tokens_or_crosses_segments():
    tokens = ("[CLS]", "a", "[SEP]", "##b", "c", "##d", "[SEP]")
    att = make(tokens, segments=[0, 0, 0, 1, 1, 1, 1])
    merged = att.merge_wordpieces()
    assert merged.tokens == ("[CLS]", "a", "[SEP]", "##b", "cd", "[SEP]")
    np.testing.assert_array_equal(merged.segment_ids, [0, 0, 0, 1, 1, 1])


def test_mask_special_matches_direct_numpy():
    att = make()
    keep = [1, 2, 3, 4, 5]
    raw = att.probs[:, :, keep][:, :, :, keep].astype(np.float64)
    masked = att.mask_special()
    assert masked.tokens == TOKENS[1:-1]
    np.testing.assert_allclose(masked.probs, raw / raw.sum(-1, keepdims=True), atol=1e-6)
    np.testing.assert_allclose(masked.probs.sum(-1), 1.0, atol=1e-5)
    unnormalised = att.mask_special(renormalize=False)
    np.testing.assert_allclose(unnormalised.probs, raw, atol=1e-7)
    assert np.all(unnormalised.probs.sum(-1) < 1.0)
    assert "[CLS]/[SEP] removed, rows renormalised" in str(masked.provenance)
    both = att.merge_wordpieces().mask_special()
    assert both.tokens == ("painkiller", "is", "fine")
    np.testing.assert_allclose(both.probs.sum(-1), 1.0, atol=1e-5)


def test_attention_is_immutable_and_validated():
    att = make()
    with pytest.raises(ValueError, match="read-only"):
        att.probs[0, 0, 0, 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        att.tokens = ("x",)
    with pytest.raises(ValueError, match=r"probs must have shape \(num_layers, num_heads, 6, 6\)"):
        dataclasses.replace(att, tokens=TOKENS[:-1])


# -- compute_attention on real models ----------------------------------------------------------


def test_compute_attention_single_sentence(standin_model):
    att = compute_attention(standin_model, "Antibiotics aren't painkiller")
    ids = [101, 24479, 4995, 1005, 1056, 3255, 15872, 2121, 102]  # tfhub-format.md section 5
    assert att.tokens == tuple(standin_model.vocab[i] for i in ids)
    assert att.tokens[5:8] == ("pain", "##kill", "##er")
    assert att.probs.shape == (8, 2, 9, 9) and att.probs.dtype == np.float32
    np.testing.assert_array_equal(att.segment_ids, np.zeros(9, np.int32))
    np.testing.assert_allclose(att.probs.sum(-1), 1.0, atol=1e-5)
    assert att.model_name == standin_model.info.name
    assert "attention probabilities" in str(att.provenance)
    assert standin_model.info.short() in str(att.provenance)
    assert att.text == "Antibiotics aren't painkiller" and att.text_pair is None
    words = att.merge_wordpieces()
    assert "painkiller" in words.tokens and words.num_tokens == 7
    np.testing.assert_allclose(words.probs.sum(-1), 1.0, atol=1e-5)


def test_compute_attention_equals_forward_on_packed_input(standin_model):
    """The result is the forward pass's maps for exactly the packed tokens, no padding."""
    import tensorflow as tf

    from smallbert_viz.attention.forward import forward_for

    text = "I hate cancer"
    att = standin_model.attention(text)
    packed = standin_model.preprocessor(tf.constant([text]))  # canonical path: padded to 128
    out = forward_for(standin_model)(
        packed["input_word_ids"], packed["input_mask"], packed["input_type_ids"]
    )
    np.testing.assert_allclose(att.probs, out.probs[0, :, :, :5, :5], atol=1e-5)


def test_compute_attention_pair_and_minilm(minilm_model):
    att = compute_attention(minilm_model, "How old is it?", "Very old.")
    assert att.tokens == ("[CLS]", "how", "old", "is", "it", "?", "[SEP]", "very", "old", ".",
                          "[SEP]")  # fmt: skip
    np.testing.assert_array_equal(att.segment_ids, [0] * 7 + [1] * 4)
    assert att.probs.shape == (6, 12, 11, 11)
    np.testing.assert_allclose(att.probs.sum(-1), 1.0, atol=1e-5)
    assert "all-MiniLM-L6-v2" in str(att.provenance) and "GELU: erf" in str(att.provenance)
    assert att.text_pair == "Very old."


def test_empty_text_gives_cls_sep(standin_model):
    att = compute_attention(standin_model, "")
    assert att.tokens == ("[CLS]", "[SEP]")
    assert att.probs.shape == (8, 2, 2, 2)
    np.testing.assert_allclose(att.probs.sum(-1), 1.0, atol=1e-5)
    assert compute_attention(standin_model, "", "").tokens == ("[CLS]", "[SEP]", "[SEP]")
    assert att.mask_special().num_tokens == 0


def test_long_text_is_truncated_with_a_warning(standin_model):
    text = " ".join(["word"] * 600)
    with pytest.warns(UserWarning, match=r"602 wordpieces .* max_length=512"):
        att = compute_attention(standin_model, text)
    assert att.num_tokens == 512 and att.tokens[-1] == "[SEP]"
    with pytest.warns(UserWarning, match="longer text loses wordpieces first"):
        pair = compute_attention(standin_model, "a b c d e f g h", "x y", max_length=8)
    # Round-robin: the shorter pair text keeps both its words, the longer one is cut.
    assert pair.tokens == ("[CLS]", "a", "b", "c", "[SEP]", "x", "y", "[SEP]")
    np.testing.assert_array_equal(pair.segment_ids, [0, 0, 0, 0, 0, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compute_attention(standin_model, "short", max_length=3).num_tokens == 3


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"text": None}, TypeError, r"'text' parameter of compute_attention must be a str"),
        ({"text": b"bytes"}, TypeError, r"Decode it first"),
        ({"text": ["a", "b"]}, TypeError, r"once per text"),
        ({"text": "ok", "text_pair": 3}, TypeError, r"'text_pair' parameter"),
        ({"text": "ok", "max_length": 513}, ValueError, r"'max_length' .*\[2, 512\]. Got 513"),
        ({"text": "ok", "max_length": 1}, ValueError, r"'max_length'"),
        ({"text": "ok", "max_length": 128.0}, TypeError, r"'max_length' .*must be an int"),
    ],
)
def test_compute_attention_rejects_bad_arguments(standin_model, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        compute_attention(standin_model, **kwargs)


def test_import_does_not_load_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, smallbert_viz.attention as a; a.Attention; print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
