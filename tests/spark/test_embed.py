"""smallbert_viz.spark.embed against model.embed on the same texts, in a real local[2] Spark."""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.spark import embed, embed_with_report
from smallbert_viz.spark._embed import _prepare

from .conftest import rows_by_id

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def _frame(spark, texts, partitions=3):
    import pandas as pd

    pdf = pd.DataFrame({"id": np.arange(len(texts), dtype=np.int64), "text": texts})
    return spark.createDataFrame(pdf, "id long, text string").repartition(partitions)


def _matrix(values: dict, ids) -> np.ndarray:
    return np.asarray([values[i] for i in ids], dtype=np.float32)


@pytest.mark.parametrize(("pooling", "normalize"), [("cls", False), ("mean", True)])
def test_vectors_equal_model_embed(spark, standin_dirs, standin_model, texts, pooling, normalize):
    encoder, pre = standin_dirs
    df = _frame(spark, texts)
    out = embed(
        df, "text", model=str(encoder), preprocessor=str(pre), pooling=pooling, normalize=normalize
    )
    got = rows_by_id(out, "embedding")
    expected = standin_model.embed(texts, pooling=pooling, normalize=normalize)
    assert sorted(got) == list(range(len(texts)))
    np.testing.assert_allclose(_matrix(got, range(len(texts))), expected, atol=1e-5, rtol=0)


def test_schema_is_array_of_float_with_provenance_metadata(spark, standin_dirs):
    from pyspark.sql.types import ArrayType, FloatType

    encoder, pre = standin_dirs
    out = embed(_frame(spark, ["a b c"]), model=str(encoder), preprocessor=str(pre))
    field = out.schema["embedding"]
    assert field.dataType == ArrayType(FloatType(), containsNull=False)
    assert out.columns == ["id", "text", "embedding"]
    meta = field.metadata["smallbert_viz"]
    assert meta["pooling"] == "cls" and meta["max_length"] == 128 and not meta["normalize"]
    assert meta["encoder"] == str(encoder)
    assert len(out.first()["embedding"]) == 128


def test_nulls_pass_through_and_are_counted(spark, standin_dirs, standin_model, texts):
    encoder, pre = standin_dirs
    sample = texts[:30]
    with_nulls = [None if i % 7 == 3 else t for i, t in enumerate(sample)]
    # A partition of nulls only must not fail either (and never needs the model).
    with_nulls += [None] * 5
    df = _frame(spark, with_nulls, partitions=4)
    out, report = embed_with_report(df, model=str(encoder), preprocessor=str(pre))
    n_null = sum(t is None for t in with_nulls)
    assert (report.n_rows, report.n_null, report.n_embedded) == (
        len(with_nulls),
        n_null,
        len(with_nulls) - n_null,
    )
    assert f"{n_null:,} null" in report.describe()
    got = rows_by_id(out, "embedding")
    null_ids = [i for i, t in enumerate(with_nulls) if t is None]
    kept = [i for i, t in enumerate(with_nulls) if t is not None]
    assert all(got[i] is None for i in null_ids)
    expected = standin_model.embed([with_nulls[i] for i in kept])
    np.testing.assert_allclose(_matrix(got, kept), expected, atol=1e-5, rtol=0)


def test_null_count_does_not_depend_on_evaluation(spark, standin_dirs):
    # The count comes from the input, before (and whether or not) the embeddings run.
    encoder, pre = standin_dirs
    df = _frame(spark, ["x", None, None, "y"])
    out, report = embed_with_report(df, model=str(encoder), preprocessor=str(pre))
    assert report.n_null == 2 and report.n_rows == 4
    assert out.where("embedding IS NULL").count() == 2


def test_non_string_column_is_refused_with_the_fix(spark, standin_dirs):
    encoder, pre = standin_dirs
    df = spark.createDataFrame([(1, 10), (2, None)], "id long, n int")
    with pytest.raises(TypeError) as info:
        embed(df, "n", model=str(encoder), preprocessor=str(pre))
    message = str(info.value)
    assert "'n'" in message and "type int" in message and "cast('string')" in message
    # The cast it suggests works, and its null stays null.
    from pyspark.sql import functions as F

    fixed = embed(
        df.withColumn("n", F.col("n").cast("string")),
        "n",
        model=str(encoder),
        preprocessor=str(pre),
    )
    got = rows_by_id(fixed, "embedding")
    assert got[2] is None and len(got[1]) == 128

    binary = spark.createDataFrame([(1, bytearray(b"hi"))], "id long, b binary")
    with pytest.raises(TypeError, match=r"type binary.*F\.decode"):
        embed(binary, "b", model=str(encoder), preprocessor=str(pre))


