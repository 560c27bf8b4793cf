"""Benchmark: ``embed_to_disk`` (streamed, chunked, resumable) vs embedding all in memory.

Baseline: what one would write without it: ``read_corpus(file).texts`` (every text in memory),
``model.embed(texts)`` (every vector in memory), ``np.save``. Both read the same .txt file and
run the L-8_H-128_A-2 stand-in (real file format and size, random weights) in a fresh process
each, with the on-disk embedding cache off. The corpus is synthetic for scale: the real
sentences of ``benchmarks/data/sentences.txt`` cycled, each with a counter suffix
(" [#12345]") so every text is unique. Printed per size: sentences/s, peak RSS of the process
(``ru_maxrss``) and its growth over the RSS after the model is loaded and warmed up, with the
ratios; and whether both outputs are bit-identical (they are when the chunk size equals
``embed``'s own chunk of 4,096 texts). Run at two sizes to see that streamed memory stays flat.

    python benchmarks/bench_embed_to_disk.py [--n 100000] [--sizes 25000 100000] [--paths stream]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(args: argparse.Namespace) -> None:
    from smallbert_viz import load_model

    model = load_model(args.encoder, preprocessor=args.preprocessor)
    model.embed(["warm up the model"] * 64, progress=False, cache=False)
    base = _rss_mb()
    base_peak = _peak_mb()
    t0 = time.perf_counter()
    if args.path == "stream":
        from smallbert_viz.embed_to_disk import embed_to_disk

        result = embed_to_disk(args.input, args.out, model=model, progress=False)
        n = result.n_texts
    else:
        from smallbert_viz.corpus import read_corpus

        texts = read_corpus(args.input).texts
        vectors = model.embed(texts, progress=False, cache=False)
        np.save(args.out, vectors)
        n = len(texts)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {"n": n, "seconds": seconds, "base": base, "base_peak": base_peak, "peak": _peak_mb()}
        )
    )


def make_corpus(path: Path, n: int) -> None:
    sentences = SENTENCES.read_text(encoding="utf8").splitlines()
    with open(path, "w", encoding="utf8") as fh:
        for i in range(n):
            fh.write(f"{sentences[i % len(sentences)]} [#{i}]\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="the larger size")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=None, help="sizes to run (default n/4 and n)"
    )
    parser.add_argument(
        "--paths", nargs="+", choices=["memory", "stream"], default=["memory", "stream"],
        help="which paths to run (stream alone: the RSS at sizes where the baseline is slow)",
    )  # fmt: skip
    parser.add_argument("--child", dest="path", choices=["stream", "memory"])
    parser.add_argument("--encoder")
    parser.add_argument("--preprocessor")
    parser.add_argument("--input")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.path:
        return child(args)

    from smallbert_viz.models.standin import build_standin

    sizes = args.sizes or [max(args.n // 4, 1), args.n]
    load = os.getloadavg()
    print(
        f"synthetic corpus: benchmarks/data/sentences.txt cycled with a counter suffix; "
        f"L-8_H-128_A-2 stand-in, cls pooling, {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} at start (timings on a shared machine are noisy)"
    )
    print(
        f"{'N':>9} {'path':<8}{'sent/s':>8}{'peak RSS MB':>13}{'growth MB':>11}"
        f"{'speed ratio':>13}{'peak ratio':>12}{'growth ratio':>14}  identical"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        encoder, pre = build_standin(tmp / "standin", 8, 128, 2, seed=0)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SMALLBERT_VIZ_EMBED_CACHE": "0"}
        for n in sizes:
            corpus = tmp / f"corpus-{n}.txt"
            make_corpus(corpus, n)
            runs = {}
            for path in args.paths:
                out = tmp / f"{path}-{n}.npy"
                cmd = [
                    sys.executable, __file__, "--child", path, "--encoder", str(encoder),
                    "--preprocessor", str(pre), "--input", str(corpus), "--out", str(out),
                ]  # fmt: skip
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                runs[path] = json.loads(proc.stdout.strip().splitlines()[-1])
                runs[path]["out"] = out
            both = len(runs) == 2
            same = both and np.array_equal(
                np.load(runs["memory"]["out"]), np.load(runs["stream"]["out"])
            )
            for path in args.paths:
                r = runs[path]
                speed = n / r["seconds"]
                growth = r["peak"] - r["base"]
                line = f"{n:>9,} {path:<8}{speed:>8.0f}{r['peak']:>13.0f}{growth:>11.0f}"
                if path == "stream" and both:
                    m = runs["memory"]
                    line += (
                        f"{r['seconds'] and m['seconds'] / r['seconds']:>12.2f}x"
                        f"{r['peak'] / m['peak']:>11.2f}x"
                        f"{growth / max(m['peak'] - m['base'], 1):>13.2f}x  {same}"
                    )
                print(line, flush=True)
            for r in runs.values():
                r["out"].unlink()
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
