"""Checks on the bundled text data: the sample corpus and the benchmark sentences."""

from __future__ import annotations

import unicodedata
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

SENTENCES = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "sentences.txt"


@pytest.fixture(scope="module")
def corpus_rows() -> list[tuple[str, str]]:
    # Read the file the way the package does, as package data.
    raw = (files("smallbert_viz") / "data" / "sample_corpus.tsv").read_bytes()
    text = raw.decode("utf-8")  # strict: raises on invalid UTF-8
    assert not text.startswith("\ufeff"), "corpus must not start with a BOM"
    lines = text.split("\n")
    assert lines[0] == "label\ttext"
    assert lines[-1] == "", "file must end with a single newline"
    rows = []
    for number, line in enumerate(lines[1:-1], start=2):
        fields = line.split("\t")
        assert len(fields) == 2, f"line {number} has {len(fields)} columns: {line!r}"
        rows.append((fields[0], fields[1]))
    return rows


@pytest.fixture(scope="module")
def sentence_lines() -> list[str]:
    text = SENTENCES.read_bytes().decode("utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


def test_corpus_has_enough_rows(corpus_rows: list[tuple[str, str]]) -> None:
    assert 300 <= len(corpus_rows) <= 400


def test_corpus_text_is_clean(corpus_rows: list[tuple[str, str]]) -> None:
    for label, text in corpus_rows:
        assert label and label == label.strip() and label.islower(), label
        assert text.strip() == text and text, repr(text)
        assert "\r" not in text
        assert not any(unicodedata.category(c) == "Cc" for c in text), repr(text)
        assert 4 <= len(text.split()) <= 30, text


def test_corpus_has_no_duplicate_text(corpus_rows: list[tuple[str, str]]) -> None:
    counts = Counter(text for _, text in corpus_rows)
    assert [t for t, n in counts.items() if n > 1] == []


def test_corpus_labels_are_balanced(corpus_rows: list[tuple[str, str]]) -> None:
    counts = Counter(label for label, _ in corpus_rows)
    assert len(counts) >= 6, counts
    assert min(counts.values()) >= 20, counts


def test_corpus_prefix_covers_all_labels(corpus_rows: list[tuple[str, str]]) -> None:
    # Rows are interleaved so a demo that takes the first few rows sees every topic.
    labels = {label for label, _ in corpus_rows}
    assert {label for label, _ in corpus_rows[: 2 * len(labels)]} == labels


def test_corpus_contains_demo_edge_cases(corpus_rows: list[tuple[str, str]]) -> None:
    texts = [text for _, text in corpus_rows]

    def has(pred) -> bool:
        return any(pred(t) for t in texts)

    assert has(lambda t: any(unicodedata.category(c) == "So" and ord(c) > 0x1F000 for c in t))
    assert has(lambda t: "café" in t and "naïve" in t)
    assert has(lambda t: any(unicodedata.bidirectional(c) in ("R", "AL") for c in t))
    assert has(lambda t: "<b>bold</b>" in t)


def test_sentences_count_and_uniqueness(sentence_lines: list[str]) -> None:
    assert len(sentence_lines) >= 10_000
    assert all(line.strip() for line in sentence_lines)
    assert len(set(sentence_lines)) == len(sentence_lines)


def test_sentences_look_like_sentences(sentence_lines: list[str]) -> None:
    lengths = [len(line.split()) for line in sentence_lines]
    assert min(lengths) >= 3 and max(lengths) <= 40
    assert 10 <= sum(lengths) / len(lengths) <= 20
    assert all("\t" not in line and line == line.strip() for line in sentence_lines)
    assert SENTENCES.stat().st_size < 1_500_000
