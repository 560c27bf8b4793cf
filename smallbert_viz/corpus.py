"""Reading sentence collections: plain text (one per line), CSV/TSV columns, the sample corpus."""

from __future__ import annotations

import csv
import io
import os
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


def sample_corpus() -> Corpus:
    """The bundled demo corpus: a few hundred labelled sentences on eight topics."""
    ref = resources.files("smallbert_viz") / "data" / "sample_corpus.tsv"
    rows = list(csv.DictReader(ref.read_text(encoding="utf8").splitlines(), delimiter="\t"))
    return Corpus(
        [r["text"] for r in rows], [r["label"] for r in rows], "smallbert_viz sample corpus"
    )
