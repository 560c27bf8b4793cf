"""environment.yml agrees with pyproject.toml, the single source of dependencies."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _load():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return project, env, conda, pip


def test_channels_python_and_pip():
    project, env, conda, pip = _load()
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "python=3.11" in conda and "pip" in conda
    assert "-e ." in pip


def test_every_dependency_has_the_same_bounds():
    project, _, conda, pip = _load()
    wanted = {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}
    listed = {}
    for spec in conda[2:] + [p for p in pip if not p.startswith("-")]:
        req = Requirement(spec)
        listed[req.name.lower()] = req
    assert set(listed) == set(wanted)
    for name, req in wanted.items():
        assert listed[name].specifier == req.specifier, name


@pytest.mark.skipif(sys.platform != "linux", reason="resolution checked on the CI platform")
def test_pip_section_resolves(tmp_path):
    _, _, _, pip = _load()
    reqs = [p for p in pip if not p.startswith("-")]
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", *reqs, "-e", str(ROOT)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
