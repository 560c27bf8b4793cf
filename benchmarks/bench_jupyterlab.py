"""Benchmark: a similarity heatmap update seen in JupyterLab, end to end.

A 2,000 x 2,000 heatmap (the issue's scale for the similarity view) in a real JupyterLab in
headless Chromium. The time runs from the kernel being asked to change the matrix until the
browser's plot holds the new numbers: Python update, encoding, the websocket, decoding and
plotly's redraw. Baseline in the same notebook: plotly's own ``go.FigureWidget`` with the
same figure, sent the same new matrix (plotly.py encodes 2-D arrays as nested JSON lists;
``EventFigureWidget`` sends them as binary rows). Medians of alternating repeats.

    python benchmarks/bench_jupyterlab.py [--n 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' JupyterLab helpers

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.jupyterlab_server import (  # noqa: E402
    KERNEL_EXEC,
    jupyterlab,
    notebook,
    run_notebook,
)

SENTINEL = "BENCH-" + "READY"

#: Ask the kernel to run ``code``, then wait (in the browser) until plot ``selector``'s
#: first cell differs from what it was; resolve to the elapsed milliseconds.
_UPDATE = """async ([selector, code]) => {
  const gd = document.querySelector(selector);
  const before = gd.data[0].z[0][0];
  const t0 = performance.now();
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  kernel.requestExecute({code, store_history: false});
  while (gd.data[0].z[0][0] === before) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (performance.now() - t0 > 120000) throw new Error("no update within 120 s");
  }
  await new Promise((resolve) => requestAnimationFrame(resolve));  // the frame that draws it
  return performance.now() - t0;
}"""


def _cells(n: int) -> list[str]:
    setup = f"""\
import numpy as np
import plotly.graph_objects as go
from smallbert_viz.analysis import similarity_matrix
from smallbert_viz.widgets import SimilarityExplorer

rng = np.random.default_rng(0)
centres = rng.normal(size=(8, 128)) * 3
X = (centres[rng.integers(0, 8, {n})] + rng.normal(size=({n}, 128))).astype(np.float32)
texts = [f"sentence {{i}}" for i in range({n})]
sim = SimilarityExplorer(texts, embeddings=X, provenance="synthetic")
sim.add_class("bench-ours")
matrices = {{m: similarity_matrix(X, metric=m).matrix for m in ("cosine", "dot")}}"""
    baseline = (
        "base = go.FigureWidget(sim.figure)\n"
        "box = __import__('ipywidgets').Box([base])\n"
        "box.add_class('bench-plotly')\n"
        "box"
    )
    return [setup, "sim", baseline, f"print({SENTINEL[:6]!r} + {SENTINEL[6:]!r})"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cases = {
        "baseline: plotly go.FigureWidget, z as nested JSON lists": (
            ".bench-plotly .js-plotly-plot",
            "base.data[0].z = matrices['{metric}']",
        ),
        "SimilarityExplorer (EventFigureWidget, binary rows)": (
            ".bench-ours .js-plotly-plot",
            "sim.metric_control.value = '{metric}'",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        nb = notebook(_cells(args.n))
        with jupyterlab(Path(tmp), {"bench.ipynb": nb}) as (base, token):
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                run_notebook(page, base, token, "bench.ipynb", SENTINEL, timeout_s=600)
                page.wait_for_selector(".bench-plotly .js-plotly-plot .main-svg")
                page.wait_for_selector(".bench-ours .js-plotly-plot .main-svg")
                page.evaluate(KERNEL_EXEC, "sim.metric_control.value = 'cosine'")
                for k in range(2 * args.repeats):
                    metric = ("dot", "cosine")[k % 2]
                    for name, (selector, code) in cases.items():
                        ms = page.evaluate(_UPDATE, [selector, code.format(metric=metric)])
                        times[name].append(ms / 1000)
                        page.evaluate(KERNEL_EXEC, "pass")  # the kernel is idle again
                browser.close()
    print(f"Similarity heatmap update in JupyterLab + headless Chromium, N={args.n:,}")
    medians = {}
    for name, values in times.items():
        medians[name] = statistics.median(values)
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<58s} median {medians[name]:6.2f} s  ({runs})")
    base_s, ours_s = medians.values()
    print(f"  ratio: {base_s / ours_s:.1f}x faster")


if __name__ == "__main__":
    main()
