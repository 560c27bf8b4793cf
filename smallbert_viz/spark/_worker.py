"""Code that runs inside Spark's Python workers: per-process caches and the batch functions.

Spark reuses a Python worker for many tasks (``spark.python.worker.reuse``, on by default), so
module-level dictionaries here live for the worker's lifetime: the model is loaded once per
worker process and then serves every task and every job that reaches that process. TensorFlow
and umap are imported here, inside the functions, never on the driver by these paths.
"""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._ship import ModelLocation

# (encoder location, preprocessor location) -> BertModel, for this worker process.
_MODELS: dict[tuple[ModelLocation, ModelLocation], Any] = {}
# fit key (made on the driver) -> fitted umap.UMAP, for this worker process.
_REDUCERS: dict[str, Any] = {}
# How many models this process has loaded (returned in the debug columns).
_LOADS = 0
_THREADS_SET = False


def _task_cpus() -> int:
    from pyspark import TaskContext

    ctx = TaskContext.get()
    try:
        return max(1, int(ctx.cpus())) if ctx is not None else 1
    except Exception:  # noqa: BLE001 - older Spark without TaskContext.cpus()
        return 1


def limit_tensorflow_threads(threads: int) -> None:
    """Give TensorFlow ``threads`` threads (the task's cores), before it starts its runtime.

    Without this every worker would size its thread pools to all the machine's cores, and N
    concurrent tasks would run N x cores threads on N cores.
    """
    global _THREADS_SET
    if _THREADS_SET:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # the runtime was already initialised in this process
        pass
    _THREADS_SET = True


def get_model(encoder: ModelLocation, preprocessor: ModelLocation, loads: Any = None) -> Any:
    """The model for these locations, loaded on the first call in this process."""
    global _LOADS
    key = (encoder, preprocessor)
    model = _MODELS.get(key)
    if model is None:
        limit_tensorflow_threads(_task_cpus())
        from ..models.loader import load_model

        model = load_model(
            encoder.resolve_on_worker(), preprocessor=preprocessor.resolve_on_worker()
        )
        _MODELS[key] = model
        _LOADS += 1
        if loads is not None:
            loads.add(1)
    return model


@dataclass(frozen=True)
class EmbedTask:
    """Everything a worker needs to embed a partition (pickled into each task)."""

    encoder: ModelLocation
    preprocessor: ModelLocation
    input_col: str
    output_col: str
    pooling: str
    normalize: bool
    batch_size: int | None
    max_length: int
    loads: Any = None  # an Accumulator[int] counting model loads, or None
    debug: bool = False


def embed_batches(task: EmbedTask, batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInPandas`` body: append ``task.output_col`` to each pandas batch; null stays null."""
    from ..embedding import embed

    model = None
    for frame in batches:
        texts = frame[task.input_col]
        present = texts.notna().to_numpy()
        vectors = np.empty(len(frame), dtype=object)  # None where the text is null
        if present.any():
            if model is None:
                model = get_model(task.encoder, task.preprocessor, task.loads)
            values = embed(
                model,
                texts[present].tolist(),
                pooling=task.pooling,
                normalize=task.normalize,
                batch_size=task.batch_size,
                max_length=task.max_length,
                progress=False,
            )
            for row, vector in zip(np.flatnonzero(present), values):
                vectors[row] = vector
        frame = frame.copy()
        frame[task.output_col] = vectors
        if task.debug:
            frame["_worker_pid"] = os.getpid()
            frame["_worker_loads"] = _LOADS
        yield frame


@dataclass(frozen=True)
class ProjectTask:
    """Everything a worker needs to place a partition's points with the fitted UMAP."""

    reducer: Any  # Broadcast[bytes]: the pickled, fitted umap.UMAP
    key: str  # unique per fit: the worker cache key
    embedding_col: str
    x_col: str
    y_col: str


def _reducer(broadcast: Any, key: str) -> Any:
    reducer = _REDUCERS.get(key)
    if reducer is None:
        # Numba sizes its thread pool on first import: keep it to the task's cores.
        os.environ.setdefault("NUMBA_NUM_THREADS", str(_task_cpus()))
        import umap  # noqa: F401  (the unpickled object needs its classes)

        reducer = pickle.loads(broadcast.value)
        _REDUCERS[key] = reducer
    return reducer


def project_batches(task: ProjectTask, batches: Iterator[Any]) -> Iterator[Any]:
    """``mapInPandas`` body: append x/y from ``reducer.transform``; null embedding -> null x/y."""
    import pandas as pd

    reducer = None
    for frame in batches:
        column = frame[task.embedding_col]
        present = column.notna().to_numpy()
        x = np.full(len(frame), np.nan)
        y = np.full(len(frame), np.nan)
        if present.any():
            if reducer is None:
                reducer = _reducer(task.reducer, task.key)
            matrix = np.stack([np.asarray(v, dtype=np.float32) for v in column[present]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                coords = reducer.transform(matrix)
            x[present] = coords[:, 0]
            y[present] = coords[:, 1]
        frame = frame.copy()
        # A masked (nullable) array: Arrow writes null there; a plain NaN would stay NaN.
        frame[task.x_col] = pd.arrays.FloatingArray(x, mask=~present)
        frame[task.y_col] = pd.arrays.FloatingArray(y, mask=~present)
        yield frame
