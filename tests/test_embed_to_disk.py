"""embed_to_disk and `smallbert-viz embed`: chunked output, killed and resumed runs, refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smallbert_viz.cli import main
from smallbert_viz.corpus import iter_corpus_texts, read_corpus
from smallbert_viz.embed_to_disk import (
    OutputInUseError,
    ResumeMismatchError,
    embed_to_disk,
    npy_header,
    partial_paths,
)

REPO = Path(__file__).resolve().parent.parent
CHUNK, BATCH = 16, 8
# A few hundred texts of varied lengths (so batches pack to different lengths).
TEXTS = [f"sentence {i}: " + " ".join(["word"] * (i % 23)) + f" end {i * 7}" for i in range(480)]


def _per_chunk_reference(model, texts, **kwargs):
    """What chunked output must equal bit for bit: embed() on each chunk alone."""
    parts = [
        model.embed(texts[i : i + CHUNK], batch_size=BATCH, progress=False, cache=False, **kwargs)
        for i in range(0, len(texts), CHUNK)
    ]
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def reference(standin_model):
    return _per_chunk_reference(standin_model, TEXTS)


def _cli_args(standin_dirs, src, out, *extra):
    encoder, pre = standin_dirs
    return [
        "embed", str(src), "-o", str(out), "--model", str(encoder), "--preprocessor", str(pre),
        "--chunk-size", str(CHUNK), "--batch-size", str(BATCH), "--no-progress", *extra,
    ]  # fmt: skip


def _start(standin_dirs, src, out):
    """Run the CLI in a subprocess; return it once its journal shows a finished chunk."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "smallbert_viz", *_cli_args(standin_dirs, src, out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    journal = partial_paths(out)[1]
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            done = json.loads(journal.read_text())["chunks_done"]
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= 1:
            break
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be stopped: {proc.communicate()}"
    assert done >= 1
    return proc


def _start_and_stop(standin_dirs, src, out, sig):
    """Run the CLI in a subprocess; send ``sig`` once its journal shows a finished chunk."""
    proc = _start(standin_dirs, src, out)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_matches_embed_bit_for_bit(standin_model, reference, tmp_path):
    result = embed_to_disk(
        TEXTS, tmp_path / "v.npy", model=standin_model, chunk_size=CHUNK, batch_size=BATCH,
        progress=False,
    )  # fmt: skip
    got = np.load(result.path)
    assert got.dtype == np.float32 and np.array_equal(got, reference)
    # and the same numbers as one embed() call over everything, within float32 rounding
    whole = standin_model.embed(TEXTS, batch_size=BATCH, progress=False, cache=False)
    np.testing.assert_allclose(got, whole, atol=1e-5)
    assert (result.n_texts, result.hidden_size, result.resumed_texts) == (len(TEXTS), 128, 0)
    meta = json.loads(result.metadata_path.read_text())
    assert meta["shape"] == [len(TEXTS), 128] and meta["pooling"] == "cls"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.json", "v.npy"]  # no state left
    assert np.array_equal(np.load(result.path, mmap_mode="r")[5], reference[5])


def test_sigkill_then_resume_gives_identical_vectors(standin_dirs, reference, tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(TEXTS) + "\n", encoding="utf8")
    out = tmp_path / "vectors.npy"
    partial, journal = partial_paths(out)
    code, _ = _start_and_stop(standin_dirs, src, out, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert not out.exists() and partial.is_file() and journal.is_file()
    state = json.loads(journal.read_text())
    assert 1 <= state["chunks_done"] < len(TEXTS) // CHUNK and not state["complete"]
    # Running the same command again continues from the last finished chunk.
    assert main(_cli_args(standin_dirs, src, out)) == 0
    assert "from the interrupted run" in capsys.readouterr().out
    assert np.array_equal(np.load(out), reference)
    assert not partial.exists() and not journal.exists()


def test_a_second_run_on_the_same_output_is_refused_while_the_first_works(
    standin_dirs, standin_model, reference, tmp_path, capsys
):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(TEXTS) + "\n", encoding="utf8")
    out = tmp_path / "vectors.npy"
    partial, journal = partial_paths(out)
    proc = _start(standin_dirs, src, out)
    proc.send_signal(signal.SIGSTOP)  # hold the first run mid-way, holding its lock
    try:
        state = journal.read_text()
        size = partial.stat().st_size
        for restart in (False, True):  # not even --restart may discard a running run's rows
            with pytest.raises(OutputInUseError, match=r"vectors\.npy right now.*Wait for it"):
                embed_to_disk(
                    src, out, model=standin_model, chunk_size=CHUNK, batch_size=BATCH,
                    restart=restart, progress=False,
                )  # fmt: skip
        assert main(_cli_args(standin_dirs, src, out)) != 0
        assert "is writing" in capsys.readouterr().err
        assert journal.read_text() == state and partial.stat().st_size == size  # untouched
    finally:
        proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert np.array_equal(np.load(out), reference)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "vectors.json", "vectors.npy"]
    # Once the first run is over, the output can be written again.
    again = embed_to_disk(
        src, out, model=standin_model, chunk_size=CHUNK, batch_size=BATCH, progress=False
    )
    assert np.array_equal(np.load(again.path), reference)