def test_bad_arguments_name_the_value_and_the_fix(spark, standin_dirs):
    encoder, pre = standin_dirs
    df = _frame(spark, ["a"])
    kwargs = {"model": str(encoder), "preprocessor": str(pre)}
    with pytest.raises(ValueError, match=r"'missing' is not in the DataFrame.*\['id', 'text'\]"):
        embed(df, "missing", **kwargs)
    with pytest.raises(ValueError, match="already exists"):
        embed(df, "text", "id", **kwargs)
    with pytest.raises(ValueError, match="'pooling' parameter .* Got 'max'"):
        embed(df, pooling="max", **kwargs)
    with pytest.raises(ValueError, match="'max_length' parameter"):
        embed(df, max_length=1000, **kwargs)
    from smallbert_viz.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="does not exist"):
        embed(df, model="/no/such/encoder", preprocessor=str(pre))


def test_model_loaded_once_per_worker(spark, standin_factory):
    # A model no other test uses, so that every load counted here belongs to this test.
    encoder, pre = standin_factory(2, 128, 2, seed=7)
    df = _frame(spark, [f"sentence {i} of the load test" for i in range(120)], partitions=6)
    out, report = _prepare(
        df, "text", "embedding", str(encoder), str(pre), None, False, None, 128, True, True
    )
    first = out.select("_worker_pid", "_worker_loads").collect()
    second = out.select("_worker_pid", "_worker_loads").collect()  # a second job, same workers
    pids = {r["_worker_pid"] for r in first + second}
    # 6 tasks per job ran in at most 2 Python workers (local[2]) ...
    assert 1 <= len(pids) <= 2 < 6
    # ... each worker loaded the model once: the accumulator counts one load per process, and
    # the per-process load counter never moved while that process served the 12 tasks.
    assert report.model_loads == len(pids)
    for pid in pids:
        assert len({r["_worker_loads"] for r in first + second if r["_worker_pid"] == pid}) == 1


def test_shared_path_without_shipping(spark, standin_dirs, standin_model):
    encoder, pre = standin_dirs
    texts = ["a path every node can read", "no archive is shipped"]
    out = embed(_frame(spark, texts, 2), model=str(encoder), preprocessor=str(pre), ship=False)
    got = rows_by_id(out, "embedding")
    np.testing.assert_allclose(_matrix(got, [0, 1]), standin_model.embed(texts), atol=1e-5)


def test_tfhub_handle_is_shipped_from_the_driver_cache(
    spark, standin_dirs, standin_model, monkeypatch, tmp_path
):
    # The default handle, served offline from the TF Hub cache as tensorflow_hub would. A
    # private cache: the stand-in must not pose as the real model in any other test.
    from smallbert_viz.models.handles import TFHUB_ENCODER, TFHUB_PREPROCESSOR
    from smallbert_viz.models.standin import install_in_tfhub_cache

    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub_modules"))
    encoder, pre = standin_dirs
    install_in_tfhub_cache(encoder, TFHUB_ENCODER.format(name="L-8_H-128_A-2"))
    install_in_tfhub_cache(pre, TFHUB_PREPROCESSOR)
    texts = ["the default model", "from the hub cache"]
    out = embed(_frame(spark, texts, 2))  # model=None: the TF Hub small BERT
    got = rows_by_id(out, "embedding")
    assert out.schema["embedding"].metadata["smallbert_viz"]["model"] == "L-8_H-128_A-2"
    np.testing.assert_allclose(_matrix(got, [0, 1]), standin_model.embed(texts), atol=1e-5)


def test_session_sets_the_arrow_batch_size(spark):
    from smallbert_viz.spark._session import ARROW_BATCH_ROWS

    assert spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch") == str(ARROW_BATCH_ROWS)


@pytest.mark.slow
def test_vectors_equal_model_embed_minilm(spark, minilm_model, texts):
    df = _frame(spark, texts[:60], 2)
    out = embed(df, model="all-MiniLM-L6-v2")
    got = rows_by_id(out, "embedding")
    expected = minilm_model.embed(texts[:60])
    assert out.schema["embedding"].metadata["smallbert_viz"]["pooling"] == "mean"
    np.testing.assert_allclose(_matrix(got, range(60)), expected, atol=1e-5, rtol=0)
