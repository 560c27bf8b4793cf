"""Scale out: embed and project large corpora on Apache Spark (needs the ``spark`` extra).

    from smallbert_viz import spark as sbv_spark
    spark = sbv_spark.session("local[2]")
    df = sbv_spark.embed(spark.read.parquet("big.parquet"), "text", model="all-MiniLM-L6-v2")
    xy = sbv_spark.project(df.persist(), sample_size=10_000)

Importing this package imports neither pyspark nor TensorFlow.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "embed": "smallbert_viz.spark._embed",
    "embed_with_report": "smallbert_viz.spark._embed",
    "EmbedReport": "smallbert_viz.spark._embed",
    "project": "smallbert_viz.spark._project",
    "session": "smallbert_viz.spark._session",
    "recommended_conf": "smallbert_viz.spark._session",
    "run_embed_spark": "smallbert_viz.spark._cli",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'smallbert_viz.spark' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
