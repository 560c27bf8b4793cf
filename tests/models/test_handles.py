"""Short names, handles and cache folders resolve without TensorFlow or network."""

from __future__ import annotations

import hashlib

import pytest

from smallbert_viz.models import handles
from smallbert_viz.models.loader import resolve


def test_all_24_small_berts_resolve_with_the_matching_preprocessor():
    assert len(handles.SMALL_BERT_NAMES) == 24
    for name in handles.SMALL_BERT_NAMES:
        spec = resolve(name)
        # handles.TFHUB_URL: $SMALLBERT_VIZ_TFHUB_URL (tests: http://127.0.0.1:9), else tfhub.dev
        url = handles.TFHUB_URL
        assert spec.encoder == f"{url}/tensorflow/small_bert/bert_en_uncased_{name}/2"
        assert spec.preprocessor == f"{url}/tensorflow/bert_en_uncased_preprocess/3"
        assert spec.default_pooling == "cls"


def test_default_is_l8_h128():
    spec = resolve(None)
    assert spec.encoder.endswith("bert_en_uncased_L-8_H-128_A-2/2")
    assert spec.name == "L-8_H-128_A-2"


def test_full_handles_and_kaggle():
    kaggle = (
        "https://www.kaggle.com/models/tensorflow/bert/TensorFlow2/bert-en-uncased-l-8-h-128-a-2/2"
    )
    spec = resolve(kaggle)
    assert spec.encoder == kaggle and spec.source == "kaggle"
    assert spec.preprocessor == handles.KAGGLE_PREPROCESSOR
    assert handles.small_bert_spec("L-8_H-128_A-2", kaggle=True).encoder == kaggle
    url = "https://tfhub.dev/tensorflow/small_bert/bert_en_uncased_L-4_H-256_A-4/2"
    assert resolve(url).preprocessor == handles.TFHUB_PREPROCESSOR
    assert resolve(url, preprocessor="/some/pre").preprocessor == "/some/pre"
    with pytest.raises(ValueError, match="preprocessor="):
        resolve("https://tfhub.dev/tensorflow/bert_multi_cased_L-12_H-768_A-12/4")


def test_cache_folder_is_sha1_of_the_handle(monkeypatch, tmp_path):
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    handle = "https://tfhub.dev/tensorflow/small_bert/bert_en_uncased_L-8_H-128_A-2/2"
    assert handles.cache_folder(handle).name == "239da2460ab7ac425614eb401daf0d6b9af9f715"
    assert handles.cache_folder(handle) == tmp_path / hashlib.sha1(handle.encode()).hexdigest()


@pytest.mark.parametrize(
    "bad, match",
    [
        ("L-8_H-100_A-2", "not one of the 24"),
        ("L-3_H-128_A-2", "not one of the 24"),
        ("bert-base", "Unknown model"),
    ],
)
def test_unknown_names_explain_the_choices(bad, match):
    with pytest.raises(ValueError, match=match):
        resolve(bad)


def test_wrong_type():
    with pytest.raises(TypeError, match="model must be"):
        resolve(42)
