"""Before the first job: can the executors' Python run our code at all?

Without this, a session whose workers run another interpreter (a notebook kernel in a
virtualenv, no ``PYSPARK_PYTHON``: Spark starts plain ``python3``) fails deep inside the first
job with a Java stack trace around ``ModuleNotFoundError: No module named 'smallbert_viz'``.
:func:`check_executors` runs one tiny task first (one partition, one row) that reports the
worker's ``sys.executable`` and whether it can import ``smallbert_viz``, ``pyarrow`` and (for
``embed``) ``tensorflow``, and raises one :class:`ExecutorEnvironmentError` naming both
interpreters and the fix. A passing answer is cached per SparkContext, so the probe costs one
small job per session.

The probe only reaches the executor its one task lands on; on a cluster whose nodes differ it
checks one of them.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

from ..errors import SmallBertVizError

if TYPE_CHECKING:
    from pyspark import SparkContext

#: Modules every job needs in the workers; ``tensorflow`` only for ``embed``.
BASE_MODULES = ("smallbert_viz", "pyarrow")
EMBED_MODULES = (*BASE_MODULES, "tensorflow")
PROJECT_MODULES = (*BASE_MODULES, "umap")

# (application id, module names) that passed the probe.
_PASSED: set[tuple[str, tuple[str, ...]]] = set()


class ExecutorEnvironmentError(SmallBertVizError, RuntimeError):
    """The Python that Spark runs on the executors cannot import what the jobs need."""


def _make_probe(modules: tuple[str, ...]):
    """The task body, built as a local function so that Spark pickles it by value.

    A module-level function would be pickled as a reference to ``smallbert_viz.spark._check``,
    and a worker without smallbert_viz could not even unpickle the probe.
    """

    def probe(_: Any) -> dict[str, Any]:
        import importlib
        import importlib.util
        import sys as worker_sys

        missing = {}
        for name in modules:
            try:
                if name in ("tensorflow", "umap"):
                    # Present and importable from this interpreter, without starting
                    # TensorFlow's runtime (the worker sizes its thread pools first).
                    if importlib.util.find_spec(name) is None:
                        raise ModuleNotFoundError(f"No module named {name!r}")
                else:
                    importlib.import_module(name)
            except Exception as exc:  # noqa: BLE001 - reported back to the driver
                missing[name] = f"{type(exc).__name__}: {exc}"
        return {
            "executable": worker_sys.executable,
            "version": worker_sys.version.split()[0],
            "missing": missing,
        }

    return probe


def configured_python(sc: SparkContext) -> str:
    """The interpreter PySpark starts for Python workers (``sc.pythonExec``), and why.

    PySpark reads ``PYSPARK_PYTHON`` when the SparkContext starts (default ``python3``, found
    on the PATH); ``spark.pyspark.python`` reaches it only through ``spark-submit`` or
    ``spark-defaults.conf``, not from a session builder in a running Python.
    """
    executable = getattr(sc, "pythonExec", None) or "python3"
    found = shutil.which(executable)
    where = f" = {found}" if found and found != executable else ""
    if os.environ.get("PYSPARK_PYTHON") == executable:
        why = "from PYSPARK_PYTHON"
    else:
        why = "Spark's default: PYSPARK_PYTHON was not set when the session started"
    text = f"{executable}{where} ({why})"
    conf = sc.getConf().get("spark.pyspark.python", None)
    if conf and conf != executable:
        text += (
            f"; spark.pyspark.python={conf} is set but was not used: set by a session builder "
            "in Python it comes too late, PySpark reads PYSPARK_PYTHON"
        )
    return text


def _fix(driver: str) -> str:
    return (
        "Fix: run the workers with an interpreter that has smallbert-viz installed (with its "
        "'spark' extra), e.g. the driver's: set PYSPARK_PYTHON="
        f"{driver} before the session starts (os.environ['PYSPARK_PYTHON'] = sys.executable), "
        "or build the session with smallbert_viz.spark.session(), which does this in local "
        "mode. With spark-submit or on a cluster, install smallbert-viz[spark] on every node "
        "and set spark.pyspark.python (or PYSPARK_PYTHON) to that interpreter."
    )


def _short(error: BaseException, limit: int = 600) -> str:
    """The informative end of a Java/Python error: its last exception lines, no stack frames."""
    lines = [ln.strip() for ln in str(error).splitlines() if ln.strip()]
    useful = [ln for ln in lines if ("Exception" in ln or "Error" in ln) and not ln.startswith("at ")]
    tail = " | ".join((useful or lines or [type(error).__name__])[-2:])
    return tail if len(tail) <= limit else "..." + tail[-limit:]


def check_executors(sc: SparkContext, modules: tuple[str, ...] = EMBED_MODULES) -> dict[str, Any]:
    """Run the probe once per SparkContext; raise :class:`ExecutorEnvironmentError` if it fails.

    Returns the probe's answer (``executable``, ``version``, ``missing``), or ``{"cached":
    True}`` when this context already passed.
    """
    key = (sc.applicationId, tuple(modules))
    if key in _PASSED:
        return {"cached": True}
    driver = sys.executable
    try:
        answer = sc.parallelize([0], 1).map(_make_probe(tuple(modules))).collect()[0]
    except Exception as exc:  # noqa: BLE001 - Py4JJavaError, PythonException, ... : one clear error
        raise ExecutorEnvironmentError(
            "Spark could not run a Python task on the executors, so smallbert_viz cannot run "
            f"there either. Executors' Python: {configured_python(sc)}. Driver's Python: "
            f"{driver}. Spark said: {_short(exc)}. {_fix(driver)}"
        ) from None
    if answer["missing"]:
        missing = "; ".join(f"{name} ({why})" for name, why in answer["missing"].items())
        raise ExecutorEnvironmentError(
            f"The executors' Python cannot import {', '.join(answer['missing'])}: {missing}. "
            f"Executors' Python: {answer['executable']} (Python {answer['version']}; configured: "
            f"{configured_python(sc)}). Driver's Python: {driver}. {_fix(driver)}"
        )
    _PASSED.add(key)
    return answer
