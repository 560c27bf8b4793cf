"""Benchmark: ``smallbert_viz.spark.embed`` on local[2] vs single-process ``model.embed``.

Both embed the same N distinct sentences (``benchmarks/data/sentences.txt``, 11,000 lines,
cycled with a " (k)" suffix from the second pass on) with an L-8_H-128_A-2 stand-in (the real
file format and size, random weights), each in a fresh Python process so that both pay their
start-up as a user would:

- single: ``load_model`` + ``model.embed(texts)`` in one process (TensorFlow uses every core);
- spark: ``session('local[2]')``, a DataFrame of the texts, ``embed`` and a Parquet write (the
  action); two Python workers, each loading the model once, one TensorFlow thread each.

The parent samples the resident memory (RSS) of each child's whole process tree (driver, JVM,
Python workers) every 0.2 s and reports the peak. The first 500 vectors of both runs are
compared. Numbers on a shared 2-core machine are noisy.

    python benchmarks/bench_spark.py [--n 100000] [--partitions 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"
COMPARED = 500


def sentences(n: int) -> list[str]:
    base = SENTENCES.read_text(encoding="utf8").splitlines()
    return [
        base[i % len(base)] + ("" if i < len(base) else f" ({i // len(base)})") for i in range(n)
    ]


def child_single(args: argparse.Namespace) -> dict:
    from smallbert_viz import load_model

    texts = sentences(args.n)
    t0 = time.perf_counter()
    model = load_model(args.encoder, preprocessor=args.preprocessor)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = model.embed(texts, progress=False)
    run = time.perf_counter() - t0
    np.save(args.out, vectors[:COMPARED])
    return {"start": 0.0, "load": load, "embed": run, "total": load + run}


def child_spark(args: argparse.Namespace) -> dict:
    import pandas as pd

    from smallbert_viz.spark import embed, session

    texts = sentences(args.n)
    t0 = time.perf_counter()
    spark = session(
        "local[2]",
        app_name="bench_spark",
        conf={"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"},
    )
    spark.sparkContext.setLogLevel("ERROR")
    frame = spark.createDataFrame(
        pd.DataFrame({"id": np.arange(len(texts), dtype=np.int64), "text": texts}),
        "id long, text string",
    ).repartition(args.partitions)
    start = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = embed(frame, model=args.encoder, preprocessor=args.preprocessor)
    target = Path(args.out).with_suffix(".parquet")
    out.write.mode("overwrite").parquet(str(target))
    run = time.perf_counter() - t0
    first = spark.read.parquet(str(target)).where(f"id < {COMPARED}").orderBy("id").toPandas()
    np.save(args.out, np.stack(first["embedding"].to_numpy()).astype(np.float32))
    spark.stop()
    # The model loads happen inside the job, in the workers: they are part of "embed".
    return {"start": start, "load": 0.0, "embed": run, "total": run}


def tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run_child(args: argparse.Namespace, mode: str, encoder: Path, pre: Path, tmp: Path) -> dict:
    out = tmp / f"{mode}.npy"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--n",
        str(args.n),
        "--partitions",
        str(args.partitions),
        "--encoder",
        str(encoder),
        "--preprocessor",
        str(pre),
        "--out",
        str(out),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} child failed with exit code {proc.returncode}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result.update({"wall": wall, "peak_rss_mb": peak / 2**20, "vectors": np.load(out)})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--child", choices=["single", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--encoder", help=argparse.SUPPRESS)
    parser.add_argument("--preprocessor", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = (child_single if args.child == "single" else child_spark)(args)
        print(json.dumps(result))
        return

    from smallbert_viz.models.standin import build_standin

    with tempfile.TemporaryDirectory(prefix="bench_spark-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["SMALLBERT_VIZ_CACHE_DIR"] = str(tmp / "cache")  # archives land here
        encoder, pre = build_standin(tmp / "standin", 8, 128, 2, seed=0)
        print(f"{args.n:,} distinct sentences, L-8_H-128_A-2 stand-in, {os.cpu_count()} cores")
        single = run_child(args, "single", encoder, pre, tmp)
        spark = run_child(args, "spark", encoder, pre, tmp)

    diff = float(np.abs(single["vectors"] - spark["vectors"]).max())
    header = (
        f"{'path':<28}{'start s':>9}{'load s':>8}{'embed s':>9}{'texts/s':>10}"
        f"{'wall s':>8}{'peak RSS MB':>13}"
    )
    print(header)
    print("-" * len(header))
    for name, r in (
        ("single process (embed)", single),
        (f"spark local[2] ({args.partitions} parts)", spark),
    ):
        print(
            f"{name:<28}{r['start']:>9.1f}{r['load']:>8.1f}{r['embed']:>9.1f}"
            f"{args.n / r['embed']:>10.0f}{r['wall']:>8.1f}{r['peak_rss_mb']:>13.0f}"
        )
    print("-" * len(header))
    print(
        f"overhead ratio (spark embed+write, model loads included / single load+embed): "
        f"{spark['total'] / single['total']:.2f}x; throughput ratio (spark / single embed): "
        f"{(args.n / spark['embed']) / (args.n / single['embed']):.2f}x"
    )
    print(
        f"peak memory ratio (spark tree / single process): "
        f"{spark['peak_rss_mb'] / single['peak_rss_mb']:.2f}x"
    )
    print(f"max |spark - single| over the first {COMPARED} vectors: {diff:.2e}")


if __name__ == "__main__":
    main()
