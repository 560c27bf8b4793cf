"""Write every example notebook ``<name>.ipynb`` from its percent-format source ``<name>.py``.

The sources are the notebooks: edit ``notebooks/<name>.py``, then run from the repository root

    .venv/bin/python notebooks/_build_notebooks.py

``tests/test_notebook_sources.py`` rebuilds every notebook in a temporary folder and fails when a
stored ``.ipynb`` differs from its source, so both are committed together.

The source format is jupytext's "percent" format, the subset this builder reads:

- ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell; one blank line separates
  cells (blank lines at a cell's start or end are not part of it);
- markdown lines are comments: ``# text``, and ``#`` alone for an empty line;
- IPython magics are commented so that the file is valid Python for ruff: a line magic is
  written ``# %name ...``, and a cell whose first line is a cell magic (``# %%name ...``) is
  commented line by line, body included.

The output has no outputs or execution counts, deterministic cell ids (``<prefix>-<nn>``, the
prefix being the part of the name before the first ``_``) and metadata that holds only the
kernelspec and the language, so building an unchanged source gives a byte-identical file.
Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}

_MARKER = re.compile(r"# %%(?P<rest>.*)")
_LINE_MAGIC = re.compile(r"# (?P<magic>%[A-Za-z_].*)")
_CELL_MAGIC = re.compile(r"# %%[A-Za-z_]")


class SourceError(ValueError):
    """A notebook source that does not follow the percent format this builder reads."""


def source_paths(folder: Path = HERE) -> list[Path]:
    """The notebook sources in ``folder``: every ``*.py`` whose name does not start with ``_``."""
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def _trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _uncomment(line: str, where: str) -> str:
    if line == "#":
        return ""
    if line.startswith("# "):
        return line[2:]
    raise SourceError(f"{where}: expected a comment line ('# text' or '#'), got {line!r}.")


def parse_cells(text: str, name: str = "<source>") -> list[tuple[str, str]]:
    """Split a percent-format source into ``(cell_type, source)`` pairs, in order."""
    cells: list[tuple[str, list[str], int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.fullmatch(line)
        if match and not _CELL_MAGIC.match(line):
            rest = match["rest"].strip()
            if rest not in ("", "[markdown]"):
                raise SourceError(
                    f"{name}:{number}: unknown cell marker {line!r}; use '# %%' for a code cell "
                    "or '# %% [markdown]' for a markdown cell."
                )
            cells.append(("markdown" if rest else "code", [], number))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise SourceError(
                f"{name}:{number}: text before the first cell marker; start the file with "
                "'# %%' or '# %% [markdown]'."
            )
    out = []
    for kind, raw, number in cells:
        lines = _trim(raw)
        where = f"{name}:{number}"
        if not lines:
            raise SourceError(f"{where}: empty cell; remove its marker.")
        if kind == "markdown":
            lines = [_uncomment(line, where) for line in lines]
        elif _CELL_MAGIC.match(lines[0]):
            lines = [_uncomment(line, where) for line in lines]
        else:
            lines = [
                m["magic"] if (m := _LINE_MAGIC.fullmatch(line)) else line for line in lines
            ]
        out.append((kind, "\n".join(lines)))
    return out


def build(path: Path):
    """The notebook (an ``nbformat.NotebookNode``, validated) of one source file."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    prefix = path.stem.split("_")[0]
    nb = new_notebook(metadata=METADATA)
    for n, (kind, source) in enumerate(parse_cells(path.read_text(encoding="utf-8"), path.name)):
        cell = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        cell["id"] = f"{prefix}-{n:02d}"
        cell["metadata"] = {}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def write_all(sources: Path = HERE, out: Path = HERE) -> list[Path]:
    """Build every source in ``sources`` into ``out/<name>.ipynb``; return the written paths."""
    import nbformat

    written = []
    for path in source_paths(sources):
        target = out / f"{path.stem}.ipynb"
        nbformat.write(build(path), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the .ipynb files")
    args = parser.parse_args(argv)
    for path in write_all(HERE, args.out):
        print("wrote", path)


if __name__ == "__main__":
    main()
