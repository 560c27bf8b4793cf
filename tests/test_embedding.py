"""embed: the fast path equals the canonical TF Hub path; input handling and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from smallbert_viz import embedding
from smallbert_viz.embedding import embed_canonical

MIXED = [
    "I hate cancer",
    "Antibiotics aren't painkiller",
    "",
    "   ",
    "short",
    "A considerably longer sentence that goes on for a while, with commas, clauses and more words.",
    "Émigrés naïvely ordered crème brûlée at the café 😀🎉",
    "مرحبا بالعالم وهذه جملة عربية",
    "control\x00chars\x07and\ttabs\nnewlines",
    "<img src=x onerror=alert(1)>",
] + [f"sentence number {i} about topic {i % 7} " * (1 + i % 9) for i in range(70)]


@pytest.fixture(autouse=True)
def _compute_every_vector(monkeypatch):
    """These tests check the encoder path itself: no vector comes from the embedding cache
    (tests/test_embedding_cache.py covers the cache)."""
    monkeypatch.setenv("SMALLBERT_VIZ_EMBED_CACHE", "0")


@pytest.mark.parametrize("pooling", ["cls", "pooled", "mean"])
def test_fast_path_equals_canonical(standin_model, pooling, monkeypatch):
    monkeypatch.setattr(embedding, "CHUNK_SIZE", 32)  # several chunks, partial batches
    fast = standin_model.embed(MIXED, pooling=pooling, batch_size=16, progress=False)
    slow = embed_canonical(standin_model, MIXED, pooling=pooling)
    assert fast.dtype == np.float32 and fast.shape == (len(MIXED), 128)
    np.testing.assert_allclose(fast, slow, atol=1e-5)


def test_fast_path_equals_canonical_on_minilm_mean(minilm_model):
    texts = MIXED[:30]
    fast = minilm_model.embed(texts, progress=False)
    np.testing.assert_allclose(fast, embed_canonical(minilm_model, texts), atol=1e-5)


def test_order_single_string_and_iterables(standin_model):
    texts = MIXED[:20]
    full = standin_model.embed(texts, progress=False)
    rev = standin_model.embed(texts[::-1], progress=False)
    np.testing.assert_allclose(full, rev[::-1], atol=1e-6)
    one = standin_model.embed(texts[3], progress=False)
    assert one.shape == (128,)
    np.testing.assert_allclose(one, full[3], atol=1e-6)
    gen = standin_model.embed((t for t in texts), progress=False)
    np.testing.assert_allclose(gen, full, atol=1e-6)
    arr = standin_model.embed(np.array(texts), progress=False)
    np.testing.assert_allclose(arr, full, atol=1e-6)


def test_empty_input_gives_zero_rows(standin_model):
    out = standin_model.embed([], progress=False)
    assert out.shape == (0, 128) and out.dtype == np.float32


def test_normalize(standin_model):
    out = standin_model.embed(MIXED[:10], normalize=True, progress=False)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_odd_unicode_and_a_megabyte_string_give_valid_vectors(standin_model):
    huge = "word " * 200_000  # 1 MB
    texts = ["", " \t ", "\u200f\u202e", "🙂" * 50, "עברית ועוד", huge]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = standin_model.embed(texts, progress=False)
    assert out.shape == (6, 128) and np.isfinite(out).all()
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1 and messages[0].startswith(
        "1 of 6 texts were longer than max_length=128"
    )


def test_truncation_warning_counts_and_max_length(standin_model):
    texts = ["word " * 600, "word " * 50, "short"]
    with pytest.warns(UserWarning, match="2 of 3 texts were longer than max_length=32"):
        cut = standin_model.embed(texts, max_length=32, progress=False)
    with pytest.warns(UserWarning, match="1 of 3"):
        longer = standin_model.embed(texts, max_length=512, progress=False)
    assert not np.allclose(cut[1], longer[1])
    with pytest.raises(
        ValueError, match=r"'max_length' parameter of embed must be an int in the range \[2, 512\]"
    ):
        standin_model.embed(texts, max_length=513)


@pytest.mark.parametrize(
    "bad, kind",
    [(3, "int"), (None, "NoneType"), (math.nan, "float"), (b"bytes", "bytes")],
)
def test_non_string_items_name_index_and_type(standin_model, bad, kind):
    with pytest.raises(TypeError, match=rf"texts\[2\] is {kind}"):
        standin_model.embed(["a", "b", bad, "d"], progress=False)


def test_bad_arguments(standin_model):
    with pytest.raises(ValueError, match="'cls', 'pooled', 'mean'. Got 'max'"):
        standin_model.embed(["a"], pooling="max")
    with pytest.raises(TypeError, match="bytes"):
        standin_model.embed(b"abc")
    with pytest.raises(TypeError, match="iterable of str"):
        standin_model.embed(12)
    with pytest.raises(ValueError, match="batch_size"):
        standin_model.embed(["a"], batch_size=0)


def test_progress_bar_on_and_off(standin_model, capsys):
    standin_model.embed(["a", "b"], progress=False)
    assert capsys.readouterr().err == ""
    standin_model.embed(["a", "b"], progress=True)
    assert "embed (" in capsys.readouterr().err


def test_default_pooling_is_per_model(standin_model, minilm_model):
    assert standin_model.default_pooling == "cls" and minilm_model.default_pooling == "mean"
    text = "pooling check"
    np.testing.assert_allclose(
        standin_model.embed(text, progress=False),
        standin_model.embed(text, pooling="cls", progress=False),
    )


def test_tokenize_gives_wordpieces(standin_model):
    assert standin_model.tokenize("Antibiotics aren't painkiller") == [
        "antibiotics",
        "aren",
        "'",
        "t",
        "pain",
        "##kill",
        "##er",
    ]


def test_token_vectors_mean_is_the_mean_pooled_embedding(standin_model):
    from smallbert_viz.embedding import token_vectors

    texts = ["I hate cancer", "Antibiotics aren't painkiller", ""]
    tv = token_vectors(standin_model, texts)
    assert tv[0].tokens == ("[CLS]", "i", "hate", "cancer", "[SEP]")
    assert tv[2].tokens == ("[CLS]", "[SEP]")
    pooled = standin_model.embed(texts, pooling="mean", progress=False)
    for item, vector in zip(tv, pooled):
        assert item.vectors.shape == (len(item.tokens), 128)
        np.testing.assert_allclose(item.vectors.mean(axis=0), vector, atol=1e-5)
    assert token_vectors(standin_model, "one").tokens == ("[CLS]", "one", "[SEP]")
