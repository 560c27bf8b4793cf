"""2-D UMAP coordinates for every row of a large DataFrame: fit on a sample, place the rest.

``project`` draws a uniform random sample of ``sample_size`` embeddings (one top-k job: each
partition keeps its ``sample_size`` rows with the smallest random keys), fits ``umap.UMAP`` on
it on the driver, broadcasts the pickled fitted model, and places every row with the model's
``transform`` inside ``mapInPandas``, one Arrow batch at a time.

Trade-off. This is an approximation of UMAP on all rows:

- the layout is the sample's; ``transform`` puts each other point near the sample points that
  are its nearest neighbours (it does not move the sample's layout), so structure that the
  sample does not contain (a cluster smaller than about ``N / sample_size`` rows) is not given
  room of its own, it lands on or between its nearest sampled neighbours;
- the neighbours ``transform`` uses come from the sample's approximate (NN-descent) index;
- sample rows are transformed too, so they land near (not exactly at) their fitted positions.

Cost. The fit is O(sample_size) on the driver (about a minute for 20,000 points, dominated by
NN-descent and Numba compilation); the broadcast is the pickled model (the sample, its graph
and the search index: tens of MB for 10,000 x 384); each worker unpickles it once and then
places rows in time linear in the rows (a neighbour query and a few optimisation epochs per
point), so the rest scales with the cluster. If ``df`` is an unmaterialised ``embed`` result,
the embeddings are computed twice (once for the sample, once for the placement): persist or
write them first.
"""

from __future__ import annotations

import functools
import pickle
import uuid
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .._validation import check_choice, check_float, check_int
from ..progress import stage_line
from ._check import PROJECT_MODULES, check_executors
from ._worker import ProjectTask, project_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

OWNER = "smallbert_viz.spark.project"
METRICS = ("cosine", "euclidean")


def _check_embedding_column(df: DataFrame, embedding_col: str, x_col: str, y_col: str) -> None:
    from pyspark.sql.types import ArrayType, DoubleType, FloatType

    if embedding_col not in df.columns:
        raise ValueError(
            f"The embedding column {embedding_col!r} is not in the DataFrame; its columns are "
            f"{df.columns}. Pass embedding_col= with one of them."
        )
    dtype = df.schema[embedding_col].dataType
    if not (isinstance(dtype, ArrayType) and isinstance(dtype.elementType, FloatType | DoubleType)):
        raise TypeError(
            f"The embedding column {embedding_col!r} has type {dtype.simpleString()}; "
            "project needs array<float> or array<double> (the output of "
            "smallbert_viz.spark.embed)."
        )
    for name in (x_col, y_col):
        if name in df.columns:
            raise ValueError(
                f"The column {name!r} already exists in the DataFrame. Pass other x_col=/"
                f"y_col= names or drop it first with df.drop({name!r})."
            )


def sample_embeddings(
    df: DataFrame, embedding_col: str, sample_size: int, seed: int | None
) -> np.ndarray:
    """A uniform random sample of at most ``sample_size`` non-null embeddings, float32 [n, H]."""
    from pyspark.sql import functions as F

    rows = (
        df.where(F.col(embedding_col).isNotNull())
        .select(embedding_col)
        .orderBy(F.rand(seed))
        .limit(sample_size)
        .collect()
    )
    if not rows:
        return np.zeros((0, 0), np.float32)
    lengths = {len(r[0]) for r in rows}
    if len(lengths) != 1:
        raise ValueError(
            f"The embedding column {embedding_col!r} holds vectors of different lengths "
            f"{sorted(lengths)[:5]}; project needs one length (one model and pooling)."
        )
    return np.asarray([r[0] for r in rows], dtype=np.float32)


def fit_umap(
    sample: np.ndarray, *, n_neighbors: int, min_dist: float, metric: str, seed: int | None
):
    """Fit ``umap.UMAP`` (2-D) on ``sample`` [n, H] so that ``transform`` works later."""
    import umap

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(n_neighbors, len(sample) - 1),
        min_dist=min_dist,
        metric=metric,
        random_state=seed,
        n_jobs=1 if seed is not None else -1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value.*overridden.*")
        reducer.fit(sample)
    return reducer


def project(
    df: DataFrame,
    embedding_col: str = "embedding",
    *,
    sample_size: int = 10_000,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: str = "cosine",
    seed: int | None = 42,
    x_col: str = "x",
    y_col: str = "y",
    progress: bool | None = None,
) -> DataFrame:
    """Add 2-D UMAP coordinates ``x``, ``y`` to every row (fit on a sample, transform all).

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        With an ``array<float>`` (or ``array<double>``) column ``embedding_col``, such as the
        output of :func:`smallbert_viz.spark.embed`; all its columns are kept.
    embedding_col : str
    sample_size : int
        Rows the UMAP model is fitted on, on the driver (at least 4). All rows when ``df``
        has fewer non-null embeddings.
    n_neighbors : int
        UMAP's neighbourhood size (cut to sample size - 1).
    min_dist : float
    metric : {"cosine", "euclidean"}
    seed : int or None
        Seeds both the sample and UMAP (then single-threaded on the driver). The sample also
        depends on how ``df`` is partitioned. None: parallel and not reproducible.
    x_col, y_col : str
        Names of the new ``double`` columns; null where the embedding is null.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df``'s columns plus ``x_col`` and ``y_col``. Lazy: the placement runs when an
        action runs (the sample and the fit have already run, on the driver).

    Notes
    -----
    First checks (once per SparkContext) that the executors' Python can import smallbert_viz,
    pyarrow and umap; raises :class:`~smallbert_viz.spark.ExecutorEnvironmentError` if not.
    ``progress`` (None or True: shown) prints a stage line before and after the sampling job
    and the UMAP fit.
    """
    from pyspark.sql.types import DoubleType, StructField, StructType

    sample_size = check_int("sample_size", sample_size, OWNER, low=4)
    n_neighbors = check_int("n_neighbors", n_neighbors, OWNER, low=2)
    min_dist = check_float("min_dist", min_dist, OWNER, low=0.0)
    metric = check_choice("metric", metric, METRICS, OWNER)
    if seed is not None:
        seed = check_int("seed", seed, OWNER, low=0, high=2**31 - 1)
    _check_embedding_column(df, embedding_col, x_col, y_col)
    check_executors(df.sparkSession.sparkContext, PROJECT_MODULES)
    show = progress is not False

    with stage_line(f"sampling up to {sample_size:,} embeddings (Spark job)", show=show):
        sample = sample_embeddings(df, embedding_col, sample_size, seed)
    if len(sample) < 4:
        raise ValueError(
            f"The embedding column {embedding_col!r} has {len(sample)} non-null rows; UMAP "
            "needs at least 4."
        )
    with stage_line(f"projecting {len(sample):,} sampled points with UMAP", show=show):
        reducer = fit_umap(
            sample, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric, seed=seed
        )
    payload = df.sparkSession.sparkContext.broadcast(pickle.dumps(reducer, protocol=5))
    task = ProjectTask(payload, uuid.uuid4().hex, embedding_col, x_col, y_col)
    schema = StructType(
        [
            *df.schema.fields,
            StructField(x_col, DoubleType(), True),
            StructField(y_col, DoubleType(), True),
        ]
    )
    return df.mapInPandas(functools.partial(project_batches, task), schema)
