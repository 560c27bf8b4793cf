"""The on-disk embedding cache: hits across fresh processes are the identical vectors; keyed by
the weights and the preprocessor, never the path; corrupt entries, eviction, concurrent writers."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from smallbert_viz import embedding, embedding_cache
from smallbert_viz.embedding_cache import EmbeddingCache

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [f"sentence {i} about the topic of number {i % 5}" for i in range(40)] + ["", "dup", "dup"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SMALLBERT_VIZ_CACHE_DIR", str(folder))
    monkeypatch.delenv(embedding_cache.CACHE_SWITCH_ENV_VAR, raising=False)
    monkeypatch.delenv(embedding_cache.MAX_BYTES_ENV_VAR, raising=False)
    return folder


def _rows(folder: Path) -> int:
    with sqlite3.connect(folder / "embeddings" / "embeddings.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def _no_encoder(*args, **kwargs):
    raise AssertionError("the encoder ran although every text was cached")


def test_hit_is_identical_and_only_misses_are_embedded(standin_model, cache_dir, monkeypatch):
    plain = embedding.embed(standin_model, TEXTS, cache=False, progress=False)
    cold = embedding.embed(standin_model, TEXTS, progress=False)
    np.testing.assert_array_equal(cold, plain)
    assert _rows(cache_dir) == len(set(TEXTS))
    calls = []
    real = embedding._embed_chunk
    monkeypatch.setattr(embedding, "_embed_chunk", lambda m, t, *a: calls.append(t) or real(m, t, *a))
    warm = embedding.embed(standin_model, [*TEXTS, "a new one"], progress=False)
    np.testing.assert_array_equal(warm[:-1], cold)
    assert calls == [["a new one"]]
    # settings are part of the key
    normed = embedding.embed(standin_model, TEXTS[:3], normalize=True, progress=False)
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0, atol=1e-6)
    assert len(calls) == 2


def test_switches_turn_it_off(standin_model, cache_dir, monkeypatch):
    embedding.embed(standin_model, TEXTS[:5], cache=False, progress=False)
    assert not (cache_dir / "embeddings").exists()
    monkeypatch.setenv(embedding_cache.CACHE_SWITCH_ENV_VAR, "0")
    embedding.embed(standin_model, TEXTS[:5], progress=False)
    assert not (cache_dir / "embeddings").exists()
    with pytest.raises(TypeError, match="The 'cache' parameter of embed must be a bool"):
        embedding.embed(standin_model, TEXTS[:5], cache="yes", progress=False)


SCRIPT = """
import sys, numpy as np
from smallbert_viz import embedding, load_model
model = load_model({encoder!r}, preprocessor={pre!r})
texts = {texts!r}
if sys.argv[1] == "warm":
    def boom(*args, **kwargs):
        raise SystemExit("the encoder ran in the warm process")
    embedding._embed_chunk = boom
