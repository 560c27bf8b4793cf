"""load_model on real TF Hub-format SavedModels: default handle via the cache, paths, errors."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from smallbert_viz import load_model
from smallbert_viz.errors import ModelLoadError, ModelNotFoundError, NotABertEncoderError
from smallbert_viz.models import handles
from smallbert_viz.models.standin import install_in_tfhub_cache


def test_default_load_model_reads_the_tfhub_cache(standin_dirs, monkeypatch, tmp_path):
    """No argument: the real default handles, resolved by tensorflow_hub from its cache."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    encoder, pre = standin_dirs
    spec = handles.small_bert_spec()
    enc_folder = install_in_tfhub_cache(encoder, spec.encoder)
    install_in_tfhub_cache(pre, spec.preprocessor)
    assert enc_folder == tmp_path / hashlib.sha1(spec.encoder.encode()).hexdigest()
    model = load_model()
    assert model.info.encoder_handle == spec.encoder
    assert model.info.preprocessor_handle == handles.TFHUB_PREPROCESSOR
    assert model.info.source == "stand-in"  # random weights never pass for the real model
    assert (model.info.num_layers, model.info.hidden_size, model.info.num_heads) == (8, 128, 2)
    assert model.info.num_parameters == 5_575_552
    assert model.info.vocab_size == 30522 and model.default_pooling == "cls"
    text = repr(model)
    assert "L-8_H-128_A-2" in text and spec.encoder in text and "5,575,552" in text
    assert model.embed("hello world", progress=False).shape == (128,)


def test_short_name_loads_that_size(standin_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    encoder, pre = standin_factory(2, 256, 4)
    spec = handles.small_bert_spec("L-2_H-256_A-4")
    install_in_tfhub_cache(encoder, spec.encoder)
    install_in_tfhub_cache(pre, spec.preprocessor)
    model = load_model("L-2_H-256_A-4")
    assert (model.config.num_layers, model.config.hidden_size, model.config.num_heads) == (
        2,
        256,
        4,
    )
    assert model.embed(["a", "b c"], progress=False).shape == (2, 256)


def test_local_directory(standin_model, standin_dirs):
    assert standin_model.info.source == "stand-in"
    assert "RANDOM-WEIGHT STAND-IN" in standin_model.provenance().describe()
    assert standin_model.info.encoder_handle == str(standin_dirs[0])
    assert standin_model.info.preprocessor_handle == str(standin_dirs[1])


def test_no_network_error_names_handle_cache_folder_and_ways_out(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    with pytest.raises(ModelNotFoundError) as info:
        load_model("L-2_H-128_A-2")
    message = str(info.value)
    handle = handles.small_bert_spec("L-2_H-128_A-2").encoder
    assert handle in message
    assert str(handles.cache_folder(handle)) in message
    assert "all-MiniLM-L6-v2" in message and "local SavedModel directory" in message


def test_corrupt_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    folder = handles.cache_folder(handles.small_bert_spec().encoder)
    folder.mkdir(parents=True)
    (folder / "saved_model.pb").write_bytes(b"not a protobuf")
    with pytest.raises(ModelLoadError, match="could not be read.*Delete that folder"):
        load_model()


def test_missing_empty_corrupt_and_wrong_directories(tmp_path, standin_dirs):
    encoder, pre = standin_dirs
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_model(tmp_path / "nope", preprocessor=pre)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelLoadError, match="is empty"):
        load_model(empty, preprocessor=pre)
    corrupt = tmp_path / "corrupt"
    shutil.copytree(encoder, corrupt)
    (corrupt / "saved_model.pb").write_bytes(b"\x00garbage")
    with pytest.raises(ModelLoadError, match="corrupt or incomplete"):
        load_model(corrupt, preprocessor=pre)
    no_vars = tmp_path / "novars"
    shutil.copytree(encoder, no_vars)
    shutil.rmtree(no_vars / "variables")
    with pytest.raises(ModelLoadError):
        load_model(no_vars, preprocessor=pre)
    with pytest.raises(NotABertEncoderError, match="preprocessor"):
        load_model(pre, preprocessor=pre)
    with pytest.raises(NotABertEncoderError, match="not a BERT preprocessor"):
        load_model(encoder, preprocessor=encoder)
    a_file = tmp_path / "model.tar.gz"
    a_file.write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="is a file"):
        load_model(a_file, preprocessor=pre)


def test_stand_in_is_deterministic_per_seed(standin_factory):
    # Seeds 0 and 1 of this size are the ones other modules build too (the factory is
    # session-scoped), so a full run builds no stand-in just for this test.
    enc_a, pre_a = standin_factory(2, 128, 2, seed=0)
    enc_b, pre_b = standin_factory(2, 128, 2, seed=1)
    a = load_model(enc_a, preprocessor=pre_a)
    b = load_model(enc_b, preprocessor=pre_b)
    va = a.embed("same text", progress=False)
    assert not np.allclose(va, b.embed("same text", progress=False))
    assert np.array_equal(va, a.embed("same text", progress=False))
