"""TensorFlow's start-up noise is hidden by default, shown on request; real errors still show.

Checked on the real output: fresh subprocesses that import TensorFlow through the package, with
the user's environment (no TF_CPP_MIN_LOG_LEVEL, which conftest sets for the test process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from smallbert_viz._quiet import VERBOSE_ENV_VAR, is_noise

ROOT = Path(__file__).resolve().parent.parent

# Lines TensorFlow 2.21 printed on this machine before the quiet mechanism existed.
OBSERVED_NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796033570.286622    7532 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "I0000 00:00:1796033570.486932    7532 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
    "E0000 00:00:1796033586.357368    7532 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "W0000 00:00:1796033662.967240    9974 loop_optimizer.cc:934] Skipping loop optimization for "
    "Merge node with control input: StatefulPartitionedCall/RaggedConcat_1/assert_equal_3",
    "I0000 00:00:1733400000.000000    1234 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors.",
]
REAL_ERRORS = [
    "E0000 00:00:1796033586.357368    7532 saved_model_loader.cc:12] Could not read the graph",
    "F0000 00:00:1796033586.357368    7532 tensor.cc:9] Check failed: shape mismatch",
    "Traceback (most recent call last):",
    "ValueError: something real",
    "2 x 128 vectors -> out.npy",
]


def test_noise_filter_on_observed_lines():
    assert all(is_noise(line) for line in OBSERVED_NOISE)
    assert not any(is_noise(line) for line in REAL_ERRORS)


def _user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", VERBOSE_ENV_VAR)}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def _tf_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if is_noise(line)]


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=_user_env(**env), capture_output=True, text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def small_standin(standin_factory):
    return standin_factory(2, 128, 2)


def test_cli_embed_is_quiet_and_verbose_shows_tensorflow(small_standin, tmp_path):
    encoder, pre = small_standin
    (tmp_path / "s.txt").write_text("hello world\nanother sentence here\n", encoding="utf8")
    args = ["-m", "smallbert_viz", "embed", "s.txt", "-o", "out.npy", "--model", str(encoder),
            "--preprocessor", str(pre)]
    quiet = _run(args, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "2 x 128 vectors" in quiet.stdout
    assert _tf_lines(quiet.stderr) == [], quiet.stderr
    assert np.load(tmp_path / "out.npy").shape == (2, 128)

    loud = _run([*args, "--verbose"], tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert any("absl::InitializeLog" in line or "cuInit" in line for line in _tf_lines(loud.stderr))

    missing = _run([*args[:-4], "--model", str(tmp_path / "nowhere"), "--preprocessor",
                    str(pre)], tmp_path)
    assert missing.returncode == 2
    assert "nowhere' does not exist" in missing.stderr
    assert _tf_lines(missing.stderr) == [], missing.stderr


SCRIPT = """
import os, sys
from smallbert_viz import load_model
from smallbert_viz._quiet import filtered_stderr
model = load_model({encoder!r}, preprocessor={pre!r})
print(model.embed(["a sentence", "and another one"], progress=False).shape)
print("TF_CPP_MIN_LOG_LEVEL" in os.environ)
with filtered_stderr():
    os.write(2, b"I0000 00:00:1.5  77 fake.cc:1] noise that must go\\n")
    os.write(2, b"a real problem that must show\\n")
    print("python-level warning that must show", file=sys.stderr)
try:
    load_model({missing!r}, preprocessor={pre!r})
except Exception as exc:
    print(f"{{type(exc).__name__}}: {{exc}}", file=sys.stderr)
"""


def test_python_load_and_embed_is_quiet_and_real_lines_pass(small_standin, tmp_path):
    encoder, pre = small_standin
    script = SCRIPT.format(encoder=str(encoder), pre=str(pre), missing=str(tmp_path / "gone"))
    result = _run(["-c", textwrap.dedent(script)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["(2, 128)", "False"]  # no TF variable left behind
    assert _tf_lines(result.stderr) == [], result.stderr
    lines = result.stderr.splitlines()
    assert "a real problem that must show" in lines
    assert "python-level warning that must show" in lines
    assert "noise that must go" not in result.stderr
    assert any(line.startswith("ModelNotFoundError: The encoder directory") for line in lines)


def test_importing_the_package_sets_nothing_up():
    code = (
        "import os, sys, smallbert_viz, smallbert_viz.embedding, smallbert_viz._quiet\n"
        "print('tensorflow' in sys.modules, 'TF_CPP_MIN_LOG_LEVEL' in os.environ)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=_user_env(), capture_output=True,
                            text=True, timeout=300)
    assert result.stdout.strip() == "False False", result.stderr
