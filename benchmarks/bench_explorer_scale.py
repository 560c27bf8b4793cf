"""Benchmark: ProjectionExplorer given coordinates at up to a million points (issue 11, point 3).

Each case runs in a fresh Python process (so its peak RSS is its own) and prints:

* build: ``ProjectionExplorer(texts, labels, coords=coords)`` from the call to the returned
  widget, with smallbert_viz, plotly and ipywidgets already imported (import time printed apart),
  wall clock and the process's CPU time (on a shared machine the wall clock mostly measures
  the other processes: quote both with the load average);
* JSON state: every widget of the explorer's tree serialised as the kernel sends it, binary
  buffers removed (plotly.js's 5 MB widget bundle included), and the binary buffers' total;
* lasso to Python: a 100,000-point selection delivered as the front end sends it (one custom
  message whose buffer is a bitmap of the selected points, through ipywidgets' own message
  handling; its size printed next to the int32 trace+point pairs sent before) until
  ``explorer.selected`` and its table are updated. Kernel side only; the browser side of a lasso
  is measured by tests/widgets/test_jupyterlab_large.py (printed there);
* peak RSS of the process (``ru_maxrss``).

Baseline in the same run: today's path (the per-point-text figure of ``projection_scatter``,
forced by raising ``LARGE_POINTS``) at the largest N given with ``--baseline-n``; the large path
at that N too, for the ratios.

Corpus: synthetic. Texts are the 11,000 real sentences of benchmarks/data/sentences.txt, cycled,
each prefixed with its row number (unique); coordinates a 2-D mixture of 20 gaussians whose
component is the label ("topic 0".."topic 19").

    python benchmarks/bench_explorer_scale.py [--n 1000000] [--baseline-n 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

CASE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np
import plotly.graph_objects  # noqa: F401
import ipywidgets
from ipywidgets.widgets.widget import _remove_buffers
from smallbert_viz.views import large_scatter
from smallbert_viz.widgets import ProjectionExplorer
imported = time.perf_counter() - t0

n, large, path = int(sys.argv[1]), sys.argv[2] == "large", sys.argv[3]
if not large:
    large_scatter.LARGE_POINTS = 10**12  # today's path: per-point hover texts
rng = np.random.default_rng(0)
base = [s for s in open(path, encoding="utf-8").read().splitlines() if s.strip()]
texts = [f"{i}: {base[i % len(base)]}" for i in range(n)]
centres = rng.normal(size=(20, 2)) * 10
group = rng.integers(0, 20, size=n)
coords = (centres[group] + rng.normal(size=(n, 2))).astype(np.float32)
labels = [f"topic {g}" for g in group]
rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

t0, c0 = time.perf_counter(), time.process_time()
ex = ProjectionExplorer(texts, labels, coords=coords)
build, build_cpu = time.perf_counter() - t0, time.process_time() - c0

def tree(w, seen):
    if id(w) in seen:
        return
    seen[id(w)] = w
    for child in getattr(w, "children", ()) or ():
        tree(child, seen)

seen = {}
tree(ex, seen)
t0 = time.perf_counter()
json_bytes = bin_bytes = 0
for w in seen.values():
    state, _paths, buffers = _remove_buffers(w.get_state())
    json_bytes += len(json.dumps(state).encode())
    bin_bytes += sum(memoryview(b).nbytes for b in buffers)
serialise = time.perf_counter() - t0

lasso = lasso_bytes = None
if large:
    fw = ex.figure_widget
    picked = np.sort(rng.choice(n, size=min(100_000, n), replace=False)).astype(np.int32)
    # Packed as event_figure.js's packPoints does: a bitmap up to the last selected point.
    mask = np.zeros(int(picked[-1]) + 1, dtype=bool)
    mask[picked] = True
    bits = np.packbits(mask, bitorder="little").tobytes()
    lasso_bytes = len(bits)
    parts = [{"trace": 0, "encoding": "bits", "count": int(picked.size)}]
    msg = {"content": {"data": {"method": "custom", "content": {
        "kind": "selection", "id": "bench", "draw": fw._sbv_draw, "parts": parts,
        "sent": time.time() * 1000}}}, "buffers": [bits]}
    t0 = time.perf_counter()
    fw._handle_msg(msg)
    lasso = time.perf_counter() - t0
    assert len(ex.selected) == picked.size, len(ex.selected)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"n": n, "large": large, "import_s": imported, "build_s": build, "build_cpu_s": build_cpu,
                  "serialise_s": serialise, "json_mb": json_bytes / 1e6, "binary_mb": bin_bytes / 1e6,
                  "lasso_s": lasso, "lasso_bytes": lasso_bytes,
                  "lasso_pairs_bytes": 8 * min(100_000, n), "rss_mb": rss, "rss_before_build_mb": rss_data}))
"""


def run_case(n: int, large: bool) -> dict:
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-c", CASE, str(n), "large" if large else "today",
         str(HERE / "data" / "sentences.txt")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"case n={n} large={large} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def show(row: dict) -> None:
    path = "large path" if row["large"] else "today's path"
    lasso = f"{row['lasso_s']:.3f} s" if row["lasso_s"] is not None else "-"
    if row["lasso_bytes"] is not None:
        lasso += (
            f" ({row['lasso_bytes'] / 1e3:.0f} KB bitmap; trace+point int32 pairs: "
            f"{row['lasso_pairs_bytes'] / 1e3:.0f} KB)"
        )
    print(
        f"  {path:<13s} N={row['n']:>9,}  build {row['build_s']:6.2f} s "
        f"(CPU {row['build_cpu_s']:5.2f} s)  "
        f"JSON {row['json_mb']:7.1f} MB  binary {row['binary_mb']:6.1f} MB  "
        f"lasso(100k)->Python {lasso:>8s}  peak RSS {row['rss_mb']:6.0f} MB "
        f"(data alone {row['rss_before_build_mb']:.0f} MB)  [imports {row['import_s']:.1f} s]",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--baseline-n", type=int, default=200_000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    base = run_case(args.baseline_n, large=False)
    show(base)
    same = run_case(args.baseline_n, large=True)
    show(same)
    print(
        f"  at N={args.baseline_n:,}: build x{base['build_s'] / same['build_s']:.1f} faster, "
        f"JSON x{base['json_mb'] / same['json_mb']:.1f} smaller on the large path"
    )
    big = run_case(args.n, large=True)
    show(big)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
