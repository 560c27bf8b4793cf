"""``smallbert-viz embed FILE --spark MASTER``: embed a Parquet/CSV file with Spark into Parquet.

The command line itself lives in :mod:`smallbert_viz.cli`; this is the function it calls.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..progress import stage_line
from ._embed import EmbedReport

READERS = (".parquet", ".csv", ".tsv")


def read_table(spark, input_path: str | os.PathLike):
    """A DataFrame of a Parquet file or folder, or a CSV/TSV file with a header line."""
    path = Path(input_path)
    if not path.exists():
        raise FileNotFoundError(
            f"No such file or folder: {str(path)!r}. Pass a .parquet file or folder, or a "
            ".csv/.tsv file with a header line."
        )
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        return spark.read.parquet(str(path))
    if suffix in (".csv", ".tsv"):
        return (
            spark.read.option("header", True)
            .option("multiLine", True)
            .option("escape", '"')
            .option("sep", "\t" if suffix == ".tsv" else ",")
            .csv(str(path))
        )
    raise ValueError(
        f"Cannot read {path.name!r}: the Spark embed reads {', '.join(READERS)} (or a Parquet "
        "folder). Convert it, or use smallbert-viz embed without --spark for .txt files."
    )


def run_embed_spark(
    input_path: str | os.PathLike,
    column: str | None,
    output_path: str | os.PathLike,
    master: str = "local[2]",
    model: str | None = None,
    pooling: str | None = None,
    normalize: bool = False,
    batch_size: int | None = None,
    *,
    preprocessor: str | None = None,
    max_length: int = 128,
    progress: bool | None = None,
) -> EmbedReport:
    """Embed ``input_path[column]`` with Spark on ``master``; write Parquet to ``output_path``.

    The output is a Parquet folder with the input's columns plus ``embedding`` (array<float>,
    null for null texts), in the input's row order. Inputs with fewer partitions than the
    session's parallelism (a single small file is one partition) are split by row ranges first,
    so every core works. Prints one summary line and returns the :class:`EmbedReport`;
    ``progress`` (None or True) also prints a stage line before and after each Spark job.
    """
    from pyspark.sql import functions as F

    from ._embed import embed_with_report
    from ._session import session

    spark = session(master, app_name="smallbert-viz embed")
    started = time.perf_counter()
    df = read_table(spark, input_path)
    column = column or "text"
    parallelism = spark.sparkContext.defaultParallelism
    if df.rdd.getNumPartitions() < parallelism:
        # Range-partition on the original position, then sort inside each partition: the
        # row order survives and the output part files follow it.
        df = (
            df.withColumn("_row", F.monotonically_increasing_id())
            .repartitionByRange(parallelism, "_row")
            .sortWithinPartitions("_row")
            .drop("_row")
        )
    result, report = embed_with_report(
        df,
        column,
        "embedding",
        model=model,
        preprocessor=preprocessor,
        pooling=pooling,
        normalize=normalize,
        batch_size=batch_size,
        max_length=max_length,
        progress=progress,
    )
    job = f"embedding {report.n_embedded:,} texts with {report.model} into {output_path}"
    job += " (Spark job)"
    with stage_line(job, show=progress is not False):
        result.write.mode("overwrite").parquet(str(output_path))
    seconds = time.perf_counter() - started
    print(f"{report.describe()} -> {output_path} ({seconds:.1f} s on {master})")
    return report
