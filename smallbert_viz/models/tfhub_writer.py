"""Write TF Hub-format BERT encoder and preprocessor SavedModels.

The files mirror the TF Hub small BERTs (``../shared/docs/tfhub-format.md``): the encoder takes a
dict of ``input_word_ids``, ``input_mask``, ``input_type_ids`` and returns ``pooled_output``,
``sequence_output``, ``encoder_outputs`` (a list, one per layer) and ``default``; it carries
``vocab_file`` and ``do_lower_case``. The preprocessor has ``__call__`` (pack to 128),
``tokenize`` (with ``get_special_tokens_dict``) and ``bert_pack_inputs(segments, seq_length)``.

Used to build stand-ins for tests (random weights) and to convert pretrained weights from other
formats (``models.huggingface``). TensorFlow is imported when a function is called.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from .config import BertConfig

CLS_ID, SEP_ID, PAD_ID, MASK_ID, UNK_ID = 101, 102, 0, 103, 100
PREPROCESS_SEQ_LENGTH = 128


def _encoder_module(config: BertConfig, weights: dict[str, np.ndarray], vocab_file: str):
    from .._quiet import import_tensorflow

    tf = import_tensorflow()

    shapes = config.variable_shapes()
    missing = [k for k in shapes if k not in weights]
    if missing:
        raise ValueError(f"weights are missing {len(missing)} variables, e.g. {missing[:3]}")
    for name, shape in shapes.items():
        if tuple(weights[name].shape) != shape:
            raise ValueError(f"weight {name!r} has shape {weights[name].shape}, expected {shape}")

    gelu_exact = config.gelu == "erf"
    eps = config.layer_norm_eps
    num_layers, d = config.num_layers, config.head_size

    class Encoder(tf.__internal__.tracking.AutoTrackable):
        def __init__(self) -> None:
            var = {
                name: tf.Variable(np.asarray(weights[name], np.float32), name=name, trainable=True)
                for name in shapes
            }
            self._var = var
            self.vocab_file = tf.saved_model.Asset(vocab_file)
            self.do_lower_case = tf.Variable(True, trainable=False, name="do_lower_case")
            self.trainable_variables = [var[n] for n in shapes]
            self.variables = [var[n] for n in shapes] + [self.do_lower_case]
            self.regularization_losses = []

        def _ln(self, x, prefix):
            mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
            x = (x - mean) * tf.math.rsqrt(variance + eps)
            return x * self._var[prefix + "/gamma"] + self._var[prefix + "/beta"]

        def _forward(self, inputs):
            v = self._var
            ids = tf.cast(inputs["input_word_ids"], tf.int32)
            mask = tf.cast(inputs["input_mask"], tf.float32)
            types = tf.cast(inputs["input_type_ids"], tf.int32)
            seq = tf.shape(ids)[1]
            x = (
                tf.gather(v["word_embeddings/embeddings"], ids)
                + v["position_embedding/embeddings"][tf.newaxis, :seq]
                + tf.gather(v["type_embeddings/embeddings"], types)
            )
            x = self._ln(x, "embeddings/layer_norm")
            adder = (1.0 - mask[:, tf.newaxis, tf.newaxis, :]) * -1e9
            outputs = []
            for n in range(num_layers):
                p = f"transformer/layer_{n}/"
                q = tf.einsum("btf,fnh->btnh", x, v[p + "self_attention/query/kernel"])
                q = q + v[p + "self_attention/query/bias"]
                k = tf.einsum("btf,fnh->btnh", x, v[p + "self_attention/key/kernel"])
                k = k + v[p + "self_attention/key/bias"]
                val = tf.einsum("btf,fnh->btnh", x, v[p + "self_attention/value/kernel"])
                val = val + v[p + "self_attention/value/bias"]
                scores = tf.einsum("bfnh,btnh->bnft", q, k) * (1.0 / math.sqrt(d)) + adder
                probs = tf.nn.softmax(scores, axis=-1)
                ctx = tf.einsum("bnft,btnh->bfnh", probs, val)
                att = tf.einsum(
                    "bfnh,nhd->bfd", ctx, v[p + "self_attention/attention_output/kernel"]
                )
                att = att + v[p + "self_attention/attention_output/bias"]
                a = self._ln(x + att, p + "self_attention_layer_norm")
                inter = tf.einsum("btf,fi->bti", a, v[p + "intermediate/kernel"])
                inter = tf.nn.gelu(inter + v[p + "intermediate/bias"], approximate=not gelu_exact)
                out = tf.einsum("bti,if->btf", inter, v[p + "output/kernel"]) + v[p + "output/bias"]
                x = self._ln(a + out, p + "output_layer_norm")
                outputs.append(x)
            first = x[:, 0, :]
            pooled = tf.tanh(
                tf.matmul(first, v["pooler_transform/kernel"]) + v["pooler_transform/bias"]
            )
            return {
                "pooled_output": pooled,
                "sequence_output": x,
                "encoder_outputs": outputs,
                "default": pooled,
            }

        @tf.function
        def __call__(self, inputs, training=False):
            del training  # no dropout in an exported inference encoder
            return self._forward(inputs)

    return Encoder()


def _input_spec():
    from .._quiet import import_tensorflow

    tf = import_tensorflow()

    return {
        key: tf.TensorSpec([None, None], tf.int32, name=key)
        for key in ("input_word_ids", "input_mask", "input_type_ids")
    }


def write_encoder(
    path: str | os.PathLike,
    config: BertConfig,
    weights: dict[str, np.ndarray],
    vocab_file: str | os.PathLike,
) -> Path:
    """Save a TF Hub-format BERT encoder SavedModel with the given weights to ``path``."""
    from .._quiet import import_tensorflow

    tf = import_tensorflow()

    path = Path(path)
    module = _encoder_module(config, weights, str(vocab_file))
    spec = _input_spec()
    for training in (False, True):
        module.__call__.get_concrete_function(spec, training=training)

    @tf.function(input_signature=[spec])
    def serving(inputs):
        out = module._forward(inputs)
        flat = {"bert_encoder": out["pooled_output"], "bert_encoder_1": out["sequence_output"]}
        for n, layer in enumerate(out["encoder_outputs"]):
            flat[f"bert_encoder_{n + 2}"] = layer
        return flat

    tf.saved_model.save(module, str(path), signatures={"serving_default": serving})
    return path


def _preprocessor_module(vocab_file: str, lower_case: bool, hf_tokenizer: str | None = None):
    from .._quiet import quiet_tensorflow

    with quiet_tensorflow():
        import tensorflow as tf
        import tensorflow_text as text

    class _HFTokenizer(tf.__internal__.tracking.AutoTrackable):
        def __init__(self, ops) -> None:
            self._ops = ops
            self._map_table = ops.map_table  # tracked, so the SavedModel keeps it

        def tokenize(self, strings):
            return self._ops(strings)

    class Tokenize(tf.__internal__.tracking.AutoTrackable):
        def __init__(self) -> None:
            init = tf.lookup.TextFileInitializer(
                vocab_file,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self._table = tf.lookup.StaticHashTable(init, default_value=-1)
            if hf_tokenizer is None:  # TF Hub's own preprocessing (the small BERTs, stand-ins)
                self._tokenizer = text.BertTokenizer(
                    self._table, token_out_type=tf.int64, lower_case=lower_case
                )
            else:  # the Hugging Face tokenizer the converted model was trained with
                from .hf_tokenizer import HFBertTokenizeOps, check_tokenizer_json, special_tokens

                spec = json.loads(Path(hf_tokenizer).read_text(encoding="utf8"))
                check_tokenizer_json(spec)
                self._tokenizer = _HFTokenizer(HFBertTokenizeOps(self._table, special_tokens(spec)))
            self._vocab_size = self._table.size()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, strings):
            return tf.cast(self._tokenizer.tokenize(strings), tf.int32)

        @tf.function(input_signature=[])
        def get_special_tokens_dict(self):
            return {
                "vocab_size": tf.cast(self._table.size(), tf.int32),
                "padding_id": tf.constant(PAD_ID),
                "start_of_sequence_id": tf.constant(CLS_ID),
                "end_of_segment_id": tf.constant(SEP_ID),
                "mask_id": tf.constant(MASK_ID),
            }

    def pack(segments, seq_length):
        segments = [s.merge_dims(-2, -1) if s.shape.rank == 3 else s for s in segments]
        specials = len(segments) + 1
        trimmed = text.RoundRobinTrimmer(max_seq_length=seq_length - specials).trim(segments)
        ids, type_ids = text.combine_segments(
            trimmed, start_of_sequence_id=CLS_ID, end_of_segment_id=SEP_ID
        )
        word_ids, mask = text.pad_model_inputs(ids, max_seq_length=seq_length, pad_value=PAD_ID)
        type_ids, _ = text.pad_model_inputs(type_ids, max_seq_length=seq_length, pad_value=0)
        return {
            "input_word_ids": tf.cast(word_ids, tf.int32),
            "input_mask": tf.cast(mask, tf.int32),
            "input_type_ids": tf.cast(type_ids, tf.int32),
        }

    class BertPackInputs(tf.__internal__.tracking.AutoTrackable):
        @tf.function
        def __call__(self, inputs, seq_length=PREPROCESS_SEQ_LENGTH):
            return pack(list(inputs), seq_length)

    class Preprocessor(tf.__internal__.tracking.AutoTrackable):
        def __init__(self) -> None:
            self.tokenize = Tokenize()
            self.bert_pack_inputs = BertPackInputs()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, strings):
            return pack([self.tokenize(strings)], PREPROCESS_SEQ_LENGTH)

    module = Preprocessor()
    seq = tf.TensorSpec([], tf.int32)
    for rank in (2, 3):
        ragged = tf.RaggedTensorSpec([None] * rank, tf.int32, ragged_rank=rank - 1)
        for n in (1, 2):
            module.bert_pack_inputs.__call__.get_concrete_function([ragged] * n, seq_length=seq)
    return module


def write_preprocessor(
    path: str | os.PathLike,
    vocab_file: str | os.PathLike,
    *,
    lower_case: bool = True,
    hf_tokenizer: str | os.PathLike | None = None,
) -> Path:
    """Save a TF Hub-format BERT preprocessor SavedModel (uncased WordPiece) to ``path``.

    By default it tokenizes as TF Hub's ``bert_en_uncased_preprocess`` (TF Text's
    ``BertTokenizer``). With ``hf_tokenizer`` (a Hugging Face ``tokenizer.json`` of the uncased
    BERT pipeline) it gives exactly the ids of the ``tokenizers`` library instead (see
    ``models.hf_tokenizer``).
    """
    from .._quiet import import_tensorflow

    tf = import_tensorflow()

    path = Path(path)
    module = _preprocessor_module(
        str(vocab_file), lower_case, None if hf_tokenizer is None else str(hf_tokenizer)
    )
    tf.saved_model.save(module, str(path))
    return path
