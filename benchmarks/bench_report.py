"""Benchmark: time and size of ``smallbert_viz.reporting.report`` for 1,000 sentences.

Each model runs in a FRESH Python process (imports, model loading, TensorFlow tracing and Numba
compilation counted as a user meets them). Reported per model:

* ``report``: wall seconds of ``report(texts, model=..., path=...)`` itself (embedding,
  analyses, figures, HTML; model loading excluded and shown separately), and the file size;
* the stages inside it (embed, similarity + clustering, UMAP, contributions, attention, render);
* baselines built from the SAME figures in the same process:
  ``naive``: each figure's ``to_html(include_plotlyjs=True)`` concatenated (what a user gets by
  saving figures one by one: plotly.js repeated in every figure);
  ``plotly-once``: plotly.js once plus each ``to_html(full_html=False, include_plotlyjs=False)``
  (float32 heatmap, categories sent twice) -- the obvious careful hand-made page.

Sentences: the first N lines of benchmarks/data/sentences.txt (unlabelled), or with
``--labelled`` the bundled sample corpus repeated to N with its labels (duplicates included).

    python benchmarks/bench_report.py [--n 1000] [--models all-MiniLM-L6-v2,standin] [--labelled]

Scale (``--scale 1000,100000[,1000000]``): the report of N sentences with the EMBEDDINGS GIVEN
and the model loaded (``--scale-model``: the stand-in L-8_H-128_A-2, the default model's size,
or a model name such as all-MiniLM-L6-v2), each
N in a fresh process. Corpus: benchmarks/data/sentences.txt cycled, each line suffixed with its
counter ("... (123456)") so every text differs; labels: 8 groups by line number; embeddings:
a seeded Gaussian mixture of the model's width (500 unit-variance centres, noise sigma 0.8, so
cosine ~0.6 within a cluster; every 1,000th row a near-copy of the row before: planted
near-duplicates), named by provenance= (not re-checked). Synthetic vectors keep the benchmark
about the report, not about embedding 10^5 texts. Printed: seconds from the call to the written
file, size and the largest blocks, the child's peak RSS, and the time from opening the file in
headless Chromium (network blocked) until it is ready (``body[data-ready]``: table, heatmap and
projection drawn, first sentence selected) and until every figure is drawn
(``body[data-drawn="all"]``: the figures further down are drawn when scrolled near or while
the browser is idle), with the page's own timing marks and the number of table rows in the
page. Baseline: the code before this change, as measured in issue 11 at 100,000
(408 s, 41 MB, 4.2 GB, 17 s to open) and 7 MB at 1,000; printed as ratios.
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

_T0 = time.perf_counter()

HERE = Path(__file__).resolve().parent
SENTENCES = HERE / "data" / "sentences.txt"
MODELS = {
    "all-MiniLM-L6-v2": "pretrained, converted offline (6 layers, H=384, 12 heads)",
    "standin": "stand-in L-8_H-128_A-2 (random weights, TF Hub format: the default model's size)",
}
LIMIT_S = 60.0
LIMIT_MB = 10.0


def corpus(n: int, labelled: bool) -> tuple[list[str], list[str] | None]:
    if labelled:
        from smallbert_viz.corpus import sample_corpus

        c = sample_corpus()
        reps = -(-n // len(c))
        return (c.texts * reps)[:n], (c.labels * reps)[:n]
    texts = [t for t in SENTENCES.read_text(encoding="utf8").splitlines() if t.strip()][:n]
    if len(texts) < n:
        sys.exit(f"{SENTENCES} has only {len(texts)} sentences, {n} requested")
    return texts, None


def child(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()
    from smallbert_viz import load_model
    from smallbert_viz.reporting import build_content
    from smallbert_viz.reporting.render import render_html

    if args.child == "standin":
        from smallbert_viz.models.standin import build_standin

        enc, pre = build_standin(Path(args.tmp) / "standin", 8, 128, 2, seed=0)
        t_load0 = time.perf_counter()
        model = load_model(enc, preprocessor=pre)
    else:
        t_load0 = time.perf_counter()
        model = load_model(args.child)
    t_loaded = time.perf_counter()
    texts, labels = corpus(args.n, args.labelled)

    # report() is exactly build_content + render_html + write; timed here in its parts.
    t0 = time.perf_counter()
    content = build_content(texts, labels, model=model)
    t1 = time.perf_counter()
    page = render_html(content)
    out = Path(args.tmp) / f"{args.child}.html"
    out.write_text(page, encoding="utf-8")
    t2 = time.perf_counter()

    figs = content.figures
    tb0 = time.perf_counter()
    naive = "".join(f.to_html(include_plotlyjs=True, full_html=True) for f in figs.values())
    tb1 = time.perf_counter()
    import plotly.offline

    once = (
        "<html><head><meta charset='utf-8'><script>"
        + plotly.offline.get_plotlyjs()
        + "</script></head><body>"
        + "".join(f.to_html(include_plotlyjs=False, full_html=False) for f in figs.values())
        + "</body></html>"
    )
    tb2 = time.perf_counter()
    stages = dict(content.timings)
    stages.pop("load model", None)
    stages["render+write"] = t2 - t1
    print(
        json.dumps(
            {
                "process_to_model_s": t_load0 - _T0,
                "load_s": t_loaded - t_load0,
                "report_s": t2 - t0,
                "stages": stages,
                "bytes": out.stat().st_size,
                "naive_bytes": len(naive.encode("utf-8")),
                "naive_s": tb1 - tb0,
                "once_bytes": len(once.encode("utf-8")),
                "once_s": tb2 - tb1,
                "n_figures": len(figs),
                "standin_build_s": (t_load0 - t_start) if args.child == "standin" else 0.0,
            }
        )
    )


#: Clusters of the synthetic vectors of --scale.
SCALE_CLUSTERS = 500
#: The old report at 100,000 sentences (issue 11) and 1,000 (size only): s, MB, GB, open s.
BASELINE = {100_000: (408.0, 41.0, 4.2, 17.0), 1000: (None, 7.0, None, None)}
#: Targets of issue 11 per N: s, MB, open s.
TARGETS = {1000: (None, 6.0, None), 100_000: (60.0, 15.0, 5.0), 1_000_000: (600.0, 100.0, 30.0)}


def scale_corpus(n: int, hidden: int):
    """Texts: sentences.txt cycled with counters. Vectors: a seeded Gaussian mixture."""
    import numpy as np

    base = [t for t in SENTENCES.read_text(encoding="utf8").splitlines() if t.strip()]
    texts = [f"{base[i % len(base)]} ({i})" for i in range(n)]
    labels = [f"group {i % 8}" for i in range(n)]
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(SCALE_CLUSTERS, hidden)).astype(np.float32)
    emb = centres[rng.integers(0, SCALE_CLUSTERS, n)]
    emb += rng.normal(scale=0.8, size=emb.shape).astype(np.float32)  # cosine ~0.6 in a cluster
    # Planted near-duplicates: every 1,000th row is a slightly moved copy of the row before.
    copies = np.arange(1000, n, 1000)
    emb[copies] = emb[copies - 1] + rng.normal(scale=0.05, size=(len(copies), hidden))
    return texts, labels, emb


def child_scale(args: argparse.Namespace) -> None:
    import resource

    from smallbert_viz import load_model
    from smallbert_viz.models.standin import build_standin
    from smallbert_viz.reporting import build_content
    from smallbert_viz.reporting.render import render_html

    if args.scale_model == "standin":
        enc, pre = build_standin(Path(args.tmp) / "standin", 8, 128, 2, seed=0)
        model = load_model(enc, preprocessor=pre)
    else:
        model = load_model(args.scale_model)
    texts, labels, emb = scale_corpus(args.n, model.hidden_size)
    out = Path(args.tmp) / f"report_{args.n}.html"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    # report() is exactly build_content + render_html + write; timed here in its parts.
    content = build_content(
        texts,
        labels,
        model=model,
        embeddings=emb,
        pooling="cls",
        provenance=f"synthetic Gaussian mixture ({SCALE_CLUSTERS} clusters), seed 0",
        progress=False,
    )
    t1, c1 = time.perf_counter(), time.process_time()
    out.write_text(render_html(content), encoding="utf-8")
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    stages = dict(content.timings) | {"render+write": time.perf_counter() - t1}
    cpu_stages = dict(content.cpu_timings) | {"render+write": time.process_time() - c1}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"s": seconds, "cpu": cpu, "bytes": out.stat().st_size, "peak": peak,
                      "stages": stages, "cpu_stages": cpu_stages,
                      "peak_before": rss_before * 1024, "path": str(out)}))


#: The page's own timing marks (loader.js, report.js), in the order they happen.
OPEN_MARKS = ("loader-start", "scripts-unpacked", "script-0-run", "script-1-run",
              "data-unpacked", "table-filled", "ready", "all-drawn")


def open_and_draw(path: Path) -> tuple[float, int, float, dict[str, float]]:
    """Open ``path`` in headless Chromium offline: seconds from navigation until ready (table,
    heatmap and projection drawn, first sentence selected), table rows in the page, seconds
    until every figure is drawn (the others are drawn when scrolled near or while idle), and
    the page's timing marks and measures in seconds (``smallbert:*``)."""
    sys.path.insert(0, str(HERE.parent))
    from playwright.sync_api import sync_playwright

    from tests.chromium import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                   else r.abort())
        t0 = time.perf_counter()
        page.goto(path.as_uri(), timeout=600_000)
        page.wait_for_selector("body[data-ready='true']", timeout=600_000)
        seconds = time.perf_counter() - t0
        page.wait_for_selector("body[data-drawn='all']", timeout=600_000)
        drawn = time.perf_counter() - t0
        rows = page.evaluate("document.querySelectorAll('#sentence-table tbody tr').length")
        marks = page.evaluate("""() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const out = {'html parsed': nav.domInteractive};
          for (const m of performance.getEntriesByType('mark')) out[m.name] = m.startTime;
          for (const m of performance.getEntriesByType('measure')) out['~' + m.name] = m.duration;
          return out;
        }""")
        browser.close()
    return seconds, rows, drawn, {k.replace("smallbert:", ""): v / 1000 for k, v in marks.items()}


