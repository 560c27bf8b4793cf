"""Benchmark: plain ``umap.UMAP().fit_transform`` vs ``smallbert_viz.analysis.project``.

Each method runs in a FRESH Python process, so imports and Numba JIT compilation are counted as a
user meets them in a new notebook kernel. Reported per method: wall seconds of the whole
subprocess, the split inside it (imports / fit), and neighbour preservation (mean fraction of
each point's 10 nearest neighbours in the embedding space, by cosine, that are among its 10
nearest in the 2-D layout; also with Euclidean neighbours as the truth, which is what plain
UMAP's default metric optimises).

At scale (``--synthetic``, e.g. 200,000 or 1,000,000 x 128) preservation is measured on a
fixed sample of 1,000 points against all points, and the baseline is skipped above
``--baseline-max`` rows (plain UMAP there takes far longer than the targets; its note says so).
``project()`` fits UMAP on a sample above SAMPLE_ABOVE rows (SAMPLE_SIZE rows, on a faiss
graph above GRAPH_APPROXIMATE_ABOVE), places the other rows and refines them with PLACE_EPOCHS
epochs of UMAP's transform, and says so in its description. Preservation at that scale is
bounded by the sample's share of the rows (placed rows keep fewer of their neighbours); compare
it with a random layout's (printed last), not with a full fit's at 10,000 rows.

CPU seconds (user + sys of the child process) are printed beside wall seconds: on a shared
machine wall times are inflated (the load average is printed), CPU seconds much less so.

Embeddings, in order of preference:
  --embeddings FILE.npy                   precomputed vectors [N, H]
  --synthetic                             the Gaussian mixture on the sphere of
                                          bench_neighbors.py (--dim, default 128)
  benchmarks/data/sentences.txt embedded with smallbert_viz.load_model("all-MiniLM-L6-v2")
  a synthetic stand-in (clustered gaussians), labelled as such in the output

    python benchmarks/bench_projection.py --quick          # 2,000 sentences, a minute or two
    python benchmarks/bench_projection.py [--n 10000] [--embeddings FILE.npy]
        [--save-embeddings FILE.npy] [--variants baseline,ours,ours-seeded]
    nice -n 10 python benchmarks/bench_projection.py --synthetic --sizes 10000,200000,1000000 \
        --variants baseline,ours

Cold vs warm: project() lets Numba keep umap-learn's compiled code on disk (CACHE_UMAP_JIT), so
only the first process on a machine compiles it. Point NUMBA_CACHE_DIR at an empty folder to
measure a cold start (as on a fresh CI machine); run again for the warm figure.
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

_T0 = time.perf_counter()

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"
MODEL = "all-MiniLM-L6-v2"
VARIANTS = {
    "baseline": "umap.UMAP().fit_transform(X)  (umap-learn defaults, NN-descent)",
    "ours": "project(X)  (cosine kNN -> UMAP, seed=None, parallel; sampled fit at scale)",
    "ours-seeded": "project(X, seed=42)  (reproducible, single-threaded SGD)",
    "ours-sampled": "project(X, sample_size=10_000)  (what the views and the report pass)",
}
# Stages of project() timed inside the child (wall and CPU seconds of the whole process).
STAGES = ("_umap", "_sample_neighbors", "_refine", "_preservation")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _time_stages(stages: dict) -> None:
    """Wrap project()'s stage functions so that each call adds its wall and CPU seconds."""
    from smallbert_viz.analysis import _projection_backends as backends
    from smallbert_viz.analysis import projection

    for name in STAGES:
        module = backends if hasattr(backends, name) else projection
        real = getattr(module, name, None)
        if real is None:  # an older version of project() (a before/after comparison)
            continue

        def timed(*args, _real=real, _name=name, **kwargs):
            t, c = time.perf_counter(), _cpu()
            try:
                return _real(*args, **kwargs)
            finally:
                wall, cpu = stages.get(_name, (0.0, 0.0))
                stages[_name] = (wall + time.perf_counter() - t, cpu + _cpu() - c)

        setattr(module, name, timed)
        if module is backends and hasattr(projection, name):
            setattr(projection, name, timed)


# ---- child processes: one method each, timed from interpreter start -----------------------


