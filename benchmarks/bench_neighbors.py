"""Benchmark: exact vs approximate ``nearest_neighbors`` at corpus scale (time, recall, memory).

Each (size, method) runs in a FRESH Python process, so imports and Numba compilation (for
pynndescent: compiled once, then cached on disk by Numba) are counted as a user meets them, and
the peak RSS of that process is the memory the call needed (the data itself included: N x 128
float32 is 0.5 GB at 1M rows; it is printed apart).

Data (synthetic, for scale): a Gaussian mixture on the unit sphere in ``--dim`` dimensions: 200
centres drawn uniformly on the sphere; each point = its centre + isotropic Gaussian noise of
standard deviation 0.08 x s (s uniform in [0.5, 1.5] per centre), normalised to unit length. It
has the clustered, anisotropic-density shape of sentence embeddings without needing a model.
``--real`` adds a quality check on real sentences: benchmarks/data/sentences.txt embedded with
all-MiniLM-L6-v2 (skipped with a note if the model cannot be loaded).

Approximate search uses faiss (IVF, the preferred library) and, with ``--libraries
faiss,pynndescent``, also the pynndescent fallback, each in its own fresh process. usearch and
faiss's HNSW index were measured once at 200,000 rows and lost on both time and recall (see
benchmarks/README or the README's table); they are not part of this script.

Exact search is run up to ``--exact-max`` rows; beyond, its time is extrapolated from the largest
measured size by its N^2 cost (printed as such) and recall is measured by the approximate run
itself against exact search on 1,000 queries.

    python benchmarks/bench_neighbors.py --quick          # 10k and 50k rows, a few minutes
    nice -n 10 python benchmarks/bench_neighbors.py --sizes 10000,200000,1000000
    nice -n 10 python benchmarks/bench_neighbors.py --sizes 200000 --libraries faiss,pynndescent
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

_T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"


def mixture(n: int, dim: int = 128, clusters: int = 200, seed: int = 0):
    """The synthetic corpus described in the module docstring, made in 100,000-row blocks."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(clusters, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    spread = rng.uniform(0.5, 1.5, clusters).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        lab = rng.integers(0, clusters, m)
        v = centers[lab] + rng.standard_normal((m, dim), dtype=np.float32) * (
            0.08 * spread[lab, None]
        )
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def child(args: argparse.Namespace) -> None:
    import numpy as np

    if args.embeddings:
        x = np.load(args.embeddings)
    else:
        x = mixture(args.n, args.dim)
    data_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from smallbert_viz.analysis import nearest_neighbors

    if args.library:
        from smallbert_viz.analysis import _approximate

        _approximate.LIBRARIES = (args.library,)
    t_import = time.perf_counter()
    nb = nearest_neighbors(x, k=args.k, method=args.child)
    t_end = time.perf_counter()
    if args.out:
        np.save(args.out, nb.indices)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": t_end - t_import,
                "process_s": t_end - _T0,
                "recall": nb.recall,
                "recall_queries": nb.recall_queries,
                "describe": nb.describe(),
                "data_rss_mb": data_rss,
                "peak_rss_mb": peak,
            }
        )
    )


def run_child(method: str, n: int, args: argparse.Namespace, **extra: str) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--n", str(n), "--dim", str(args.dim)]
    cmd += ["--k", str(args.k)]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{method} at {n} rows failed:\n{proc.stderr[-3000:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["wall_s"] = wall
    info["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return info


def load_note() -> str:
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = "  <- machine busy: wall times are inflated" if load > 0.5 * cores else ""
    return f"load average {load:.1f} on {cores} cores{busy}"


def show(n: int, method: str, info: dict) -> None:
    print(
        f"{n:>9,} {method:12s} {info['seconds']:7.1f} s in call ({info['wall_s']:6.1f} s fresh "
        f"process, {info['cpu_s']:6.1f} s cpu)  peak RSS {info['peak_rss_mb']:6.0f} MB "
        f"(data {info['data_rss_mb']:5.0f} MB)  load {os.getloadavg()[0]:.1f}  {info['describe']}",
        flush=True,
    )


def real_check(args: argparse.Namespace) -> None:
    """Recall of the approximate path on real sentence embeddings (exact is cheap at 11k)."""
    import tempfile

    import numpy as np

    try:
        import smallbert_viz

        model = smallbert_viz.load_model("all-MiniLM-L6-v2")
    except Exception as exc:  # noqa: BLE001 - any failure means: skip with a note
        print(f"real sentences: skipped, could not load all-MiniLM-L6-v2 ({exc})")
        return
    texts = SENTENCES.read_text(encoding="utf8").splitlines()
    x = np.asarray(model.embed(texts, progress=False), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        np.save(path, x)
        for method in ("exact", "approximate"):
            info = run_child(method, len(x), args, embeddings=str(path))
            show(len(x), method, info)
    print(f"(real: {len(x):,} all-MiniLM-L6-v2 sentence embeddings of {SENTENCES.name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,200000,1000000")
    parser.add_argument("--quick", action="store_true", help="sizes 10000,50000")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--exact-max", type=int, default=50_000, help="largest exact run")
    parser.add_argument("--real", action="store_true", help="also real sentence embeddings")
    parser.add_argument(
        "--libraries", default="faiss", help="approximate libraries to run: faiss,pynndescent"
    )
    parser.add_argument("--child", choices=["exact", "approximate"], help=argparse.SUPPRESS)
    parser.add_argument("--library", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--embeddings", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    sizes = [10_000, 50_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(f"synthetic mixture on the sphere, dim {args.dim}, k={args.k}; {load_note()}")
    largest_exact = None
    for n in sizes:
        exact = None
        if n <= args.exact_max:
            exact = run_child("exact", n, args)
            show(n, "exact", exact)
            largest_exact = (n, exact["cpu_s"])
        for library in args.libraries.split(","):
            approx = run_child("approximate", n, args, library=library.strip())
            show(n, library.strip(), approx)
            if exact is not None:
                ratio = exact["cpu_s"] / approx["cpu_s"]
                print(f"{'':9} {library} vs exact: {ratio:.2f}x less cpu time", flush=True)
            elif largest_exact is not None:
                m, secs = largest_exact
                est = secs * (n / m) ** 2
                print(
                    f"{'':9} exact not run: extrapolated ~{est:,.0f} cpu s from {m:,} rows by "
                    f"N^2 (~{est / approx['cpu_s']:.0f}x the approximate cpu time)",
                    flush=True,
                )
    if args.real:
        real_check(args)
    print(load_note())


if __name__ == "__main__":
    main()
