"""A built wheel carries the data and static files the views read at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_package_data(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("smallbert_viz-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in [
        "smallbert_viz/data/sample_corpus.tsv",
        "smallbert_viz/reporting/static/report.js",
        "smallbert_viz/reporting/static/loader.js",
        "smallbert_viz/reporting/static/template.html",
        "smallbert_viz/widgets/static/event_figure.js",
    ]:
        assert needed in names, needed
    static = [n for n in names if "/static/" in n]
    source = [p for p in (ROOT / "smallbert_viz").rglob("static/*") if p.is_file()]
    assert len(static) == len(source)
    assert not any(n.startswith(("tests/", "benchmarks/", "notebooks/")) for n in names)
