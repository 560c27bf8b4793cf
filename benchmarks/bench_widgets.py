"""Benchmark: Python-side construction and update times of the explorers, headless.

Scales from the issue: 2,000 sentences in the similarity view, 50,000 in the projection view.
Embeddings are synthetic clustered gaussians (H=128, like the small BERT) with precomputed
``embeddings=`` and a ``provenance=`` string, so no model is loaded: the numbers are the
widgets' own cost (analysis calls, figure builders, FigureWidget sync). Front-end draw times
are not measured here (see tests/figures/test_render_browser.py for 50k WebGL in Chromium).

Baseline in the same run: the pure figure builder (what a static ``fig.show()`` would cost);
the ratio says what the live widget adds on top.

    python benchmarks/bench_widgets.py [--sim-n 2000] [--proj-n 50000] [--umap-n 5000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _timed(label: str, fn, rows: list) -> object:
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    rows.append((label, seconds))
    print(f"  {label:<58s} {seconds:8.3f} s", flush=True)
    return out


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, 128)) * 3
    group = rng.integers(0, 8, size=n)
    x = (centres[group] + rng.normal(size=(n, 128))).astype(np.float32)
    texts = [
        f"Sentence {i} of topic {g}: some words <b>& more</b> to hover."
        for i, g in enumerate(group)
    ]
    return x, texts, [f"topic {g}" for g in group]


def bench_similarity(n: int) -> None:
    from smallbert_viz.analysis import similarity_matrix
    from smallbert_viz.figures import similarity_heatmap
    from smallbert_viz.widgets import SimilarityExplorer

    x, texts, labels = _data(n)
    rows: list = []
    print(f"SimilarityExplorer, N={n:,}")
    sim = _timed(
        "baseline: similarity_matrix + similarity_heatmap",
        lambda: similarity_heatmap(similarity_matrix(x).matrix, texts, labels=labels),
        rows,
    )
    del sim
    ex = _timed(
        "construct (cosine, input order)",
        lambda: SimilarityExplorer(texts, labels=labels, embeddings=x, provenance="synthetic"),
        rows,
    )
    _timed("metric -> dot", lambda: setattr(ex.metric_control, "value", "dot"), rows)
    _timed(
        "order -> clustered (first: hierarchical clustering)",
        lambda: setattr(ex.order_control, "value", "clustered"),
        rows,
    )
    _timed("threshold on", lambda: setattr(ex.threshold_toggle, "value", True), rows)
    _timed(
        "threshold moved",
        lambda: setattr(ex.threshold_control, "value", float(np.median(ex.similarity.matrix))),
        rows,
    )
    _timed("cell click -> pair panel (no model: text only)", lambda: ex.select_pair(3, 5), rows)
    _timed("static copy (.figure)", lambda: ex.figure, rows)
    base = rows[0][1]
    print(
        f"  construct / baseline = {rows[1][1] / base:.2f}x; "
        f"z payload {x.shape[0] ** 2 * 4 / 2**20:.1f} MB float32"
    )


def _select_all(fw) -> None:
    """A front-end selection of every point of every trace."""
    trace_indexes, point_indexes = [], []
    for t, trace in enumerate(fw.data):
        k = len(trace.customdata)
        trace_indexes += [t] * k
        point_indexes += list(range(k))
    fw._sbv_selection = {"id": "bench", "traces": trace_indexes, "points": point_indexes}


def _message(fw) -> tuple[float, float, float]:
    """Seconds to encode ``fw``'s trace data as the kernel sends it; MB of JSON; MB binary."""
    import json

    from ipywidgets.widgets.widget import _remove_buffers

    start = time.perf_counter()
    state, _paths, buffers = _remove_buffers(fw.get_state(["_widget_data"]))
    text = json.dumps(state)
    seconds = time.perf_counter() - start
    return seconds, len(text) / 1e6, sum(b.nbytes for b in buffers) / 1e6


def bench_heatmap_message(n: int) -> None:
    """plotly's FigureWidget vs ours: what an N x N heatmap costs to send to the browser."""
    import plotly.graph_objects as go

    from smallbert_viz.analysis import similarity_matrix
    from smallbert_viz.figures import similarity_heatmap
    from smallbert_viz.widgets import EventFigureWidget

    x, texts, labels = _data(n)
    fig = similarity_heatmap(similarity_matrix(x).matrix, texts, labels=labels)
    print(f"Heatmap message to the browser, N={n:,} (encode = get_state + buffers + JSON)")
    results = {}
    for name, cls in (
        ("baseline: plotly go.FigureWidget", go.FigureWidget),
        ("EventFigureWidget", EventFigureWidget),
    ):
        seconds, json_mb, binary_mb = _message(cls(fig))
        results[name] = seconds
        print(
            f"  {name:<40s} encode {seconds:6.3f} s; JSON {json_mb:6.1f} MB; binary {binary_mb:5.1f} MB"
        )
    base, ours = results.values()
    print(f"  encode: {base / ours:.1f}x faster")


def bench_projection(n: int, umap_n: int) -> None:
    from smallbert_viz.analysis import project
    from smallbert_viz.figures import projection_scatter
    from smallbert_viz.widgets import ProjectionExplorer

    x, texts, labels = _data(n)
    rows: list = []
    print(f"ProjectionExplorer, N={n:,}")
    _timed(
        "baseline: project(pca) + projection_scatter",
        lambda: projection_scatter(
            project(x, method="pca", cache="off").coords, texts, labels=labels
        ),
        rows,
    )
    ex = _timed(
        "construct (PCA shown)",
        lambda: ProjectionExplorer(
            texts, labels=labels, embeddings=x, provenance="synthetic", method="pca"
        ),
        rows,
    )
    _timed("colour -> none", lambda: setattr(ex.colour_control, "value", "none"), rows)
    _timed("colour -> label", lambda: setattr(ex.colour_control, "value", "label"), rows)

    def highlight():
        ex.highlighted = np.arange(0, n, max(1, n // 10))
        ex.refresh()

    _timed("highlight 10 neighbours (redraw)", highlight, rows)
    _timed(
        f"selection of all {n:,} points -> .selected + table",
        lambda: _select_all(ex.figure_widget),
        rows,
    )
    assert len(ex.selected) == n
    print(f"  construct / baseline = {rows[1][1] / rows[0][1]:.2f}x")

    if umap_n:
        xu, tu, lu = _data(umap_n, seed=1)
        print(f"ProjectionExplorer UMAP in the background, N={umap_n:,}")
        urows: list = []
        start = time.perf_counter()
        exu = _timed(
            "construct (returns with PCA; UMAP thread started)",
            lambda: ProjectionExplorer(
                tu, labels=lu, embeddings=xu, provenance="synthetic", seed=None
            ),
            urows,
        )
        exu.wait_ready(1800)
        total = time.perf_counter() - start
        print(f"  {'UMAP drawn (includes Numba compile on first use)':<58s} {total:8.3f} s")
        print(f"  time to first plot / time to UMAP = {urows[0][1] / total:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim-n", type=int, default=2000)
    ap.add_argument("--proj-n", type=int, default=50_000)
    ap.add_argument("--umap-n", type=int, default=5000, help="0 skips the UMAP timing")
    args = ap.parse_args()
    bench_similarity(args.sim_n)
    bench_heatmap_message(args.sim_n)
    bench_projection(args.proj_n, args.umap_n)


if __name__ == "__main__":
    main()
