"""The README's layout holds: data flows one way, each layer imports only the ones before it.

Every module of the package is read with ``ast``: module-level and function-level imports,
relative or absolute, and the dotted module names that lazy exports (``_lazy.lazy_exports``)
and ``importlib.import_module`` import by string. Each import of a later layer is a violation.

The layers, in order (``LAYERS``; a module's layer is its first name under ``smallbert_viz``):

1. shared base: provenance, errors, _validation, _paths, _lazy, _quiet, _truncation, progress,
   corpus;
2. models: models/, embedding.py, embedding_spec.py, embed_to_disk.py, layer_embeddings.py,
   attention/
   (TensorFlow, lazily);
3. analysis/ (numpy, scipy, scikit-learn, umap; no TensorFlow); beside it explain/, the
   model-driven analyses, which may also import analysis/ (analysis/ may not import explain/);
4. figures/: pure plotly builders;
5. views: widgets/, reporting/, magic*, cli, spark/, views/ and the package's own
   ``__init__``/``__main__``, which re-export or run everything.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = "smallbert_viz"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: Layer of each first name under smallbert_viz ("" is the package's own __init__).
LAYERS: dict[str, str] = {
    **dict.fromkeys(
        [
            "provenance", "errors", "_validation", "_paths", "_lazy", "_quiet", "_truncation",
            "progress", "corpus",
        ],
        "base",
    ),
    **dict.fromkeys(
        [
            "models",
            "embedding",
            "embedding_spec",
            "embedding_cache",
            "embed_to_disk",
            "layer_embeddings",
            "attention",
        ],
        "models",
    ),
    "analysis": "analysis",
    "explain": "explain",
    "figures": "figures",
    **dict.fromkeys(
        ["widgets", "reporting", "magic", "cli", "spark", "views", "", "__main__"],
        "views",
    ),
}
#: What each layer may import (itself included).
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "models": {"base", "models"},
    "analysis": {"base", "models", "analysis"},
    "explain": {"base", "models", "analysis", "explain"},
    "figures": {"base", "models", "analysis", "figures"},
    "views": {"base", "models", "analysis", "explain", "figures", "views"},
}

#: Violations in the code as it is, to be removed as they are fixed (the test fails on a stale
#: entry too, so this list only shrinks). Format: "importer -> imported (layer -> layer)".
KNOWN_VIOLATIONS: set[str] = set()

_DOTTED = re.compile(rf"{PACKAGE}(\.\w+)+")


def module_name(path: Path, root: Path = ROOT, package: str = PACKAGE) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def _is_module(name: str, root: Path, package: str) -> bool:
    rel = Path(*name.split(".")[1:]) if name != package else Path()
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def imported_modules(path: Path, root: Path = ROOT, package: str = PACKAGE) -> set[str]:
    """The package modules that ``path`` imports anywhere (absolute names)."""
    name = module_name(path, root, package)
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != package:
                continue
            for alias in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{target}.{alias.name}"
                found.add(sub if _is_module(sub, root, package) else target)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # lazy exports and import_module("smallbert_viz.x.y")
            if _DOTTED.fullmatch(node.value) and _is_module(node.value, root, package):
                found.add(node.value)
    found.discard(name)
    return found


def layer_of(module: str, package: str = PACKAGE) -> str:
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else ""
    if first.startswith("magic"):
        first = "magic"
    if first not in LAYERS:
        raise AssertionError(
            f"{module} is in no layer: add {first!r} to LAYERS in tests/test_layout.py "
            "(and to the README's layout section)."
        )
    return LAYERS[first]


def layer_violations(root: Path = ROOT, package: str = PACKAGE) -> set[str]:
    out = set()
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root, package)
        mine = layer_of(importer, package)
        for imported in sorted(imported_modules(path, root, package)):
            theirs = layer_of(imported, package)
            if theirs not in MAY_IMPORT[mine]:
                out.add(f"{importer} -> {imported} ({mine} -> {theirs})")
    return out


def test_every_module_is_in_a_layer():
    for path in ROOT.rglob("*.py"):
        layer_of(module_name(path))


def test_each_layer_imports_only_the_ones_before_it():
    found = layer_violations()
    new = sorted(found - KNOWN_VIOLATIONS)
    assert not new, "imports of a later layer:\n" + "\n".join(new)
    stale = sorted(KNOWN_VIOLATIONS - found)
    assert not stale, "fixed, remove from KNOWN_VIOLATIONS:\n" + "\n".join(stale)


def test_the_reader_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / PACKAGE
    for folder in ("analysis", "figures", "models", "widgets"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("")
    (pkg / "figures" / "heat.py").write_text("")
    (pkg / "widgets" / "view.py").write_text("")
    (pkg / "models" / "loader.py").write_text("")
    (pkg / "analysis" / "sim.py").write_text(
        "from .. import errors\n"  # allowed: base
        "from ..models import loader\n"  # allowed: models
        "def f():\n"
        "    from smallbert_viz.figures import heat\n"  # function-level, later layer
        "    import smallbert_viz.widgets.view\n"  # absolute, later layer
        "_EXPORTS = {'g': 'smallbert_viz.widgets.view'}\n"  # lazy export, later layer
    )
    (pkg / "analysis" / "__init__.py").write_text("from . import sim\nfrom .sim import f\n")
    assert imported_modules(pkg / "analysis" / "sim.py", pkg) == {
        "smallbert_viz.errors",
        "smallbert_viz.models.loader",
        "smallbert_viz.figures.heat",
        "smallbert_viz.widgets.view",
    }
    assert imported_modules(pkg / "analysis" / "__init__.py", pkg) == {"smallbert_viz.analysis.sim"}
    assert layer_violations(pkg) == {
        "smallbert_viz.analysis.sim -> smallbert_viz.figures.heat (analysis -> figures)",
        "smallbert_viz.analysis.sim -> smallbert_viz.widgets.view (analysis -> views)",
    }


def test_a_module_outside_the_layers_is_named():
    with pytest.raises(AssertionError, match="'newthing' to LAYERS"):
        layer_of("smallbert_viz.newthing.x")
