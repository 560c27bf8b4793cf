"""The executors' Python is checked before the first job: one clear error, not a Java trace.

The failing cases need their own SparkContext (PySpark reads the workers' interpreter once, when
the context starts), so they run in a child process: a real local[1] session built without
PYSPARK_PYTHON, whose ``python3`` on the PATH is a bare virtualenv without smallbert_viz,
TensorFlow or pyarrow (the situation of a notebook kernel in a virtualenv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smallbert_viz.spark import ExecutorEnvironmentError, check_executors
from smallbert_viz.spark._check import EMBED_MODULES, PROJECT_MODULES

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

WORKTREE = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import contextlib, io, json, os, sys
    sys.path.insert(0, {worktree!r})  # not PYTHONPATH: PySpark would hand it to the workers
    from pyspark.sql import SparkSession
    from smallbert_viz import cli
    from smallbert_viz.spark import ExecutorEnvironmentError, embed, project

    encoder, pre, bare, parquet, out = sys.argv[1:6]
    result = {{}}

    def attempt(name, call):
        try:
            call()
            result[name] = None
        except Exception as exc:
            result[name] = [type(exc).__name__, str(exc), isinstance(exc, ExecutorEnvironmentError)]

    def start():
        spark = (
            SparkSession.builder.master("local[1]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("OFF")
        return spark

    # 1. No PYSPARK_PYTHON: Spark starts `python3` from the PATH, the bare virtualenv.
    assert "PYSPARK_PYTHON" not in os.environ
    spark = start()
    texts = spark.createDataFrame([("a sentence",)], "text string")
    attempt("embed", lambda: embed(texts, model=encoder, preprocessor=pre))
    vectors = spark.createDataFrame([([0.0, 1.0],)] * 5, "embedding array<float>")
    attempt("project", lambda: project(vectors, sample_size=4))
    result["driver"] = sys.executable
    spark.stop()

    # 2. The CLI with PYSPARK_PYTHON pointing at the bare interpreter.
    os.environ["PYSPARK_PYTHON"] = bare
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["embed", parquet, "-o", out, "--spark", "local[1]", "--model", encoder,
                         "--preprocessor", pre, "--no-progress"])
    result["cli"] = [code, err.getvalue()]
    from pyspark.sql import SparkSession as S
    if S.getActiveSession() is not None:
        S.getActiveSession().stop()

    # 3. An interpreter that does not exist: the workers never start.
    os.environ["PYSPARK_PYTHON"] = "/no/such/python3"
    spark = start()
    attempt("missing", lambda: embed(spark.createDataFrame([("x",)], "text string"),
                                     model=encoder, preprocessor=pre))
    spark.stop()
    print("RESULT " + json.dumps(result))
    """
)


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A virtualenv of the test's own Python version with nothing installed in it."""
    folder = tmp_path_factory.mktemp("bare-venv")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    found = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('smallbert_viz'))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,  # not the checkout, whose smallbert_viz/ `-c` would find
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert found.stdout.strip() == "None"  # really without the package
    return python


@pytest.fixture(scope="module")
def child_result(bare_python, standin_dirs, tmp_path_factory) -> dict:
    import pandas as pd

    work = tmp_path_factory.mktemp("spark-check")
    path_dir = work / "bin"
    path_dir.mkdir()
    (path_dir / "python3").symlink_to(bare_python)  # Spark's default worker: `python3`
    parquet = work / "in.parquet"
    pd.DataFrame({"text": ["one sentence", "another"]}).to_parquet(parquet)
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "PYTHONPATH")}
    env["PATH"] = f"{path_dir}{os.pathsep}{env.get('PATH', '')}"
    encoder, pre = standin_dirs
    script = work / "child.py"
    script.write_text(CHILD.format(worktree=str(WORKTREE)), encoding="utf8")
    done = subprocess.run(
        [sys.executable, str(script), str(encoder), str(pre), str(bare_python), str(parquet),
         str(work / "out.parquet")],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,  # Spark's local workers start here (`python -m` puts it on their path)
        timeout=600,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    result["bare"] = str(bare_python)
    result["path_python3"] = str(path_dir / "python3")
    return result


def _assert_names_both_and_the_fix(message: str, worker: str, driver: str) -> None:
    assert worker in message, message
    assert f"Driver's Python: {driver}" in message, message
    assert "PYSPARK_PYTHON=" + driver in message
    assert "smallbert_viz.spark.session()" in message and "spark.pyspark.python" in message
    # One readable error, not a Java stack trace.
    assert "Py4JJavaError" not in message and "\tat org.apache" not in message
    assert len(message) < 2000


def test_embed_without_pyspark_python_names_both_interpreters(child_result):
    name, message, ours = child_result["embed"]
    assert ours and name == "ExecutorEnvironmentError"
    # The probe ran in the bare worker and found what is missing there.
    assert "cannot import smallbert_viz, pyarrow, tensorflow" in message
    assert "No module named 'smallbert_viz'" in message
    assert "PYSPARK_PYTHON was not set" in message  # why Spark chose that interpreter
    # The worker's own sys.executable (the bare virtualenv, reached as `python3` on the PATH).
    _assert_names_both_and_the_fix(message, "python3", child_result["driver"])
    assert child_result["path_python3"] in message


def test_project_checks_umap_too(child_result):
    name, message, ours = child_result["project"]
    assert ours, message
    assert "cannot import smallbert_viz, pyarrow, umap" in message
    _assert_names_both_and_the_fix(message, child_result["path_python3"], child_result["driver"])


def test_cli_spark_reports_the_error_and_exits_2(child_result):
    code, stderr = child_result["cli"]
    assert code == 2
    assert stderr.startswith("smallbert-viz embed: error: The executors' Python cannot import")
    assert f"{child_result['bare']} (from PYSPARK_PYTHON)" in stderr
    assert "Traceback" not in stderr


def test_worker_that_cannot_start(child_result):
    name, message, ours = child_result["missing"]
    assert ours, message
    assert message.startswith("Spark could not run a Python task on the executors")
    assert "/no/such/python3 (from PYSPARK_PYTHON)" in message
    _assert_names_both_and_the_fix(message, "/no/such/python3", child_result["driver"])


def test_good_session_passes_and_is_cached(spark, monkeypatch):
    from smallbert_viz.spark import _check

    monkeypatch.setattr(_check, "_PASSED", set())  # run the probe even if a test ran it
    sc = spark.sparkContext
    answer = check_executors(sc, EMBED_MODULES)
    assert answer["missing"] == {}
    # session() runs the workers on the driver's own interpreter.
    assert os.path.realpath(answer["executable"]) == os.path.realpath(sys.executable)
    assert check_executors(sc, EMBED_MODULES) == {"cached": True}
    assert check_executors(sc, PROJECT_MODULES)["missing"] == {}
    assert issubclass(ExecutorEnvironmentError, _check.SmallBertVizError)
