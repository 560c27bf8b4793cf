"""The notebooks' percent-format sources are the truth: every stored ``.ipynb`` is built from one.

``notebooks/_build_notebooks.py`` converts ``notebooks/<name>.py`` into ``<name>.ipynb``; here
every notebook is rebuilt in a temporary folder and compared byte for byte with the stored file,
and the converter's reading of the format is checked on small sources.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _load_builder():
    path = NOTEBOOKS / "_build_notebooks.py"
    spec = importlib.util.spec_from_file_location("_build_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


builder = _load_builder()


def test_every_notebook_has_a_source_and_every_source_a_notebook():
    sources = {p.stem for p in builder.source_paths(NOTEBOOKS)}
    stored = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    assert sources == stored
    assert {"01_quickstart", "07_compare_sizes", "spark_round_trip"} <= sources


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rebuilt")
    subprocess.run(
        [sys.executable, str(NOTEBOOKS / "_build_notebooks.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_stored_notebook_is_its_source_built(path, rebuilt):
    built = (rebuilt / path.name).read_bytes()
    assert built == path.read_bytes(), (
        f"{path.name} differs from notebooks/{path.stem}.py: edit the source and run "
        "python notebooks/_build_notebooks.py"
    )


def test_building_twice_gives_the_same_bytes(rebuilt, tmp_path):
    builder.write_all(NOTEBOOKS, tmp_path)
    for path in rebuilt.glob("*.ipynb"):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()


def test_cells_markdown_code_and_magics():
    source = "\n".join(
        [
            "# %% [markdown]",
            "# # Title",
            "#",
            "# Text with `code`.",
            "",
            "# %%",
            "# %load_ext smallbert_viz",
            "x = 1  # a comment",
            "",
            "",
            "def f():",
            "    return x",
            "",
            "# %%",
            "# %%embed -o res",
            "# a\tA cat.",
            "#",
            "# b\tA dog.",
            "",
            "# %%",
            "res",
            "",
        ]
    )
    assert builder.parse_cells(source) == [
        ("markdown", "# Title\n\nText with `code`."),
        ("code", "%load_ext smallbert_viz\nx = 1  # a comment\n\n\ndef f():\n    return x"),
        ("code", "%%embed -o res\na\tA cat.\n\nb\tA dog."),
        ("code", "res"),
    ]


def test_built_notebook_ids_metadata_and_no_outputs(tmp_path):
    src = tmp_path / "09_example.py"
    src.write_text("# %% [markdown]\n# Hello\n\n# %%\nprint(1)\n", encoding="utf-8")
    (path,) = builder.write_all(tmp_path, tmp_path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert [c["id"] for c in raw["cells"]] == ["09-00", "09-01"]
    assert [c["cell_type"] for c in raw["cells"]] == ["markdown", "code"]
    assert "".join(raw["cells"][1]["source"]) == "print(1)"
    assert raw["cells"][1]["outputs"] == [] and raw["cells"][1]["execution_count"] is None
    assert raw["metadata"] == builder.METADATA


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n# %%\ny = 2\n", "text before the first cell marker"),
        ("# %% [raw]\nx\n", "unknown cell marker"),
        ("# %% [markdown]\nnot a comment\n", "expected a comment line"),
        ("# %%\n\n# %%\nx = 1\n", "empty cell"),
    ],
)
def test_malformed_sources_are_refused_with_the_line(source, message):
    with pytest.raises(builder.SourceError, match=message) as info:
        builder.parse_cells(source, "bad.py")
    assert "bad.py:" in str(info.value)


def test_the_sources_pass_the_linter():
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed next to this Python")
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", str(NOTEBOOKS)],
        capture_output=True,
        text=True,
        cwd=NOTEBOOKS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The sources are linted, not excluded with the built notebooks.
    listed = subprocess.run(
        [str(ruff), "check", "--no-cache", "--show-files", str(NOTEBOOKS)],
        capture_output=True,
        text=True,
        cwd=NOTEBOOKS.parent,
    ).stdout
    assert "07_compare_sizes.py" in listed and ".ipynb" not in listed
