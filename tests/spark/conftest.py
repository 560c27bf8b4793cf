"""One local[2] SparkSession for every Spark test (UI off, few shuffle partitions)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from smallbert_viz.spark import session

    spark = session(
        "local[2]",
        app_name="smallbert-viz-tests",
        conf={
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "2",
            "spark.driver.host": "127.0.0.1",
        },
    )
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def texts() -> list[str]:
    """Real sentences of varied length from the sample corpus, plus a few long ones."""
    from smallbert_viz.corpus import sample_corpus

    base = sample_corpus().texts[:150]
    return base + [" ".join(base[i : i + 8]) for i in range(0, 40, 8)]


def rows_by_id(frame, column: str):
    """``{id: value}`` of ``column`` after collecting ``frame`` (which has an ``id`` column)."""
    return {r["id"]: r[column] for r in frame.select("id", column).collect()}
