"""Benchmark: ``model.embed`` (length-sorted, short packing) vs the canonical TF Hub path.

The canonical path is what the TF Hub documentation shows: ``preprocessor(texts)`` (every text
packed to 128 wordpieces), then ``encoder(...)``, in batches of 32. Both run on an
L-8_H-128_A-2 stand-in (the real file format and size, random weights) over real sentences
(``benchmarks/data/sentences.txt``), each in a fresh Python process so the first ("cold") pass
includes TensorFlow's per-shape set-up, as a user meets it in a new notebook; a second
("warm") pass follows in the same process. Outputs are compared.

    python benchmarks/bench_embed.py [--n 5000] [--pooling cls]
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
    from smallbert_viz.embedding import embed_canonical

    texts = SENTENCES.read_text(encoding="utf8").splitlines()[: args.n]
    model = load_model(args.encoder, preprocessor=args.preprocessor)
    model.embed(["warm up the model load only"], progress=False)
    embed_canonical(model, ["warm up the model load only"])  # both pay model loading equally

    def run():
        if args.path == "fast":
            return model.embed(
                texts, pooling=args.pooling, batch_size=args.batch_size, progress=False
            )
        return embed_canonical(model, texts, pooling=args.pooling, batch_size=32)

    t0 = time.perf_counter()
    out = run()
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    run()
    warm = time.perf_counter() - t0
    np.save(args.out, out)
    print(json.dumps({"cold": cold, "warm": warm, "n": len(texts)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--pooling", default="cls", choices=["cls", "pooled", "mean"])
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per path (median)")
    parser.add_argument("--child", dest="path", choices=["fast", "canonical"])
    parser.add_argument("--encoder")
    parser.add_argument("--preprocessor")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.path:
        return child(args)

    from smallbert_viz.models.standin import build_standin

    with tempfile.TemporaryDirectory() as tmp:
        encoder, pre = build_standin(Path(tmp) / "standin", 8, 128, 2, seed=0)
        runs: dict[str, list[dict]] = {"canonical": [], "fast": []}
        for _ in range(args.repeats):
            for path in ("canonical", "fast"):  # interleaved: load drifts hit both alike
                out = Path(tmp) / f"{path}.npy"
                cmd = [
                    sys.executable,
                    __file__,
                    "--child",
                    path,
                    "--n",
                    str(args.n),
                    "--pooling",
                    args.pooling,
                    "--encoder",
                    str(encoder),
                    "--preprocessor",
                    str(pre),
                    "--out",
                    str(out),
                ]
                if args.batch_size:
                    cmd += ["--batch-size", str(args.batch_size)]
                env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                run["vectors"] = np.load(out)
                runs[path].append(run)
        results = {
            path: {
                "n": items[0]["n"],
                "vectors": items[0]["vectors"],
                "cold": float(np.median([r["cold"] for r in items])),
                "warm": float(np.median([r["warm"] for r in items])),
            }
            for path, items in runs.items()
        }
    n = results["fast"]["n"]
    gap = float(np.abs(results["fast"]["vectors"] - results["canonical"]["vectors"]).max())
    print(
        f"{n} real sentences, L-8_H-128_A-2 stand-in, pooling={args.pooling}, "
        f"{os.cpu_count()} cores"
    )
    print(f"{'pass':<6}{'canonical (sent/s)':>20}{'embed (sent/s)':>17}{'ratio':>8}")
    for phase in ("cold", "warm"):
        c = n / results["canonical"][phase]
        f = n / results["fast"][phase]
        print(f"{phase:<6}{c:>20.0f}{f:>17.0f}{f / c:>7.1f}x")
    print(
        f"max |embed - canonical| = {gap:.2e} ({'equal' if gap <= 1e-5 else 'DIFFERENT'} within 1e-5)"
    )


if __name__ == "__main__":
    main()