def test_ctrl_c_leaves_a_resumable_state_parquet(standin_dirs, reference, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": range(len(TEXTS)), "text": TEXTS}).to_csv(src, index=False)
    out = tmp_path / "vectors.parquet"
    partial, journal = partial_paths(out)
    code, err = _start_and_stop(standin_dirs, src, out, signal.SIGINT)
    assert code == 130, err
    assert "run the same command again to resume" in err
    assert not out.exists() and partial.is_dir() and journal.is_file()
    assert main(_cli_args(standin_dirs, src, out)) == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["text", "embedding"] and frame["text"].tolist() == TEXTS
    assert np.array_equal(np.stack(frame["embedding"].to_numpy()), reference)
    assert not partial.exists() and not journal.exists()


class _Interrupt:
    """Texts whose last pass raises KeyboardInterrupt (as Ctrl-C would) at text ``at``.

    A sized collection is read twice (fingerprint, then embedding): only the second pass stops.
    """

    def __init__(self, texts, at, passes):
        self.texts, self.at, self.passes = texts, at, passes

    def __len__(self):
        return len(self.texts)

    def __iter__(self):
        self.passes -= 1
        for i, text in enumerate(self.texts):
            if i == self.at and not self.passes:
                raise KeyboardInterrupt
            yield text


def _interrupted(model, out, sized=False):
    texts = _Interrupt(TEXTS, 3 * CHUNK + 5, 2 if sized else 1)
    with pytest.raises(KeyboardInterrupt):
        embed_to_disk(
            texts if sized else iter(texts), out, model=model, chunk_size=CHUNK,
            batch_size=BATCH, progress=False,
        )  # fmt: skip
    assert json.loads(partial_paths(out)[1].read_text())["chunks_done"] == 3
    assert not Path(out).exists()


def test_mismatched_journal_is_refused(standin_model, reference, tmp_path):
    out = tmp_path / "v.npy"
    _interrupted(standin_model, out)
    run = dict(model=standin_model, chunk_size=CHUNK, batch_size=BATCH, progress=False)
    with pytest.raises(ResumeMismatchError, match=r"pooling='cls'.*now pooling='mean'.*restart"):
        embed_to_disk(TEXTS, out, pooling="mean", **run)
    with pytest.raises(ResumeMismatchError, match="chunk_size=16.*now chunk_size=32"):
        embed_to_disk(TEXTS, out, **{**run, "chunk_size": 32})
    changed = [*TEXTS[:20], "another text", *TEXTS[21:]]  # inside the finished chunks
    with pytest.raises(ResumeMismatchError, match="other texts in its first 48.*--restart"):
        embed_to_disk(iter(changed), out, **run)
    with pytest.raises(ResumeMismatchError, match="more texts than this input has"):
        embed_to_disk(iter(TEXTS[:30]), out, **run)
    assert not out.exists()  # refusals touch nothing
    # The same iterable again resumes; the result equals an uninterrupted run bit for bit.
    result = embed_to_disk(iter(TEXTS), out, **run)
    assert result.resumed_texts == 3 * CHUNK and np.array_equal(np.load(out), reference)


def test_other_input_file_and_restart(standin_model, reference, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(TEXTS), encoding="utf8")
    out = tmp_path / "v.npy"
    _interrupted(standin_model, out, sized=True)  # fingerprinted like the file's texts
    run = dict(model=standin_model, chunk_size=CHUNK, batch_size=BATCH, progress=False)
    src.write_text("\n".join(TEXTS[:-1]), encoding="utf8")
    with pytest.raises(ResumeMismatchError, match=r"another input.*479 texts.*restart=True"):
        embed_to_disk(src, out, **run)
    src.write_text("\n".join(TEXTS), encoding="utf8")
    result = embed_to_disk(src, out, restart=True, **run)
    assert result.resumed_texts == 0 and np.array_equal(np.load(out), reference)


def test_normalized_and_truncated(standin_model, tmp_path):
    long = ["one " * 40, "short", "two " * 50]
    with pytest.warns(UserWarning, match="2 of 3 texts were longer than max_length=16"):
        result = embed_to_disk(
            long, tmp_path / "n.npy", model=standin_model, normalize=True, max_length=16,
            pooling="mean", progress=False,
        )  # fmt: skip
    got = np.load(result.path)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    with pytest.warns(UserWarning):
        want = standin_model.embed(
            long, pooling="mean", normalize=True, max_length=16, progress=False, cache=False
        )
    assert np.array_equal(got, want) and result.truncated == 2


def test_parquet_without_text(standin_model, reference, tmp_path):
    result = embed_to_disk(
        TEXTS[:48], tmp_path / "v.parquet", model=standin_model, chunk_size=CHUNK,
        batch_size=BATCH, include_text=False, progress=False,
    )  # fmt: skip
    import pyarrow.parquet as pq

    schema = pq.read_schema(result.path)
    assert schema.names == ["embedding"] and str(schema.field("embedding").type).startswith(
        "fixed_size_list<element: float>[128]"
    )
    frame = pd.read_parquet(result.path)
    assert np.array_equal(np.stack(frame["embedding"].to_numpy()), reference[:48])


def test_bad_parameters_and_empty_input(standin_model, tmp_path):
    with pytest.raises(ValueError, match=r"'chunk_size' parameter of embed_to_disk .*\[1, inf\]"):
        embed_to_disk(TEXTS, tmp_path / "v.npy", model=standin_model, chunk_size=0)
    with pytest.raises(ValueError, match="'format' parameter of embed_to_disk must be one of"):
        embed_to_disk(TEXTS, tmp_path / "v.csv", model=standin_model, format="csv")
    with pytest.raises(TypeError, match=r"texts\[1\] is NoneType"):
        embed_to_disk(["a", None], tmp_path / "v.npy", model=standin_model, progress=False)
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf8")
    with pytest.raises(ValueError, match="holds no texts"):
        embed_to_disk(tmp_path / "empty.txt", tmp_path / "e.npy", model=standin_model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt"]


def test_npy_header_reads_back(tmp_path):
    for shape in [(0, 128), (3, 384), (10**12, 1024)]:
        header = npy_header(shape)
        assert len(header) == 128
        path = tmp_path / "h.npy"
        path.write_bytes(header)
        with open(path, "rb") as fh:
            assert np.lib.format.read_magic(fh) == (1, 0)
            assert np.lib.format.read_array_header_1_0(fh) == (shape, False, np.dtype("<f4"))


def test_streaming_reader_matches_read_corpus(tmp_path):
    txt = tmp_path / "in.txt"
    txt.write_bytes(
        "\ufefffirst\r\nsecond \u2028 still second\n\n   \nthird\rsame line\nlast".encode()
    )
    assert list(iter_corpus_texts(txt)) == read_corpus(txt).texts
    csv_path = tmp_path / "in.csv"
    pd.DataFrame(
        {"id": [1, 2, 3], "body": ['multi\nline "quoted"', "", "x,y"], "text": ["a", "b", "c"]}
    ).to_csv(csv_path, index=False)
    for column in (None, "body"):
        got = list(iter_corpus_texts(csv_path, column=column))
        assert got == read_corpus(csv_path, column=column).texts
    with pytest.raises(ValueError, match=r"Column 'nope' is not in in.csv; its columns are"):
        list(iter_corpus_texts(csv_path, column="nope"))
    (tmp_path / "bad.txt").write_bytes(b"fine\nbad \xff byte\n")
    with pytest.raises(ValueError, match="not UTF-8 text .* at byte 9"):
        list(iter_corpus_texts(tmp_path / "bad.txt"))
