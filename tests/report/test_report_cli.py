"""``smallbert-viz report`` and ``smallbert-viz demo``: files in, one offline report out."""

from __future__ import annotations

import csv
import html
import re

import pytest

from smallbert_viz.cli import main

from .conftest import EVIL


def _data(path) -> dict:
    """The page data with its packed arrays unpacked."""
    from smallbert_viz.reporting.render import read_page_data

    return read_page_data(path.read_text("utf-8"))


def _model_args(standin_dirs) -> list[str]:
    encoder, pre = standin_dirs
    return ["--model", str(encoder), "--preprocessor", str(pre)]


def test_report_from_txt(tmp_path, standin_dirs, capsys):
    lines = [
        "The cat sat on the mat.",
        "A dog slept on the rug.",
        "",  # blank lines are skipped
        "Stocks fell sharply on Monday.",
        "Markets rallied after the announcement.",
        EVIL,
        "Bake the bread for forty minutes.",
    ]
    src = tmp_path / "sentences.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "r.html"
    code = main(["report", str(src), "-o", str(out), *_model_args(standin_dirs)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert str(out.resolve()) in captured.out
    assert "6 sentences" in captured.out
    data = _data(out)
    assert data["texts"] == [line for line in lines if line]
    assert data["labels"] is None
    page = out.read_text("utf-8")
    assert EVIL not in page
    # Six sentences: too few for UMAP, the projection is PCA and the report says so.
    assert "PCA: fewer than 10 sentences for UMAP" in page


def test_report_from_csv_with_labels_and_options(tmp_path, standin_dirs, capsys):
    from smallbert_viz.corpus import sample_corpus

    corpus = sample_corpus()
    rows = list(zip(corpus.texts[:30], corpus.labels[:30], strict=True))
    src = tmp_path / "data.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "sentence", "topic"])
        for k, (text, label) in enumerate(rows):
            writer.writerow([k, text, label])
    out = tmp_path / "r.html"
    code = main(
        [
            "report",
            str(src),
            "-o",
            str(out),
            "--column",
            "sentence",
            "--labels",
            "topic",
            "--attention-for",
            "2",
            "5",
            "--pooling",
            "mean",
            "--title",
            "Topics & things",
            *_model_args(standin_dirs),
        ]
    )
    assert code == 0, capsys.readouterr().err
    data = _data(out)
    assert data["texts"] == [t for t, _ in rows]
    assert data["labels"] == [lab for _, lab in rows]
    assert data["attention"] == {"2": "fig-attention-2", "5": "fig-attention-5"}
    page = out.read_text("utf-8")
    assert "<title>Topics &amp; things</title>" in page
    assert "pooling</th><td>mean</td>" in page
    summary = re.search(r"<table class='labels'>(.*?)</table>", page, re.DOTALL).group(1)
    for label in set(corpus.labels[:30]):
        count = corpus.labels[:30].count(label)
        assert f"<td>{html.escape(label)}</td><td class='num'>{count}</td>" in summary


@pytest.mark.parametrize(
    ("name", "content", "extra", "match"),
    [
        ("empty.txt", "", [], "holds 0 sentence"),
        ("blank.txt", "\n  \n\n", [], "holds 0 sentence"),
        ("one.txt", "only one sentence\n", [], "at least 2"),
        ("nolabel.csv", "text,label\na b,x\nc d,y\n", ["--labels", "topic"], "'topic' is not in"),
        ("nocol.csv", "text,label\na b,x\nc d,y\n", ["--column", "body"], "'body' is not in"),
        ("header.csv", "text,label\n", [], "no data rows"),
        ("labels.txt", "a b\nc d\n", ["--labels", "topic"], "need a .csv or .tsv"),
    ],
)
def test_bad_input_files(tmp_path, standin_dirs, capsys, name, content, extra, match):
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "r.html"
    code = main(["report", str(src), "-o", str(out), *extra, *_model_args(standin_dirs)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("smallbert-viz report: error: ")
    assert match in err
    assert not out.exists()


def test_missing_file(tmp_path, capsys):
    code = main(["report", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "r.html")])
    assert code == 2
    assert "No such file" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_builds_the_demo_report(tmp_path, capsys, minilm_model):
    """TF Hub is unreachable here: the demo falls back to the offline model and says so."""
    from smallbert_viz.corpus import sample_corpus

    code = main(["demo", "-o", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    note = captured.out.splitlines()[0]
    path = tmp_path / "demo_report.html"
    assert f"demo report: {path.resolve()}" in captured.out
    page = path.read_text("utf-8")
    assert f"<p class='note' id='model-note'>{html.escape(note)}</p>" in page
    if "unavailable" in note:  # the offline fallback
        assert "all-MiniLM-L6-v2" in note
        assert "<th scope='row'>model</th><td>all-MiniLM-L6-v2 (in place of L-8_H-128_A-2)</td>" in page
    corpus = sample_corpus()
    data = _data(path)
    assert data["texts"] == corpus.texts
    assert data["labels"] == corpus.labels
    assert (tmp_path / "demo_embeddings.npy").exists()
    assert path.stat().st_size < 10 * 2**20


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_report_with_coords_file(tmp_path, standin_dirs, capsys, suffix):
    """--coords: the layout is read from the file and shown as given (nothing projected)."""
    import numpy as np

    texts = [f"Sentence number {i} about {w}." for i, w in enumerate("cats dogs sea sky rain"
                                                                     " bread jazz code".split())]
    src = tmp_path / "s.txt"
    src.write_text("\n".join(texts) + "\n", encoding="utf-8")
    xy = np.random.default_rng(2).normal(size=(len(texts), 2)).astype(np.float32)
    coords = tmp_path / f"coords{suffix}"
    if suffix == ".npy":
        np.save(coords, xy)
    else:
        import pandas as pd

        pd.DataFrame({"text": texts, "x": xy[:, 0], "y": xy[:, 1]}).to_csv(coords, index=False)
    out = tmp_path / "r.html"
    code = main(["report", str(src), "-o", str(out), "--coords", str(coords),
                 *_model_args(standin_dirs)])
    assert code == 0, capsys.readouterr().err
    data = _data(out)
    np.testing.assert_allclose(data["coords"], xy, rtol=1e-6)
    assert f"Coordinates given for {len(texts)} points" in html.unescape(out.read_text("utf-8"))
