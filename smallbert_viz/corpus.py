"""Reading sentence collections: plain text (one per line), CSV/TSV columns, the sample corpus."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Corpus:
    """Texts with optional labels (same length), and where they came from."""

    texts: list[str]
    labels: list[str] | None
    source: str

    def __len__(self) -> int:
        return len(self.texts)


def read_corpus(
    path: str | os.PathLike,
    *,
    column: str | None = None,
    label_column: str | None = None,
) -> Corpus:
    """Read ``path``: ``.csv``/``.tsv`` by column name (default ``text``, else the first
    column), anything else as one text per line (blank lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {str(path)!r}. Pass a .txt, .csv or .tsv file.")
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}). Re-save it as "
            "UTF-8."
        ) from exc
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv"):
        if column or label_column:
            raise ValueError(
                f"--column/--labels need a .csv or .tsv file; {path.name!r} is read as one text "
                "per line."
            )
        lines = raw.replace("\r\n", "\n").split("\n")  # only real line ends, not \x0c or \u2028
        return Corpus([line for line in lines if line.strip()], None, str(path))
    delimiter = "\t" if suffix == ".tsv" else ","
    # newline="" keeps line breaks inside quoted cells as part of the text
    rows = list(csv.DictReader(io.StringIO(raw, newline=""), delimiter=delimiter))
    if not rows:
        raise ValueError(f"{str(path)!r} has no data rows under its header line.")
    fields = list(rows[0].keys())
    text_col = column or ("text" if "text" in fields else fields[0])
    for name in (text_col, label_column):
        if name is not None and name not in fields:
            raise ValueError(
                f"Column {name!r} is not in {path.name}; its columns are {fields}. Pass "
                "--column/--labels with one of them."
            )
    texts = [(row[text_col] or "") for row in rows]
    labels = [(row[label_column] or "") for row in rows] if label_column else None
    return Corpus(texts, labels, f"{path} (column {text_col!r})")


def iter_corpus_texts(path: str | os.PathLike, *, column: str | None = None) -> Iterator[str]:
    """The texts of ``path`` one at a time, as :func:`read_corpus` reads them, never all at once.

    For files too large to hold: a ``.txt`` file is read line by line (blank lines skipped),
    a ``.csv``/``.tsv`` row by row (column ``column``, default ``text``, else the first). The checks (missing file, column, UTF-8) are
    made on the first ``next()``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {str(path)!r}. Pass a .txt, .csv or .tsv file.")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".tsv"):
        if column:
            raise ValueError(
                f"--column needs a .csv or .tsv file; {path.name!r} is read as one text per line."
            )
        yield from _iter_lines(path)
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        # newline="" keeps line breaks inside quoted cells as part of the text
        reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
        try:
            fields = reader.fieldnames
            first = next(reader, None)
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc) from exc
        if first is None or not fields:
            raise ValueError(f"{str(path)!r} has no data rows under its header line.")
        text_col = column or ("text" if "text" in fields else fields[0])
        if text_col not in fields:
            raise ValueError(
                f"Column {text_col!r} is not in {path.name}; its columns are {list(fields)}. Pass "
                "--column with one of them."
            )
        yield first[text_col] or ""
        try:
            for row in reader:
                yield row[text_col] or ""
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, exc) from exc


def _not_utf8(path: Path, exc: UnicodeDecodeError, offset: int = 0) -> ValueError:
    return ValueError(
        f"{str(path)!r} is not UTF-8 text ({exc.reason} at byte {offset + exc.start}). Re-save it "
        "as UTF-8."
    )


def _iter_lines(path: Path) -> Iterator[str]:
    # Lines end at \n, \r\n or \r, as in read_corpus (read_text's universal newlines), not at
    # \x0c or \u2028 (str.splitlines would); binary reading keeps byte offsets for errors.
    offset = 0
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh):
            line = raw[3:] if number == 0 and raw.startswith(b"\xef\xbb\xbf") else raw
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, exc, offset + len(raw) - len(line)) from exc
            offset += len(raw)
            for part in (text[:-1] if text.endswith("\n") else text).split("\r"):
                if part.strip():
                    yield part


def sample_corpus() -> Corpus:
    """The bundled demo corpus: a few hundred labelled sentences on eight topics."""
    ref = resources.files("smallbert_viz") / "data" / "sample_corpus.tsv"
    rows = list(csv.DictReader(ref.read_text(encoding="utf8").splitlines(), delimiter="\t"))
    return Corpus(
        [r["text"] for r in rows], [r["label"] for r in rows], "smallbert_viz sample corpus"
    )
