"""Benchmark: ``load_model(precision="bfloat16")`` vs the default float32, speed and closeness.

The bf16 mode (TensorFlow's oneDNN ``TF_SET_ONEDNN_FPMATH_MODE=BF16``) is process-wide and fixed
at TensorFlow's first oneDNN operation, so every measurement runs in its own fresh Python
process: one per model, precision and repeat, float32 and bfloat16 interleaved so that load
drifts hit both alike. Each process loads the model, warms it up on a few sentences (TensorFlow's
per-shape set-up), then embeds the first ``--n`` real sentences of
``benchmarks/data/sentences.txt`` with the on-disk embedding cache off, and reports sentences/s.
The parent compares the vectors: the minimum (and median) cosine of each bfloat16 vector to its
float32 twin.

Models: the L-8_H-128_A-2 stand-in (random weights, built here in a child process) and the
pretrained all-MiniLM-L6-v2 (``load_model("all-MiniLM-L6-v2")``, offline). It also prints what
decides whether the mode can gain anything: the CPU's bf16 flags and whether TensorFlow's oneDNN
operations are on (on Linux they are on by default only on CPUs with AVX512-VNNI/BF16, AVX-VNNI or
AMX). On a CPU without bf16 units the speed-up is expected to be 1.0 within noise.

    python benchmarks/bench_precision.py [--n 2000] [--repeats 2] [--models standin minilm]
        [--force-onednn]

``--force-onednn`` sets ``TF_ENABLE_ONEDNN_OPTS=1`` in every child (float32 and bfloat16 alike),
to see what the mode does where TensorFlow would leave oneDNN off.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"
WARM_UP = ["warm up one", "a second, slightly longer sentence to warm up the model"]


def child(args: argparse.Namespace) -> None:
    """One fresh process: load in ``args.precision``, warm up, time the embedding, save it."""
    from smallbert_viz import load_model

    texts = SENTENCES.read_text(encoding="utf8").splitlines()[: args.n]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.encoder == "all-MiniLM-L6-v2":
            model = load_model(args.encoder, precision=args.child)
        else:
            model = load_model(args.encoder, preprocessor=args.preprocessor, precision=args.child)
    model.embed(WARM_UP, progress=False, cache=False)
    t0 = time.perf_counter()
    vectors = model.embed(texts, progress=False, cache=False)
    seconds = time.perf_counter() - t0
    np.save(args.out, vectors)
    from smallbert_viz.models.precision import onednn_enabled

    print(
        json.dumps(
            {
                "seconds": seconds,
                "n": len(texts),
                "label": model.info.precision,
                "onednn": onednn_enabled(),
                "fpmath_env": os.environ.get("TF_SET_ONEDNN_FPMATH_MODE"),
                "warnings": [str(w.message) for w in caught if w.category is UserWarning],
            }
        )
    )


def build_standin_in_child(folder: Path) -> tuple[str, str]:
    """The stand-in, written by a child process (the parent never runs TensorFlow)."""
    code = (
        "import sys; from smallbert_viz.models.standin import build_standin; "
        "e, p = build_standin(sys.argv[1], 8, 128, 2, seed=0); print(e); print(p)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder)], check=True, capture_output=True, text=True
    )
    encoder, pre = out.stdout.strip().splitlines()[-2:]
    return encoder, pre


def run_child(
    model: tuple[str, str], precision: str, n: int, out: Path, force_onednn: bool = False
) -> dict:
    encoder, pre = model
    cmd = [sys.executable, __file__, "--child", precision, "--encoder", encoder, "--n", str(n)]
    cmd += ["--out", str(out)] + (["--preprocessor", pre] if pre else [])
    env = {**os.environ, "SMALLBERT_VIZ_EMBED_CACHE": "0"}
    env.pop("TF_SET_ONEDNN_FPMATH_MODE", None)  # float32 runs must be float32
    if force_onednn:
        env["TF_ENABLE_ONEDNN_OPTS"] = "1"
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return (a64 * b64).sum(1) / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="sentences embedded per run")
    parser.add_argument("--repeats", type=int, default=2, help="fresh processes per precision")
    parser.add_argument(
        "--models", nargs="+", default=["standin", "minilm"], choices=["standin", "minilm"]
    )
    parser.add_argument(
        "--force-onednn", action="store_true", help="TF_ENABLE_ONEDNN_OPTS=1 in every child"
    )
    parser.add_argument("--child", choices=["float32", "bfloat16"])
    parser.add_argument("--encoder")
    parser.add_argument("--preprocessor")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        return child(args)

    from smallbert_viz.models.precision import BF16_CPU_FLAGS, cpu_bf16_units

    units = cpu_bf16_units()
    print(f"CPU bf16 units: {', '.join(units) if units else 'none'} (looked for {BF16_CPU_FLAGS})")
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 shared cores: timings are noisy)")
    if args.force_onednn:
        print("TF_ENABLE_ONEDNN_OPTS=1 in every child (float32 and bfloat16)")
    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        if "standin" in args.models:
            models["L-8_H-128_A-2 stand-in"] = build_standin_in_child(Path(tmp) / "standin")
        if "minilm" in args.models:
            models["all-MiniLM-L6-v2"] = ("all-MiniLM-L6-v2", "")
        for name, model in models.items():
            rates: dict[str, list[float]] = {"float32": [], "bfloat16": []}
            vectors: dict[str, np.ndarray] = {}
            info: dict[str, dict] = {}
            for r in range(args.repeats):
                for precision in ("float32", "bfloat16"):
                    out = Path(tmp) / f"{precision}-{r}.npy"
                    got = run_child(model, precision, args.n, out, args.force_onednn)
                    rates[precision].append(got["n"] / got["seconds"])
                    vectors.setdefault(precision, np.load(out))
                    info[precision] = got
            cos = cosines(vectors["float32"], vectors["bfloat16"])
            fp32, bf16 = np.median(rates["float32"]), np.median(rates["bfloat16"])
            bf = info["bfloat16"]
            print(f"\n{name}: {args.n} sentences, median of {args.repeats} fresh processes each")
            print(f"  float32 : {fp32:8.1f} sentences/s  (runs: {_fmt(rates['float32'])})")
            print(f"  bfloat16: {bf16:8.1f} sentences/s  (runs: {_fmt(rates['bfloat16'])})")
            print(f"  speed-up bfloat16/float32: {bf16 / fp32:.2f}x")
            print(
                f"  cosine bfloat16 vs float32: min {cos.min():.6f}, median {np.median(cos):.6f}"
                f" (identical vectors: {np.array_equal(vectors['float32'], vectors['bfloat16'])})"
            )
            print(
                f"  bf16 process: oneDNN on={bf['onednn']}, "
                f"TF_SET_ONEDNN_FPMATH_MODE={bf['fpmath_env']}, provenance: {bf['label']!r}"
            )
            for w in bf["warnings"]:
                print(f"  warning: {w}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
