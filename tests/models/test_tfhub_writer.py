"""The stand-in SavedModels have exactly the TF Hub format (shared/docs/tfhub-format.md)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def hub_objects(standin_dirs):
    import tensorflow_hub as hub
    import tensorflow_text  # noqa: F401

    encoder, pre = standin_dirs
    return hub.load(str(encoder)), hub.load(str(pre))


def test_encoder_variables_names_shapes_and_order(hub_objects):
    from smallbert_viz.models.config import BertConfig

    encoder, _ = hub_objects
    expected = BertConfig.small_bert(8, 128).variable_shapes()
    names = [v.name.split(":")[0] for v in encoder.trainable_variables]
    assert names == list(expected)
    assert len(encoder.trainable_variables) == 135
    assert {n: tuple(v.shape) for n, v in zip(names, encoder.trainable_variables)} == expected
    assert sum(int(np.prod(v.shape)) for v in encoder.trainable_variables) == 5_575_552
    assert bool(encoder.do_lower_case.numpy()) is True
    vocab = encoder.vocab_file.asset_path.numpy().decode()
    with open(vocab, encoding="utf8") as fh:
        assert sum(1 for _ in fh) == 30522


def test_encoder_outputs_follow_the_tfhub_api(hub_objects):
    encoder, pre = hub_objects
    inputs = pre(tf.constant(["I hate cancer", "a much longer second sentence here"]))
    assert inputs["input_word_ids"].shape == (2, 128)
    out = encoder(inputs)
    assert set(out) == {"pooled_output", "sequence_output", "encoder_outputs", "default"}
    assert isinstance(out["encoder_outputs"], list) and len(out["encoder_outputs"]) == 8
    np.testing.assert_array_equal(out["encoder_outputs"][-1], out["sequence_output"])
    np.testing.assert_array_equal(out["default"], out["pooled_output"])
    pooled = out["pooled_output"].numpy()
    assert np.all(np.abs(pooled) < 1)
    kernel = {v.name.split(":")[0]: v.numpy() for v in encoder.variables}
    first = out["sequence_output"].numpy()[:, 0]
    want = np.tanh(first @ kernel["pooler_transform/kernel"] + kernel["pooler_transform/bias"])
    np.testing.assert_allclose(pooled, want, atol=1e-5)
    # dynamic sequence length and an explicit training=False both work
    short = {k: v[:, :9] for k, v in inputs.items()}
    out9 = encoder(short, training=False)
    assert out9["sequence_output"].shape == (2, 9, 128)
    np.testing.assert_allclose(
        out9["sequence_output"][0, :5], out["sequence_output"][0, :5], atol=1e-5
    )


def test_keras_layer_and_serving_signature(standin_dirs):
    import tensorflow_hub as hub

    layer = hub.KerasLayer(str(standin_dirs[0]), trainable=False)
    ids = tf.constant([[101, 1045, 102]])
    out = layer(
        {
            "input_word_ids": ids,
            "input_mask": tf.ones_like(ids),
            "input_type_ids": tf.zeros_like(ids),
        }
    )
    assert out["pooled_output"].shape == (1, 128)
    assert "serving_default" in hub.load(str(standin_dirs[0])).signatures


def test_preprocessor_tokenizes_like_the_real_one(hub_objects):
    _, pre = hub_objects
    ids = pre(tf.constant(["I hate cancer", "Antibiotics aren't painkiller"]))[
        "input_word_ids"
    ].numpy()
    assert ids[0, :5].tolist() == [101, 1045, 5223, 4456, 102]
    assert ids[1, :9].tolist() == [101, 24479, 4995, 1005, 1056, 3255, 15872, 2121, 102]
    tokens = pre.tokenize(tf.constant(["hello world"]))
    assert tokens.shape.rank == 3 and tokens.to_list() == [[[7592], [2088]]]
    special = {k: int(v) for k, v in pre.tokenize.get_special_tokens_dict().items()}
    assert special == {
        "vocab_size": 30522,
        "padding_id": 0,
        "start_of_sequence_id": 101,
        "end_of_segment_id": 102,
        "mask_id": 103,
    }
    # accents stripped, lower-cased; a word over 100 bytes becomes [UNK]
    assert (
        pre.tokenize(tf.constant(["Café"])).to_list()
        == pre.tokenize(tf.constant(["cafe"])).to_list()
    )
    assert pre.tokenize(tf.constant(["x" * 120])).to_list() == [[[100]]]


def test_bert_pack_inputs_pairs_lengths_and_round_robin_truncation(hub_objects):
    _, pre = hub_objects
    a = pre.tokenize(tf.constant(["one two three four five six"]))
    b = pre.tokenize(tf.constant(["seven eight"]))
    packed = pre.bert_pack_inputs([a, b], seq_length=tf.constant(16))
    ids = packed["input_word_ids"].numpy()[0]
    types = packed["input_type_ids"].numpy()[0]
    mask = packed["input_mask"].numpy()[0]
    assert ids.shape == (16,)
    assert ids[0] == 101 and list(ids).count(102) == 2
    assert types.tolist() == [0] * 8 + [1] * 3 + [0] * 5
    assert mask.tolist() == [1] * 11 + [0] * 5
    # seq_length 8: 5 wordpieces fit; the longer segment loses tokens first, prefixes kept
    cut = pre.bert_pack_inputs([a, b], seq_length=tf.constant(8))["input_word_ids"].numpy()[0]
    assert cut.tolist() == [101, 2028, 2048, 2093, 102, 2698, 2809, 102]
    # rank-2 segments pack the same as rank-3 ones
    flat = pre.bert_pack_inputs([a.merge_dims(-2, -1)], seq_length=tf.constant(12))
    full = pre.bert_pack_inputs([a], seq_length=tf.constant(12))
    np.testing.assert_array_equal(flat["input_word_ids"], full["input_word_ids"])
