"""Scale out: embed and project large corpora on Apache Spark (needs the ``spark`` extra).

    from smallbert_viz import spark as sbv_spark
    spark = sbv_spark.session("local[2]")
    df = sbv_spark.embed(spark.read.parquet("big.parquet"), "text", model="all-MiniLM-L6-v2")
    xy = sbv_spark.project(df.persist(), sample_size=10_000)

Importing this package imports neither pyspark nor TensorFlow.
"""

from __future__ import annotations

from smallbert_viz._lazy import lazy_exports

_EXPORTS = {
    "embed": "smallbert_viz.spark._embed",
    "embed_with_report": "smallbert_viz.spark._embed",
    "EmbedReport": "smallbert_viz.spark._embed",
    "project": "smallbert_viz.spark._project",
    "session": "smallbert_viz.spark._session",
    "recommended_conf": "smallbert_viz.spark._session",
    "run_embed_spark": "smallbert_viz.spark._cli",
    "check_executors": "smallbert_viz.spark._check",
    "ExecutorEnvironmentError": "smallbert_viz.spark._check",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