def block_sizes(path: Path, top: int = 8) -> list[tuple[str, float]]:
    """The largest data blocks of a written page, in MB (base64 / JSON as written)."""
    import re

    page = path.read_text(encoding="utf-8")
    found = re.finditer(r'<script type="application/(?:json|octet-stream)" id="([^"]+)">(.*?)'
                        r"</script>", page, flags=re.DOTALL)
    sizes = sorted(((m.group(1), len(m.group(2)) / 1e6) for m in found), key=lambda b: -b[1])
    return sizes[:top]


def scale(sizes: list[int], model: str, cache_dir: str | None) -> None:
    load = os.getloadavg()
    print(f"report with embeddings given, model {model}; fresh process per N; load "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores (shared: noisy)")
    with tempfile.TemporaryDirectory() as scratch:
        cache = cache_dir or scratch
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [sys.executable, __file__, "--child-scale", "--tmp", tmp, "--cache", cache,
                       "--n", str(n), "--scale-model", model]
                # The projection cache (project(cache="disk")) in a scratch folder: every run
                # computes its layout as a first report does, never reads an earlier run's.
                env = os.environ | {"SMALLBERT_VIZ_CACHE_DIR": cache}
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if proc.returncode != 0:
                    sys.exit(f"N={n} failed:\n{proc.stderr[-3000:]}")
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                blocks = block_sizes(Path(r["path"]))
                opened, rows, drawn, marks = open_and_draw(Path(r["path"]))
            mb, gb = r["bytes"] / 1e6, r["peak"] / 1e9
            t_s, t_mb, t_open = TARGETS.get(n, (None, None, None))
            print(f"== N = {n:,} (load now {os.getloadavg()[0]:.1f})")
            print(f"  report  {r['s']:7.1f} s wall, {r['cpu']:.1f} s CPU (user+sys, all threads)"
                  f"   target {t_s or '-'} s wall")
            print("  stages, wall / CPU s: " + ", ".join(
                f"{k} {v:.1f}/{r['cpu_stages'].get(k, 0.0):.1f}" for k, v in r["stages"].items()))
            print(f"  size    {mb:7.2f} MB  target {t_mb or '-'}")
            print(f"  peak    {gb:7.2f} GB RSS (child; {r['peak_before'] / 1e9:.2f} GB before the "
                  "call: TensorFlow, model, corpus)")
            print("  blocks  " + ", ".join(f"{name} {size:.2f}" for name, size in blocks)
                  + " MB")
            print(f"  open    {marks.get('ready', float('nan')):7.1f} s until ready by the "
                  "page's clock from navigation (table, heatmap and projection drawn; headless "
                  f"Chromium, offline), {opened:.1f} s as Playwright sees it; {rows} table rows "
                  f"in the page; target {t_open or '-'}; every figure drawn at "
                  f"{marks.get('all-drawn', drawn):.1f} s")
            steps = [f"{k} {marks[k]:.2f}" for k in ("html parsed",) + OPEN_MARKS if k in marks]
            print("  open marks, s from navigation: " + ", ".join(steps))
            slow = sorted(((k[1:], v) for k, v in marks.items() if k.startswith("~")),
                          key=lambda kv: -kv[1])[:6]
            print("  longest steps, s: " + ", ".join(f"{k} {v:.2f}" for k, v in slow))
            old = BASELINE.get(n)
            if old:
                ratios = []
                for name, now, before in (("time", r["s"], old[0]), ("size", mb, old[1]),
                                          ("peak RSS", gb, old[2]), ("open", opened, old[3])):
                    if before:
                        ratios.append(f"{name} {before / now:.1f}x")
                print("  vs the old report (issue 11's figures): " + ", ".join(ratios) +
                      " smaller/faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--labelled", action="store_true", help="sample corpus repeated, labels")
    parser.add_argument("--scale", help="comma-separated N: the large-corpus benchmark")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-scale", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument(
        "--scale-model", default="standin", help="--scale: standin (default) or a model name"
    )
    args = parser.parse_args()
    if args.child_scale:
        child_scale(args)
        return
    if args.child:
        child(args)
        return
    if args.scale:
        scale([int(v) for v in args.scale.split(",")], args.scale_model, args.cache)
        return

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    source = (
        "sample corpus repeated, with labels" if args.labelled else f"{SENTENCES.name}, no labels"
    )
    print(
        f"{args.n} sentences ({source}); fresh process per model; load {load:.1f} on {cores} cores"
    )
    print(f"limits: report <= {LIMIT_S:.0f} s including embedding, file <= {LIMIT_MB:.0f} MB\n")
    mb = 1e6
    for name in models:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, __file__, "--child", name, "--tmp", tmp, "--n", str(args.n)]
            if args.labelled:
                cmd.append("--labelled")
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        ok_t = "ok" if r["report_s"] <= LIMIT_S else "OVER LIMIT"
        ok_s = "ok" if r["bytes"] / mb <= LIMIT_MB else "OVER LIMIT"
        print(f"== {name}: {MODELS.get(name, name)}")
        print(
            f"  report          {r['report_s']:6.1f} s ({ok_t}), {r['bytes'] / mb:6.2f} MB ({ok_s}), "
            f"{r['n_figures']} figures"
        )
        print("  stages          " + ", ".join(f"{k} {v:.1f} s" for k, v in r["stages"].items()))
        print(
            f"  model load      {r['load_s']:6.1f} s (after {r['process_to_model_s']:.1f} s of "
            f"imports{', stand-in written' if r['standin_build_s'] else ''}); whole process "
            f"{wall:.1f} s"
        )
        print(
            f"  naive baseline  {r['naive_bytes'] / mb:6.2f} MB "
            f"({r['naive_bytes'] / r['bytes']:.1f}x larger), {r['naive_s']:.1f} s to write"
        )
        print(
            f"  plotly-once     {r['once_bytes'] / mb:6.2f} MB "
            f"({r['once_bytes'] / r['bytes']:.2f}x the report), {r['once_s']:.1f} s to write\n"
        )


if __name__ == "__main__":
    main()