np.save(sys.argv[2], embedding.embed(model, texts, progress=False))
"""


def test_fresh_processes_share_the_cache(standin_factory, cache_dir, tmp_path):
    """Vectors cached by one process are the identical vectors in a fresh one (which never runs
    the encoder). The writer is this test process (same code path as a fresh one: load, embed);
    the reader is a fresh interpreter, so one TensorFlow start-up instead of two."""
    from smallbert_viz import load_model

    encoder, pre = standin_factory(2, 128, 2)
    cold = embedding.embed(load_model(encoder, preprocessor=pre), TEXTS, progress=False)
    assert _rows(cache_dir) == len(set(TEXTS))
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(encoder=str(encoder), pre=str(pre), texts=TEXTS))
    env = {**os.environ, "SMALLBERT_VIZ_CACHE_DIR": str(cache_dir), "PYTHONPATH": str(ROOT)}
    env.pop(embedding_cache.CACHE_SWITCH_ENV_VAR, None)
    done = subprocess.run([sys.executable, str(script), "warm", str(tmp_path / "warm.npy")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "warm.npy"), cold)


def test_another_model_or_preprocessor_at_the_same_path_never_gets_old_vectors(
    standin_factory, cache_dir, tmp_path
):
    from smallbert_viz import load_model
    from smallbert_viz.models.tfhub_writer import write_preprocessor

    first, pre = standin_factory(2, 128, 2, seed=0)
    second, _ = standin_factory(2, 128, 2, seed=1)
    place = tmp_path / "model"
    shutil.copytree(first.parent, place)
    old = embedding.embed(load_model(place / "encoder", preprocessor=place / "preprocessor"),
                          TEXTS, progress=False)
    shutil.rmtree(place / "encoder")
    shutil.copytree(second, place / "encoder")
    model = load_model(place / "encoder", preprocessor=place / "preprocessor")
    new = embedding.embed(model, TEXTS, progress=False)
    np.testing.assert_array_equal(new, embedding.embed(model, TEXTS, cache=False, progress=False))
    assert np.abs(new - old).max() > 1e-2

    # The same encoder with a preprocessor whose vocabulary swaps two words, at the same path.
    vocab = (pre.parent / "encoder" / "assets").glob("*.txt")
    lines = Path(next(iter(vocab))).read_text(encoding="utf8").split("\n")
    a, b = lines.index("sentence"), lines.index("topic")
    lines[a], lines[b] = lines[b], lines[a]
    swapped = tmp_path / "vocab.txt"
    swapped.write_text("\n".join(lines), encoding="utf8")
    shutil.rmtree(place / "preprocessor")
    write_preprocessor(place / "preprocessor", swapped)
    model2 = load_model(place / "encoder", preprocessor=place / "preprocessor")
    again = embedding.embed(model2, TEXTS, progress=False)
    np.testing.assert_array_equal(again, embedding.embed(model2, TEXTS, cache=False,
                                                         progress=False))
    assert np.abs(again - new).max() > 1e-5  # random weights: small but real differences


def test_corrupt_entry_is_ignored_and_rewritten(standin_model, cache_dir):
    good = embedding.embed(standin_model, TEXTS[:4], progress=False)
    path = cache_dir / "embeddings" / "embeddings.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("UPDATE entries SET vector = ? WHERE rowid = 1", (b"\x00" * 512,))
        db.execute("UPDATE entries SET vector = substr(vector, 1, 10) WHERE rowid = 2")
    again = embedding.embed(standin_model, TEXTS[:4], progress=False)
    np.testing.assert_array_equal(again, good)
    store = EmbeddingCache(path)
    prefix = embedding_cache.key_prefix(standin_model, "cls", 128, False)
    found = store.get(embedding_cache.text_keys(prefix, TEXTS[:4]), 128)
    assert found.found.all()  # rewritten
    np.testing.assert_array_equal(found.vectors, good)


def test_a_file_that_is_not_a_database_is_replaced(tmp_path):
    path = tmp_path / "embeddings.sqlite"
    path.write_bytes(b"garbage" * 1000)
    store = EmbeddingCache(path)
    store.put([b"k" * 32], np.ones((1, 4), np.float32), [False])
    assert store.get([b"k" * 32], 4).found.all()


def test_least_recently_used_entries_are_evicted(tmp_path):
    dim = 64
    per_entry = 4 * dim + embedding_cache.ENTRY_OVERHEAD
    store = EmbeddingCache(tmp_path / "e.sqlite", limit=10 * per_entry)
    keys = [bytes([i]) * 32 for i in range(30)]
    vectors = np.arange(30 * dim, dtype=np.float32).reshape(30, dim)
    store.put(keys[:8], vectors[:8], [False] * 8)
    store.get(keys[:2], dim)  # keys 0 and 1 are now the most recently used
    store.put(keys[8:12], vectors[8:12], [False] * 4)
    assert len(store) <= 10
    kept = store.get(keys, dim).found
    assert kept[:2].all() and kept[8:12].all() and not kept[2:4].any()
    got = store.get(keys[:2], dim)
    np.testing.assert_array_equal(got.vectors, vectors[:2])


def test_size_setting(monkeypatch):
    monkeypatch.setenv(embedding_cache.MAX_BYTES_ENV_VAR, "500M")
    assert embedding_cache.max_bytes() == 500 * 1024**2
    monkeypatch.delenv(embedding_cache.MAX_BYTES_ENV_VAR)
    assert embedding_cache.max_bytes() == 2 * 1024**3
    monkeypatch.setenv(embedding_cache.MAX_BYTES_ENV_VAR, "lots")
    with pytest.raises(ValueError, match="must be a size such as"):
        embedding_cache.max_bytes()


def _writer(path: str, worker: int, dim: int, n: int) -> None:
    store = EmbeddingCache(path)
    for start in range(0, n, 10):
        ids = range(start, start + 10)
        keys = [i.to_bytes(4, "big") * 8 for i in ids]  # shared keys: every worker writes them
        vectors = np.array([np.full(dim, i, np.float32) for i in ids])
        store.put(keys, vectors, [False] * 10)
        store.get(keys, dim)


def test_concurrent_writers(tmp_path):
    path, dim, n = str(tmp_path / "e.sqlite"), 32, 200
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, dim, n)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    store = EmbeddingCache(path)
    keys = [i.to_bytes(4, "big") * 8 for i in range(n)]
    found = store.get(keys, dim)
    assert found.found.all() and len(store) == n
    np.testing.assert_array_equal(found.vectors[:, 0], np.arange(n, dtype=np.float32))


def test_encode_function_is_owned_by_the_embedding_module(standin_model):
    fn = embedding.encode_function(standin_model)
    assert embedding.encode_function(standin_model) is fn
    assert embedding._ENCODE_FNS[standin_model] is fn
    assert getattr(standin_model, "_encode_fn", None) is None  # nothing written on the model
