"""Benchmark: ``embed`` with the on-disk embedding cache, cold vs warm, each in a fresh process.

A user re-running a notebook: a fresh process loads the model and embeds 10,000 real sentences
(``benchmarks/data/sentences.txt``) into an empty cache ("cold": embedding plus writing the cache;
also timed without the cache, the baseline); a second fresh process loads the model and embeds
the same sentences again ("warm": the first call also fingerprints the weights, counted). The
vectors must be identical. The cache lives in a temporary folder.

    python benchmarks/bench_cache.py [--n 10000] [--model all-MiniLM-L6-v2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"


def child(args: argparse.Namespace) -> None:
    from smallbert_viz import load_model
    from smallbert_viz.embedding import embed

    texts = SENTENCES.read_text(encoding="utf8").splitlines()[: args.n]
    model = load_model(args.model)
    embed(model, ["warm up the model load only"], progress=False, cache=False)
    result = {}
    if args.mode == "cold":
        t0 = time.perf_counter()
        embed(model, texts, progress=False, cache=False)
        result["no_cache"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = embed(model, texts, progress=False)
    result[args.mode] = time.perf_counter() - t0
    np.save(args.out, out)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--mode", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        child(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        env = {**os.environ, "SMALLBERT_VIZ_CACHE_DIR": str(Path(tmp) / "cache")}
        models = os.environ.get("SMALLBERT_VIZ_CACHE_DIR")
        if models:  # reuse converted models, but keep embeddings in the temporary cache
            Path(tmp, "cache").mkdir()
            os.symlink(Path(models) / "models", Path(tmp) / "cache" / "models")
        env.pop("SMALLBERT_VIZ_EMBED_CACHE", None)
        timings = {}
        for mode in ("cold", "warm"):
            out = Path(tmp) / f"{mode}.npy"
            cmd = [sys.executable, __file__, "--n", str(args.n), "--model", args.model,
                   "--mode", mode, "--out", str(out)]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            timings.update(json.loads(done.stdout.strip().splitlines()[-1]))
        cold, warm = np.load(Path(tmp) / "cold.npy"), np.load(Path(tmp) / "warm.npy")
    print(f"{args.n} sentences, {args.model}, each pass in a fresh process with the model loaded")
    print(f"  no cache:          {timings['no_cache']:8.2f} s")
    print(f"  cold (cache fill): {timings['cold']:8.2f} s")
    print(f"  warm (all hits):   {timings['warm']:8.2f} s")
    print(f"  cold / warm = {timings['cold'] / timings['warm']:.1f}x, "
          f"no cache / warm = {timings['no_cache'] / timings['warm']:.1f}x, "
          f"cache overhead when cold = {timings['cold'] / timings['no_cache']:.2f}x")
    print(f"  identical vectors: {bool(np.array_equal(cold, warm))}")


if __name__ == "__main__":
    main()
