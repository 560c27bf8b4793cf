"""The attention forward pass reproduces the encoder, and its probabilities are right.

References: the encoder's own ``encoder_outputs``/``sequence_output``/``pooled_output`` (the
thing the pass must reproduce), and an independent float64 numpy computation of each layer's
softmax from the *encoder's* hidden states and the variables.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from smallbert_viz.attention.forward import AttentionForward
from smallbert_viz.errors import AttentionMismatchError

tf = pytest.importorskip("tensorflow")

TOL = 1e-4
SENTENCE = "The quick brown fox didn't jump over the lazy dog's painkillers in Zürich."
PAIR = ("How old is the universe?", "About 13.8 billion years, astronomers estimate.")
BATCH = [
    "Short one.",
    "A somewhat longer sentence that needs several more wordpieces than the first.",
    "Antibiotics aren't painkiller",
]


def pack(model, texts, pair=None, seq_length=None):
    """Encoder inputs [B, T] (numpy int32) for texts (and optional pair texts)."""
    segments = [model.preprocessor.tokenize(tf.constant(texts))]
    if pair is not None:
        segments.append(model.preprocessor.tokenize(tf.constant(pair)))
    if seq_length is None:
        lengths = sum(s.merge_dims(-2, -1).row_lengths().numpy() for s in segments)
        seq_length = int(lengths.max()) + len(segments) + 1
    packed = model.preprocessor.bert_pack_inputs(segments, seq_length=tf.constant(seq_length))
    return {k: v.numpy().astype(np.int32) for k, v in packed.items()}


def run_both(model, inputs):
    from smallbert_viz.attention.forward import forward_for

    ours = forward_for(model)(
        inputs["input_word_ids"], inputs["input_mask"], inputs["input_type_ids"]
    )
    theirs = model.encoder({k: tf.constant(v) for k, v in inputs.items()})
    return ours, theirs


def assert_reproduces(ours, theirs, mask):
    real = mask.astype(bool)
    expected = np.stack([t.numpy() for t in theirs["encoder_outputs"]], axis=1)
    assert ours.encoder_outputs.shape == expected.shape
    # Padded positions carry meaningless vectors in both; compare real tokens.
    layer_gap = np.abs(ours.encoder_outputs - expected).max(axis=(1, 3))[real].max()
    last_gap = np.abs(ours.sequence_output - theirs["sequence_output"].numpy()).max(-1)[real].max()
    assert layer_gap <= TOL, layer_gap
    assert last_gap <= TOL, last_gap
    np.testing.assert_allclose(ours.pooled_output, theirs["pooled_output"].numpy(), atol=TOL)


def test_single_sentence_reproduces_encoder(any_model):
    inputs = pack(any_model, [SENTENCE])
    ours, theirs = run_both(any_model, inputs)
    assert inputs["input_word_ids"].shape[1] > 16  # not a trivially short input
    assert_reproduces(ours, theirs, inputs["input_mask"])


def test_sentence_pair_reproduces_encoder(any_model):
    inputs = pack(any_model, [PAIR[0]], [PAIR[1]])
    assert inputs["input_type_ids"].max() == 1  # the second segment uses type embedding 1
    ours, theirs = run_both(any_model, inputs)
    assert_reproduces(ours, theirs, inputs["input_mask"])


def test_padded_batch_reproduces_encoder_and_masks_padding(any_model):
    inputs = pack(any_model, BATCH, seq_length=37)  # padded, and not a multiple of 16
    mask = inputs["input_mask"]
    assert (mask == 0).any() and mask.sum(1).min() < 37
    ours, theirs = run_both(any_model, inputs)
    assert_reproduces(ours, theirs, mask)
    cfg = any_model.config
    assert ours.probs.shape == (3, cfg.num_layers, cfg.num_heads, 37, 37)
    np.testing.assert_allclose(ours.probs.sum(-1), 1.0, atol=1e-5)
    padded_keys = ours.probs[np.broadcast_to(mask[:, None, None, None, :] == 0, ours.probs.shape)]
    assert padded_keys.size and np.all(padded_keys == 0.0)
    # Each item alone, unpadded, gives the same maps over its real tokens.
    for b, text in enumerate(BATCH):
        single = pack(any_model, [text])
        alone, _ = run_both(any_model, single)
        t = int(mask[b].sum())
        assert alone.probs.shape[-1] == t
        np.testing.assert_allclose(ours.probs[b, :, :, :t, :t], alone.probs[0], atol=1e-5)


def _numpy_probs(model, inputs, theirs):
    """[B, L, A, T, T] in float64: each layer's softmax from the encoder's own layer inputs."""
    w = {v.name.split(":")[0]: v.numpy().astype(np.float64) for v in model.encoder.variables}
    ids, mask, types = inputs["input_word_ids"], inputs["input_mask"], inputs["input_type_ids"]
    t = ids.shape[1]
    x = (
        w["word_embeddings/embeddings"][ids]
        + w["position_embedding/embeddings"][:t]
        + w["type_embeddings/embeddings"][types]
    )
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    x = (x - mu) / np.sqrt(var + 1e-12) * w["embeddings/layer_norm/gamma"]
    x = x + w["embeddings/layer_norm/beta"]
    layer_inputs = [x] + [h.numpy().astype(np.float64) for h in theirs["encoder_outputs"][:-1]]
    out = []
    for n, x in enumerate(layer_inputs):
        p = f"transformer/layer_{n}/self_attention/"
        per_head = []
        for a in range(model.config.num_heads):  # deliberately a plain loop over heads
            q = x @ w[p + "query/kernel"][:, a, :] + w[p + "query/bias"][a]
            k = x @ w[p + "key/kernel"][:, a, :] + w[p + "key/bias"][a]
            s = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
            s = np.where(mask[:, None, :] == 1, s, -np.inf)
            e = np.exp(s - s.max(-1, keepdims=True))
            per_head.append(e / e.sum(-1, keepdims=True))
        out.append(np.stack(per_head, axis=1))
    return np.stack(out, axis=1)


@pytest.mark.parametrize("kind", ["single", "pair", "batch"])
def test_probs_match_numpy_from_encoder_hidden_states(any_model, kind):
    if kind == "single":
        inputs = pack(any_model, [SENTENCE])
    elif kind == "pair":
        inputs = pack(any_model, [PAIR[0]], [PAIR[1]])
    else:
        inputs = pack(any_model, BATCH, seq_length=40)
    ours, theirs = run_both(any_model, inputs)
    expected = _numpy_probs(any_model, inputs, theirs)
    np.testing.assert_allclose(ours.probs, expected, atol=1e-4)
    assert not np.allclose(expected[..., 0, :], expected[..., 1, :])  # maps are not uniform


def test_gelu_is_detected_and_cached(attention_models):
    from smallbert_viz.attention.forward import cached_forward, forward_for

    standin = attention_models("L-8_H-128_A-2")
    minilm = attention_models("all-MiniLM-L6-v2")
    assert forward_for(standin).gelu == "tanh"  # TF Hub models use the tanh approximation
    assert forward_for(minilm).gelu == "erf"  # converted from Hugging Face hidden_act="gelu"
    assert forward_for(minilm) is forward_for(minilm) is cached_forward(minilm)
    assert forward_for(minilm).check_gap <= 1e-4
    # The cache lives in the attention module, not on the model.
    assert not any(isinstance(v, AttentionForward) for v in vars(minilm).values())


def test_cache_is_per_model_built_once_and_dropped_with_the_model(attention_models, monkeypatch):
    import gc
    import threading
    import weakref

    from smallbert_viz.attention import forward as forward_module
    from smallbert_viz.models.model import BertModel

    base = attention_models("L-2_H-128_A-2")
    base_forward = forward_module.forward_for(base)
    built = []
    original = forward_module.select_forward

    def counting(model, **kwargs):
        built.append(1)
        return original(model, **kwargs)

    monkeypatch.setattr(forward_module, "select_forward", counting)

    def build_concurrently():
        fresh = BertModel(base.spec, base.encoder, base.preprocessor)
        assert forward_module.cached_forward(fresh) is None
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(forward_module.forward_for(fresh)))
            for _ in range(3)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 3 and all(r is results[0] for r in results)
        assert forward_module.cached_forward(fresh) is results[0]
        assert forward_module.forward_for(base) is base_forward is not results[0]  # per model
        return weakref.ref(fresh), len(forward_module._FORWARDS)

    before = len(built)
    ref, size = build_concurrently()
    assert len(built) - before == 1  # three threads, one self-check
    gc.collect()
    assert ref() is None  # the cache does not keep the model alive
    assert len(forward_module._FORWARDS) == size - 1


def test_wrong_gelu_does_not_pass_the_self_check(attention_models):
    from smallbert_viz.attention.forward import (
        TOLERANCE,
        AttentionForward,
        check_inputs,
        encoder_gap,
    )

    minilm = attention_models("all-MiniLM-L6-v2")
    inputs = check_inputs(minilm)
    wrong = AttentionForward.from_model(minilm, gelu="tanh")
    right = AttentionForward.from_model(minilm, gelu="erf")
    assert encoder_gap(minilm, wrong, inputs) > 10 * TOLERANCE
    assert encoder_gap(minilm, right, inputs) <= TOLERANCE


def test_self_check_raises_when_only_the_wrong_gelu_is_tried(attention_models, monkeypatch):
    """End to end: a fresh model whose pass cannot match raises and caches nothing."""
    from smallbert_viz.attention import forward as forward_module
    from smallbert_viz.models.model import BertModel

    minilm = attention_models("all-MiniLM-L6-v2")
    fresh = BertModel(minilm.spec, minilm.encoder, minilm.preprocessor)
    monkeypatch.setattr(forward_module, "GELU_ORDER", ("tanh",))
    with pytest.raises(AttentionMismatchError) as info:
        fresh.attention("I hate cancer")
    message = str(info.value)
    assert fresh.info.name in message and fresh.info.encoder_handle in message
    assert "tanh GELU" in message and "gap" in message
    assert forward_module.cached_forward(fresh) is None


def test_self_check_raises_on_a_perturbed_weight(attention_models):
    from smallbert_viz.attention.forward import select_forward

    model = attention_models("L-8_H-128_A-2")
    weights = {v.name.split(":")[0]: v.numpy() for v in model.encoder.variables}
    name = "transformer/layer_5/intermediate/bias"
    original = weights[name]
    weights[name] = original + 0.05  # one variable differs from the encoder's
    with pytest.raises(AttentionMismatchError, match=r"largest gap .*tanh GELU: .*erf GELU"):
        select_forward(model, weights=weights)
    # The same copy unperturbed passes, so the failure is the perturbation's doing.
    weights[name] = original
    assert select_forward(model, weights=weights).gelu == "tanh"


def test_lengths_share_a_trace_per_multiple_of_16(attention_models):
    from smallbert_viz.attention.forward import AttentionForward

    model = attention_models("L-2_H-128_A-2")
    forward = AttentionForward.from_model(model, gelu="tanh")
    rng = np.random.default_rng(0)
    for length in (17, 20, 29, 32):
        ids = rng.integers(1000, 3000, (1, length)).astype(np.int32)
        out = forward(ids, np.ones_like(ids), np.zeros_like(ids))
        assert out.probs.shape == (1, 2, 2, length, length)
    assert forward._compiled.experimental_get_tracing_count() == 1


def test_forward_rejects_bad_inputs(attention_models):
    from smallbert_viz.attention.forward import forward_for

    forward = forward_for(attention_models("L-8_H-128_A-2"))
    ids = np.ones((1, 5), np.int32)
    with pytest.raises(ValueError, match="same shape"):
        forward(ids, np.ones((1, 4), np.int32), ids)
    too_long = np.ones((1, 513), np.int32)
    with pytest.raises(ValueError, match="512 positions"):
        forward(too_long, too_long, too_long)


def test_many_passes_do_not_warn_about_retracing(attention_models, caplog):
    """Each pass (one per model or GELU candidate) counts its own traces."""
    from smallbert_viz.attention.forward import AttentionForward

    model = attention_models("L-2_H-128_A-2")
    ids = np.full((1, 16), 2000, np.int32)
    with caplog.at_level("WARNING"):
        for _ in range(7):
            AttentionForward.from_model(model, gelu="erf")(ids, np.ones_like(ids), 0 * ids)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
