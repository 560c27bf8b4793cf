"""run_embed_spark: a Parquet (and CSV) file in, a Parquet folder of embeddings out, in order."""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.spark import run_embed_spark

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


def test_parquet_in_parquet_out(spark, tmp_path, standin_dirs, standin_model, texts, capsys):
    import pandas as pd

    encoder, pre = standin_dirs
    sentences = [None if i == 5 else t for i, t in enumerate(texts[:40])]
    source = tmp_path / "big.parquet"
    pd.DataFrame({"id": np.arange(40), "text": sentences}).to_parquet(source)  # one partition
    out = tmp_path / "out.parquet"
    report = run_embed_spark(source, "text", out, "local[2]", str(encoder), preprocessor=str(pre))
    assert (report.n_rows, report.n_null) == (40, 1)
    printed = capsys.readouterr()
    assert "-> " + str(out) in printed.out
    # A stage line before and after each Spark job, on stderr (stdout keeps the summary).
    assert "counting rows and null texts of 'text' (Spark job) ..." in printed.err
    assert f"embedding 39 texts with {report.model} into {out} (Spark job): done in" in printed.err

    result = pd.read_parquet(out)  # read back without Spark
    assert list(result.columns) == ["id", "text", "embedding"]
    assert result["id"].tolist() == list(range(40))  # the input's row order survives
    assert result["embedding"][5] is None
    kept = [i for i in range(40) if i != 5]
    got = np.stack([np.asarray(result["embedding"][i], np.float32) for i in kept])
    expected = standin_model.embed([sentences[i] for i in kept])
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    # The Spark schema and the provenance metadata survive the Parquet round trip.
    back = spark.read.parquet(str(out))
    assert back.schema["embedding"].dataType.simpleString() == "array<float>"
    assert back.schema["embedding"].metadata["smallbert_viz"]["pooling"] == "cls"


def test_csv_and_bad_inputs(spark, tmp_path, standin_dirs, standin_model):
    import pandas as pd

    encoder, pre = standin_dirs
    source = tmp_path / "t.csv"
    source.write_text('id,sentence\n1,"Hello, world"\n2,"A ""quoted"" one"\n', encoding="utf8")
    out = tmp_path / "csv_out"
    run_embed_spark(source, "sentence", out, "local[2]", str(encoder), preprocessor=str(pre))
    result = pd.read_parquet(out)
    assert result["sentence"].tolist() == ["Hello, world", 'A "quoted" one']
    np.testing.assert_allclose(
        np.stack(result["embedding"].to_numpy()).astype(np.float32),
        standin_model.embed(["Hello, world", 'A "quoted" one']),
        atol=1e-5,
    )
    with pytest.raises(FileNotFoundError, match="No such file"):
        run_embed_spark(tmp_path / "none.parquet", "text", out, "local[2]", str(encoder))
    (tmp_path / "t.txt").write_text("a\n", encoding="utf8")
    with pytest.raises(ValueError, match="without --spark"):
        run_embed_spark(tmp_path / "t.txt", "text", out, "local[2]", str(encoder))
    with pytest.raises(ValueError, match="'text' is not in the DataFrame"):
        run_embed_spark(source, None, out, "local[2]", str(encoder), preprocessor=str(pre))
