"""`smallbert-viz embed`: text and CSV input, model and pooling options, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from smallbert_viz.cli import main

TEXTS = ["I hate cancer", "Antibiotics aren't painkiller", "a third, longer line of text"]


def test_embed_text_file(standin_dirs, standin_model, tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_text("\n".join(TEXTS) + "\n\n", encoding="utf8")  # blank lines are skipped
    out = tmp_path / "vec.npy"
    encoder, pre = standin_dirs
    code = main(
        [
            "embed",
            str(src),
            "-o",
            str(out),
            "--model",
            str(encoder),
            "--preprocessor",
            str(pre),
            "--pooling",
            "mean",
        ]
    )
    assert code == 0
    got = np.load(out)
    np.testing.assert_allclose(
        got, standin_model.embed(TEXTS, pooling="mean", progress=False), atol=1e-6
    )
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["pooling"] == "mean" and meta["shape"] == [3, 128]
    assert meta["model"]["encoder_handle"] == str(encoder)
    assert "pooling: mean" in capsys.readouterr().out
    # -o without .npy: the file np.save really writes is the one named and described
    assert (
        main(
            [
                "embed",
                str(src),
                "-o",
                str(tmp_path / "plain"),
                "--model",
                str(encoder),
                "--preprocessor",
                str(pre),
            ]
        )
        == 0
    )
    assert (tmp_path / "plain.npy").is_file() and (tmp_path / "plain.json").is_file()
    assert str(tmp_path / "plain.npy") in capsys.readouterr().out


def test_embed_csv_column(standin_dirs, standin_model, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        'id,sentence\n1,"I hate cancer"\n2,"Antibiotics aren\'t painkiller"\n', encoding="utf8"
    )
    out = tmp_path / "vec.npy"
    encoder, pre = standin_dirs
    assert (
        main(
            [
                "embed",
                str(src),
                "--column",
                "sentence",
                "-o",
                str(out),
                "--model",
                str(encoder),
                "--preprocessor",
                str(pre),
            ]
        )
        == 0
    )
    np.testing.assert_allclose(
        np.load(out), standin_model.embed(TEXTS[:2], progress=False), atol=1e-6
    )


def test_errors_are_one_line_and_exit_2(standin_dirs, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("text\nhello\n", encoding="utf8")
    encoder, pre = standin_dirs
    assert (
        main(
            [
                "embed",
                str(src),
                "--column",
                "nope",
                "-o",
                str(tmp_path / "o.npy"),
                "--model",
                str(encoder),
                "--preprocessor",
                str(pre),
            ]
        )
        == 2
    )
    assert "Column 'nope' is not in in.csv; its columns are ['text']" in capsys.readouterr().err
    assert main(["embed", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "o.npy")]) == 2
    assert "No such file" in capsys.readouterr().err
    assert (
        main(
            ["embed", str(src), "-o", str(tmp_path / "o.npy"), "--model", str(tmp_path / "nomodel")]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "smallbert_viz", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("embed", "report", "demo"):
        assert command in result.stdout


def test_read_corpus_keeps_line_breaks_inside_quoted_cells(tmp_path):
    from smallbert_viz.corpus import read_corpus

    src = tmp_path / "in.csv"
    src.write_text(
        'text,label\n"line one\nstill one",a\n"form\x0cfeed",b\n', encoding="utf8", newline=""
    )
    corpus = read_corpus(src, label_column="label")
    assert corpus.texts == ["line one\nstill one", "form\x0cfeed"]
    assert corpus.labels == ["a", "b"]
    txt = tmp_path / "in.txt"
    txt.write_text("one\u2028same line\r\ntwo\n", encoding="utf8", newline="")
    assert read_corpus(txt).texts == ["one\u2028same line", "two"]
