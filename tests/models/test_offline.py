"""all-MiniLM-L6-v2 converted from the PyPI package: equal to numpy, and it means something."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smallbert_viz.models.offline import package_model_dir

from .numpy_bert import forward

PARAPHRASES = [
    ("A man is playing a guitar.", "Someone is strumming a guitar."),
    ("The cat sleeps on the sofa.", "A cat is napping on the couch."),
    (
        "Interest rates were raised by the central bank.",
        "The central bank increased interest rates.",
    ),
    ("It will rain heavily tomorrow.", "Heavy rain is expected tomorrow."),
    ("She cooked pasta for dinner.", "For dinner she made spaghetti."),
    ("The team won the championship.", "The squad took the title."),
    ("The patient was given antibiotics.", "Antibiotics were prescribed to the patient."),
    ("He fixed the bug in the code.", "He repaired the software defect."),
]


@pytest.fixture(scope="module")
def hf_weights():
    from safetensors.numpy import load_file

    folder = package_model_dir()
    cfg = json.loads((folder / "config.json").read_text())
    return load_file(str(folder / "model.safetensors")), cfg


def test_conversion_equals_a_numpy_forward_pass(minilm_model, hf_weights):
    import tensorflow as tf

    weights, cfg = hf_weights
    for text in ["Paris is the capital of France.", "tiny", "Antibiotics aren't painkiller!"]:
        ids = np.array([101, *_ids(minilm_model, text), 102])
        want = forward(weights, cfg, ids)
        inputs = {
            "input_word_ids": tf.constant(ids[None], tf.int32),
            "input_mask": tf.ones((1, len(ids)), tf.int32),
            "input_type_ids": tf.zeros((1, len(ids)), tf.int32),
        }
        out = minilm_model.encoder(inputs)
        for layer, expected in zip(out["encoder_outputs"], want):
            np.testing.assert_allclose(layer.numpy()[0], expected, atol=1e-4)


def _ids(model, text):
    from smallbert_viz.embedding import token_ids

    return token_ids(model, [text])[0].tolist()


def test_exact_erf_gelu_is_kept(minilm_model):
    """A tanh-GELU conversion would drift by about 1e-3: check the saved model uses erf."""
    from smallbert_viz.models.huggingface import read_config

    assert read_config(package_model_dir()).gelu == "erf"


def test_provenance_and_default_pooling(minilm_model):
    info = minilm_model.info
    assert info.name == "all-MiniLM-L6-v2" and info.source == "offline"
    assert (info.num_layers, info.hidden_size, info.num_heads) == (6, 384, 12)
    assert info.default_pooling == "mean"


def test_paraphrases_rank_above_unrelated_sentences(minilm_model):
    firsts = [a for a, _ in PARAPHRASES]
    seconds = [b for _, b in PARAPHRASES]
    a = minilm_model.embed(firsts, normalize=True, progress=False)
    b = minilm_model.embed(seconds, normalize=True, progress=False)
    sims = a @ b.T
    # each sentence's paraphrase is its best match among all candidates
    assert (sims.argmax(axis=1) == np.arange(len(PARAPHRASES))).all()
    assert np.diag(sims).min() > np.max(sims - np.eye(len(sims)) * 10) + 0.05


def test_conversion_is_cached(minilm_model):
    from smallbert_viz.models.offline import offline_dirs

    encoder, pre = offline_dirs("all-MiniLM-L6-v2")
    assert (encoder.parent / "COMPLETE").is_file()
    assert str(encoder) == minilm_model.info.encoder_handle
