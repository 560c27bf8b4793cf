"""Sentence embeddings of a Spark DataFrame column, computed in the executors' Python workers.

``embed`` adds an ``array<float>`` column with ``mapInPandas``: Spark hands each Python worker
Arrow batches of rows (``spark.sql.execution.arrow.maxRecordsPerBatch`` rows each; 4096 in
sessions made by :func:`smallbert_viz.spark.session`), and the worker runs the same fast path as
:func:`smallbert_viz.embedding.embed` on each batch (tokenize once, sort by length, pack
short). The model is loaded once per Python worker process and reused by every later task; its
SavedModel folders reach the executors as one archive (see :mod:`smallbert_viz.spark._ship`).

Nulls pass through: a null text gives a null vector, and never fails the job. A column that is
not a string column is refused on the driver, before any job runs, with the cast that fixes
it. ``embed`` is lazy like any transformation; ``embed_with_report`` also counts the rows and
the null texts with one cheap aggregation over the input column, so the count is exact and does
not depend on when (or how often) the embeddings are computed.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._validation import check_choice, check_int
from ..embedding import MAX_LENGTH_LIMIT, POOLINGS
from ..progress import stage_line
from ._check import EMBED_MODULES, check_executors
from ._ship import ship_model
from ._worker import EmbedTask, embed_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)
OWNER = "smallbert_viz.spark.embed"


@dataclass(frozen=True)
class EmbedReport:
    """What :func:`embed_with_report` did, counted on the input before anything ran.

    Attributes
    ----------
    n_rows : int
        Rows of the input DataFrame.
    n_null : int
        Rows whose text is null; their embedding is null too.
    input_col, output_col : str
    model, pooling : str
        The model's name and the pooling used (the model's default when not given).
    normalize : bool
    max_length : int
    """

    n_rows: int
    n_null: int
    input_col: str
    output_col: str
    model: str
    pooling: str
    normalize: bool
    max_length: int
    _loads: Any = field(default=None, repr=False, compare=False)

    @property
    def n_embedded(self) -> int:
        return self.n_rows - self.n_null

    @property
    def model_loads(self) -> int:
        """Model loads in Python workers so far: 0 until an action runs; then about one per
        worker process (a worker that Spark restarts loads again)."""
        return int(self._loads.value) if self._loads is not None else 0

    def describe(self) -> str:
        """One line for logs: rows, nulls, model and settings."""
        return (
            f"{self.n_rows:,} rows of {self.input_col!r}: {self.n_embedded:,} embedded into "
            f"{self.output_col!r}, {self.n_null:,} null (left null) | model: {self.model} | "
            f"pooling: {self.pooling} | normalized: {'yes' if self.normalize else 'no'} | "
            f"max_length: {self.max_length}"
        )


def _check_input_column(df: DataFrame, input_col: str, output_col: str) -> None:
    from pyspark.sql.types import BinaryType, StringType

    if input_col not in df.columns:
        raise ValueError(
            f"The input column {input_col!r} is not in the DataFrame; its columns are "
            f"{df.columns}. Pass input_col= with one of them."
        )
    if output_col in df.columns:
        raise ValueError(
            f"The output column {output_col!r} already exists in the DataFrame. Pass another "
            f"output_col= or drop it first with df.drop({output_col!r})."
        )
    dtype = df.schema[input_col].dataType
    if not isinstance(dtype, StringType):
        if isinstance(dtype, BinaryType):
            fix = (
                f"Decode it first: df.withColumn({input_col!r}, "
                f"F.decode(F.col({input_col!r}), 'utf-8'))."
            )
        else:
            fix = (
                f"Cast it first if its values are meant as text: df.withColumn({input_col!r}, "
                f"F.col({input_col!r}).cast('string'))."
            )
        raise TypeError(
            f"The input column {input_col!r} has type {dtype.simpleString()}, not string, so "
            f"it cannot be embedded. {fix}"
        )


def _prepare(
    df: DataFrame,
    input_col: str,
    output_col: str,
    model: Any,
    preprocessor: Any,
    pooling: str | None,
    normalize: bool,
    batch_size: int | None,
    max_length: int,
    ship: bool,
    debug: bool,
) -> tuple[DataFrame, EmbedReport]:
    """Validate on the driver, ship the model, and build the lazy ``mapInPandas`` plan.

    Returns the DataFrame and a report whose counts are not filled in (-1).
    """
    from pyspark.sql.types import ArrayType, FloatType, IntegerType, LongType, StructField

    from ._ship import model_spec

    _check_input_column(df, input_col, output_col)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, OWNER, low=1)
    max_length = check_int("max_length", max_length, OWNER, low=2, high=MAX_LENGTH_LIMIT)
    if not isinstance(normalize, bool):
        raise TypeError(
            f"The 'normalize' parameter of {OWNER} must be a bool. Got {normalize!r} instead."
        )
    spec = model_spec(model, preprocessor)
    pooling = check_choice("pooling", pooling or spec.default_pooling, POOLINGS, OWNER)

    spark = df.sparkSession
    # Fail here, clearly, if the workers' Python cannot run the job (once per SparkContext).
    check_executors(spark.sparkContext, EMBED_MODULES)
    shipped = ship_model(spark.sparkContext, spec, ship=ship)
    loads = spark.sparkContext.accumulator(0)
    task = EmbedTask(
        encoder=shipped.encoder,
        preprocessor=shipped.preprocessor,
        input_col=input_col,
        output_col=output_col,
        pooling=pooling,
        normalize=normalize,
        batch_size=batch_size,
        max_length=max_length,
        loads=loads,
        debug=debug,
    )
    fields = [*df.schema.fields, StructField(output_col, ArrayType(FloatType(), False), True)]
    if debug:
        fields += [
            StructField("_worker_pid", LongType(), False),
            StructField("_worker_loads", IntegerType(), False),
        ]
    from pyspark.sql.types import StructType

    result = df.mapInPandas(functools.partial(embed_batches, task), StructType(fields))
    metadata = {
        "smallbert_viz": {
            "model": spec.name,
            "encoder": spec.encoder,
            "preprocessor": spec.preprocessor,
            "pooling": pooling,
            "normalize": normalize,
            "max_length": max_length,
        }
    }
    result = result.withMetadata(output_col, metadata)
    report = EmbedReport(
        -1, -1, input_col, output_col, spec.name, pooling, normalize, max_length, loads
    )
    return result, report


def embed(
    df: DataFrame,
    input_col: str = "text",
    output_col: str = "embedding",
    *,
    model: Any = None,
    preprocessor: Any = None,
    pooling: str | None = None,
    normalize: bool = False,
    batch_size: int | None = None,
    max_length: int = 128,
    ship: bool = True,
) -> DataFrame:
    """Add a column of sentence embeddings to ``df`` (lazy, computed by Spark's Python workers).

    Before building the plan, one tiny Spark job checks (once per SparkContext) that the
    executors' Python can import smallbert_viz, TensorFlow and pyarrow; if not, it raises
    :class:`~smallbert_viz.spark.ExecutorEnvironmentError` naming the executors' and the driver's
    interpreters and the fix, instead of a failing job's Java stack trace.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Any DataFrame with a string column ``input_col``; all its columns are kept.
    input_col : str
        The text column. Null texts give null embeddings. A non-string column raises
        ``TypeError`` naming its type and the cast that fixes it.
    output_col : str
        Name of the new ``array<float>`` column (must not exist yet). Its column metadata
        records the model and settings (it survives a Parquet round trip).
    model : str, path or BertModel, optional
        As for :func:`smallbert_viz.load_model`, or an already loaded ``BertModel`` (only its
        locations are used; the object itself is never sent to the executors).
    preprocessor : str or path, optional
    pooling : {"cls", "pooled", "mean"}, optional
        Default: the model's own.
    normalize : bool
        Unit-length vectors.
    batch_size : int, optional
        Sentences per encoder call inside a worker (default 64).
    max_length : int
        Wordpieces per text including [CLS] and [SEP] (at most 512).
    ship : bool
        True (default): resolve the model to local folders on the driver and ship them to
        the executors as one archive (``SparkContext.addArchive``). False: use the model's
        paths or handles as they are; every node must be able to read them.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df``'s columns plus ``output_col`` (``array<float>`` of length hidden_size, null
        where the text is null). Equal to ``model.embed`` on the same texts within float32
        rounding (batches are packed differently).
    """
    result, _ = _prepare(
        df,
        input_col,
        output_col,
        model,
        preprocessor,
        pooling,
        normalize,
        batch_size,
        max_length,
        ship,
        False,
    )
    return result


def count_nulls(df: DataFrame, column: str) -> tuple[int, int]:
    """``(rows, null values of column)`` in one aggregation job (exact, on the input)."""
    from pyspark.sql import functions as F

    row = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.col(column).isNull().cast("long")).alias("nulls"),
    ).first()
    return int(row["rows"]), int(row["nulls"] or 0)


def embed_with_report(
    df: DataFrame,
    input_col: str = "text",
    output_col: str = "embedding",
    *,
    model: Any = None,
    preprocessor: Any = None,
    pooling: str | None = None,
    normalize: bool = False,
    batch_size: int | None = None,
    max_length: int = 128,
    ship: bool = True,
    progress: bool | None = None,
) -> tuple[DataFrame, EmbedReport]:
    """:func:`embed`, plus an :class:`EmbedReport` with the row and null counts.

    The counts come from one aggregation over ``df[input_col]`` that runs now, on the driver's
    request (one cheap job); the embeddings themselves stay lazy. The report is also logged
    (``logging`` at INFO, WARNING when some texts are null). ``progress`` (None or True: shown)
    prints a stage line before and after the counting job.

    Returns
    -------
    (DataFrame, EmbedReport)
    """
    from dataclasses import replace

    result, report = _prepare(
        df,
        input_col,
        output_col,
        model,
        preprocessor,
        pooling,
        normalize,
        batch_size,
        max_length,
        ship,
        False,
    )
    job = f"counting rows and null texts of {input_col!r} (Spark job)"
    with stage_line(job, show=progress is not False):
        n_rows, n_null = count_nulls(df, input_col)
    report = replace(report, n_rows=n_rows, n_null=n_null)
    log.log(logging.WARNING if n_null else logging.INFO, report.describe())
    return result, report
