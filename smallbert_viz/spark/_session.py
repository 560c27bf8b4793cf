"""A SparkSession with the settings the embedding jobs rely on.

``embed`` and ``project`` work on any session; this helper only saves typing the settings that
matter for them (tests, the CLI, the benchmark and the notebook all use it).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Rows per Arrow batch handed to a Python worker. Each batch is tokenized in one call and
#: sorted by length there, so larger batches pack better; 4096 rows of H=384 vectors are
#: 6 MB on the way back, so memory stays small. Spark's default is 10,000.
ARROW_BATCH_ROWS = 4096


def recommended_conf(master: str = "local[2]") -> dict[str, str]:
    """The settings :func:`session` applies (a ``dict`` to pass to any session builder)."""
    conf = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH_ROWS),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # The per-worker model cache lives as long as the Python worker does (Spark's default).
        "spark.python.worker.reuse": "true",
    }
    if master.startswith("local"):
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.sql.shuffle.partitions"] = str(_local_cores(master) * 2)
    return conf


def _local_cores(master: str) -> int:
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    if inside in ("*", ""):
        return os.cpu_count() or 1
    try:
        return max(1, int(inside.split(",")[0]))
    except ValueError:
        return os.cpu_count() or 1


def session(
    master: str = "local[2]",
    *,
    app_name: str = "smallbert-viz",
    conf: dict[str, Any] | None = None,
) -> SparkSession:
    """Get or create a SparkSession with :func:`recommended_conf` plus ``conf``.

    In local mode, Python workers must run the same interpreter as the driver (the one with
    TensorFlow and smallbert_viz installed): when ``PYSPARK_PYTHON`` is unset, this sets it to
    ``sys.executable`` before the session starts. On a cluster, set ``PYSPARK_PYTHON`` (or
    ``spark.pyspark.python``) to the executors' interpreter yourself.
    """
    from pyspark.sql import SparkSession

    if master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**recommended_conf(master), **(conf or {})}.items():
        builder = builder.config(key, str(value))
    return builder.getOrCreate()