def child(args: argparse.Namespace) -> None:
    import numpy as np

    t_start = time.perf_counter()
    stages: dict = {}
    x = np.load(args.embeddings)
    if args.child == "baseline":
        import umap

        t_import = time.perf_counter()
        coords = umap.UMAP().fit_transform(x)
    else:
        from smallbert_viz.analysis import project

        t_import = time.perf_counter()  # umap itself is imported lazily, inside project()
        seed = 42 if args.child == "ours-seeded" else None
        extra = {"sample_size": 10_000} if args.child == "ours-sampled" else {}
        _time_stages(stages)
        projection = project(x, seed=seed, cache="off", **extra)
        coords = projection.coords
    t_end = time.perf_counter()
    np.save(args.out, np.asarray(coords, dtype=np.float32))
    print(
        json.dumps(
            {
                "imports_s": t_import - _T0,
                "fit_s": t_end - t_import,
                "load_s": t_import - t_start if args.child != "baseline" else 0.0,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "describe": "" if args.child == "baseline" else projection.describe(),
                "stages": stages,
                "end_epoch": time.time(),  # the parent's return minus this: interpreter exit
            }
        ),
        flush=True,
    )


def run_child(variant: str, embeddings: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", variant, "--embeddings", str(embeddings)]
    cmd += ["--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    returned = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"{variant} failed:\n{proc.stderr[-3000:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["wall_s"] = wall
    # Freeing every module's objects when the interpreter exits (a full garbage collection of
    # umap-learn's scikit-learn, pandas and scipy) comes after the result: no user waits for
    # it in a notebook, but it is part of the subprocess's wall time.
    info["exit_s"] = max(returned - info.get("end_epoch", returned), 0.0)
    info["cpu_s"] = cpu
    return info


def load_note() -> str:
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    busy = "  <- machine busy: wall times are inflated" if load > 0.5 * cores else ""
    return f"load average {load:.1f} on {cores} cores{busy}"


# ---- embeddings ---------------------------------------------------------------------------


def stand_in(n: int, dim: int = 384, seed: int = 0):
    """Clustered gaussians on the unit sphere: 40 topics, a shared 16-D style subspace, noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(40, dim))
    basis = rng.normal(size=(16, dim))
    labels = rng.integers(0, 40, n)
    x = centers[labels] * 0.6 + rng.normal(size=(n, 16)) @ basis * 0.25
    x += rng.normal(size=(n, dim)) * 0.5
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def sentence_embeddings(n: int):
    """Embeddings of the first n benchmark sentences, or None if sentences or model are missing."""
    if not SENTENCES.is_file():
        print(f"note: {SENTENCES} not found")
        return None
    texts = SENTENCES.read_text(encoding="utf8").splitlines()[:n]
    if len(texts) < n:
        print(f"note: {SENTENCES} has only {len(texts)} sentences, {n} requested")
        return None
    try:
        import smallbert_viz

        model = smallbert_viz.load_model(MODEL)
    except Exception as exc:  # noqa: BLE001 - any failure means: use the stand-in
        print(f"note: could not load {MODEL} ({type(exc).__name__}: {exc})")
        return None
    start = time.perf_counter()
    x = model.embed(texts, progress=False)
    print(f"embedded {len(texts)} sentences with {MODEL} in {time.perf_counter() - start:.1f} s")
    return x


def compare_placement(x) -> None:
    """The placement search of a sampled fit (each non-sample row's 15 nearest of a 10,000-row
    sample, cosine), by faiss's flat index and by numpy's matrix product + argpartition, in
    this process; both exact, so they should agree but for float near-ties."""
    import numpy as np

    from smallbert_viz.analysis import _projection_backends as backends
    from smallbert_viz.analysis.neighbors import _sample_rows

    n = x.shape[0]
    size = min(10_000, n // 2)
    sample = _sample_rows(n, size, seed=0)
    rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
    got = {}
    for name, flag in (("faiss flat", True), ("numpy argpartition", False)):
        backends.EXACT_WITH_FAISS = flag
        t, c = time.perf_counter(), _cpu()
        got[name] = backends._sample_neighbors(x, sample, rest, 15, "cosine")
        got[name] += (time.perf_counter() - t, _cpu() - c)
    backends.EXACT_WITH_FAISS = True
    (fi, fs, fw, fc), (ni, ns, nw, nc) = got["faiss flat"], got["numpy argpartition"]
    same = float((fi == ni).mean())
    print(
        f"\nplacement search, {rest.size:,} rows x {size:,}-row sample, k=15: faiss flat "
        f"{fw:.1f} s wall / {fc:.1f} s cpu, numpy argpartition {nw:.1f} s / {nc:.1f} s cpu "
        f"({nw / fw:.1f}x wall, {nc / max(fc, 1e-9):.1f}x cpu); same neighbours {same:.4f}, "
        f"max score difference {float(np.abs(fs - ns).max()):.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of points")
    parser.add_argument("--sizes", help="comma-separated numbers of points, run one after another")
    parser.add_argument("--quick", action="store_true", help="2,000 points")
    parser.add_argument("--synthetic", action="store_true", help="Gaussian mixture on a sphere")
    parser.add_argument("--dim", type=int, default=128, help="--synthetic dimensions")
    parser.add_argument("--baseline-max", type=int, default=50_000, help="largest baseline run")
    parser.add_argument("--embeddings", type=Path, help="precomputed embeddings (.npy, [N, H])")
    parser.add_argument("--save-embeddings", type=Path, help="keep the embeddings used here")
    parser.add_argument("--variants", default="baseline,ours,ours-seeded")
    parser.add_argument("--k", type=int, default=10, help="neighbours for preservation")
    parser.add_argument(
        "--placement",
        action="store_true",
        help="also time the sampled placement search: faiss flat vs numpy argpartition",
    )
    parser.add_argument("--child", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return


    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {sorted(VARIANTS)}")

    if args.quick:
        args.n = 2_000
    sizes = [int(v) for v in args.sizes.split(",")] if args.sizes else [args.n]
    for n in sizes:
        args.n = n
        run_size(args, list(variants))


def run_size(args: argparse.Namespace, variants: list[str]) -> None:
    """Every variant on the first ``args.n`` points, each in a fresh process."""
    import numpy as np

    if args.n > args.baseline_max and "baseline" in variants:
        variants.remove("baseline")
        print(
            f"note: baseline umap.UMAP().fit_transform skipped above {args.baseline_max:,} rows "
            "(--baseline-max); compare with its 10k/50k figures instead"
        )
    if args.embeddings:
        x = np.load(args.embeddings)[: args.n]
        source = f"precomputed embeddings from {args.embeddings}"
    elif args.synthetic:
        sys.path.insert(0, str(HERE))
        from bench_neighbors import mixture

        x = mixture(args.n, args.dim)
        source = f"SYNTHETIC: Gaussian mixture on the sphere in {args.dim}-D (bench_neighbors.py)"
    else:
        x = sentence_embeddings(args.n)
        source = f"{MODEL} mean-pooled embeddings of {SENTENCES.name}"
        if x is None:
            x = stand_in(args.n)
            source = "STAND-IN DATA: synthetic clustered gaussians, NOT sentence embeddings"
    x = np.ascontiguousarray(x, dtype=np.float32)
    if args.save_embeddings:
        np.save(args.save_embeddings, x)

    from smallbert_viz.analysis import neighbor_preservation
    from smallbert_viz.analysis.neighbors import sampled_preservation

    def preservation(coords, metric="cosine"):
        if len(x) <= 20_000:
            return neighbor_preservation(x, coords, k=args.k, metric=metric)
        return sampled_preservation(x, coords, k=args.k, metric=metric)[0]

    print(f"data: {source}; shape {x.shape}")
    print(f"python {sys.version.split()[0]}, fresh subprocess per method; {load_note()}\n")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "embeddings.npy"
        np.save(path, x)
        for variant in variants:
            out = Path(tmp) / f"{variant}.npy"
            info = run_child(variant, path, out)
            coords = np.load(out)
            info["preservation"] = preservation(coords)
            info["preservation_euclidean"] = preservation(coords, "euclidean")
            results[variant] = info
            print(
                f"{variant:12s} {info['wall_s']:6.1f} s wall, {info['cpu_s']:5.1f} s cpu  (imports {info['imports_s']:4.1f} s, "
                f"fit {info['fit_s']:5.1f} s, interpreter exit {info['exit_s']:.1f} s)  neighbour preservation@{args.k} "
                f"{info['preservation']:.3f} (euclidean truth {info['preservation_euclidean']:.3f})"
                f"   {VARIANTS[variant]}"
            )
            print(f"{'':12s} peak RSS {info['peak_rss_mb']:.0f} MB  {info['describe']}", flush=True)
            if info.get("stages"):
                print(
                    f"{'':12s} stages (wall / cpu s): "
                    + ", ".join(
                        f"{name.strip('_')} {w:.1f} / {c:.1f}"
                        for name, (w, c) in info["stages"].items()
                    ),
                    flush=True,
                )
    if args.placement:
        compare_placement(x)
    if "baseline" in results:
        base = results["baseline"]
        for variant, info in results.items():
            if variant != "baseline":
                print(
                    f"\n{variant} vs baseline: {base['wall_s'] / info['wall_s']:.2f}x faster "
                    f"({base['wall_s']:.1f} s -> {info['wall_s']:.1f} s wall, "
                    f"{base['cpu_s'] / info['cpu_s']:.2f}x less cpu), preservation "
                    f"{base['preservation']:.3f} -> {info['preservation']:.3f}",
                    end="",
                )
        print()
    print(load_note())
    rnd = np.random.default_rng(0).normal(size=(len(x), 2))
    print(f"(a random layout scores {preservation(rnd):.3f})")


if __name__ == "__main__":
    main()
