"""Benchmark: projection_trust, cluster_keywords and near_duplicates at 10^5 (and 10^6).

Each function runs at the sizes asked for, and against its obvious baseline at a size where the
baseline is feasible, in the same run:

* ``projection_trust`` (approximate neighbours) vs the same with ``method="exact"`` (chunked
  exact kNN, O(N^2)); reported: time ratio, mean |difference| of the per-point values and
  the share of points with the identical value.
* ``near_duplicates`` (approximate) vs brute force (every pair scored, chunked, O(N^2));
  reported: time ratio and recall of the brute-force pairs (precision is 1 by construction:
  every pair reported is scored exactly).
* ``cluster_keywords`` (sentences joined per group, one CountVectorizer pass, sparse
  c-TF-IDF) vs the formula in plain Python (a Counter per group); reported: time ratio and
  whether the keywords agree.

Synthetic data, by this rule (``make_data``, seed 0): ``N`` vectors of 128 dimensions (the
width of small BERT L-8_H-128) around ``N / 100`` Gaussian centres (centre ~ N(0, 1), point =
centre + N(0, 0.6^2)); then 2% of the rows are overwritten with near copies (+ N(0, 0.01^2))
of other rows, in groups of 2 to 40. Texts: each centre owns 12 words of a 20,000-word
vocabulary ("w00017"); a sentence is 6 of its centre's words and 4 of 50 common words;
copied rows copy the text too, with one word changed in half the cases. Layout: a random
linear projection to 2-D plus noise (N(0, 0.3^2)), a layout that keeps some neighbourhoods.

    nice -n 10 python benchmarks/bench_analyses.py [--sizes 100000] [--baseline-size 20000]
        [--functions trust,keywords,duplicates] [--million]

scikit-learn is imported and the approximate search compiled (Numba) on a small warm-up set
before anything is timed.
Timings on the 2-core development machine are shared with other work: treat them as noisy.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

DIM = 128


def make_data(n: int, seed: int = 0):
    """Vectors (n, 128) float32, texts (n), coords (n, 2): the rule in the module docstring."""
    rng = np.random.default_rng(seed)
    n_centres = max(2, n // 100)
    centres = rng.normal(size=(n_centres, DIM)).astype(np.float32)
    owner = rng.integers(0, n_centres, n)
    x = centres[owner] + 0.6 * rng.normal(size=(n, DIM)).astype(np.float32)
    vocab = np.array([f"w{i:05d}" for i in range(20_000)])
    own_words = rng.integers(0, vocab.size, (n_centres, 12))
    common = np.array([f"common{i}" for i in range(50)])
    picks = rng.integers(0, 12, (n, 6))
    words = vocab[own_words[owner[:, None], picks]]
    extra = common[rng.integers(0, 50, (n, 4))]
    texts = [" ".join(a) + " " + " ".join(b) for a, b in zip(words.tolist(), extra.tolist())]
    # near-duplicate groups over 2% of the rows
    budget, row = int(0.02 * n), 0
    order = rng.permutation(n)
    while budget > 1:
        size = int(min(budget, rng.integers(2, 41)))
        source, copies = order[row], order[row + 1 : row + size]
        x[copies] = x[source] + 0.01 * rng.normal(size=(copies.size, DIM))
        for c in copies:
            text = texts[source].split()
            if rng.random() < 0.5:
                text[0] = str(vocab[rng.integers(0, vocab.size)])
            texts[c] = " ".join(text)
        row += size
        budget -= size
    coords = x @ rng.normal(size=(DIM, 2)).astype(np.float32) / np.sqrt(DIM)
    coords += 0.3 * rng.normal(size=coords.shape).astype(np.float32)
    return x, texts, coords, owner.astype(str)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def brute_force_pairs(x: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    pairs = set()
    step = 2048
    for start in range(0, len(unit), step):
        block = unit[start : start + step] @ unit.T
        i, j = np.nonzero(block >= threshold)
        i = i + start
        keep = j > i
        pairs.update(zip(i[keep].tolist(), j[keep].tolist()))
    return pairs


def bench_trust(n: int, baseline: bool) -> None:
    from smallbert_viz.analysis.trust import projection_trust

    x, _, coords, _ = make_data(n)
    approx, t_approx = timed(projection_trust, x, coords, k=10, method="approximate")
    line = f"projection_trust     N={n:>9,}  approximate {t_approx:8.1f} s  mean {approx.mean():.3f}"
    if baseline:
        exact, t_exact = timed(projection_trust, x, coords, k=10, method="exact")
        line += (
            f" | exact {t_exact:8.1f} s  mean {exact.mean():.3f}  ratio {t_exact / t_approx:5.1f}x"
            f"  mean |diff| {np.abs(approx - exact).mean():.4f}"
            f"  identical {np.mean(approx == exact):.1%}"
        )
    print(line, flush=True)


def bench_duplicates(n: int, baseline: bool, threshold: float = 0.95) -> None:
    from smallbert_viz.analysis.duplicates import near_duplicates

    x, texts, _, _ = make_data(n)
    result, t_ours = timed(near_duplicates, x, texts, threshold=threshold, method="approximate")
    line = (
        f"near_duplicates      N={n:>9,}  approximate {t_ours:8.1f} s  {len(result):,} pairs "
        f"{result.counts}"
    )
    if baseline:
        truth, t_brute = timed(brute_force_pairs, x, threshold)
        got = set(map(tuple, result.pairs.tolist()))
        line += (
            f" | brute force {t_brute:8.1f} s  {len(truth):,} pairs  ratio "
            f"{t_brute / t_ours:5.1f}x  recall {len(got & truth) / max(len(truth), 1):.4f}"
        )
    print(line, flush=True)


def counter_keywords(texts, groups, top=5):
    """c-TF-IDF in plain Python: a Counter per group, scores from the formula, sorted."""
    import math
    import re
    from collections import Counter

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    token = re.compile(r"(?u)\b\w\w+\b")
    counts = {}
    for text, g in zip(texts, groups):
        words = token.findall(text.lower())
        counts.setdefault(g, Counter()).update(w for w in words if w not in ENGLISH_STOP_WORDS)
    total = Counter()
    for c in counts.values():
        total.update(c)
    mean_words = sum(sum(c.values()) for c in counts.values()) / len(counts)
    out = {}
    for g, c in counts.items():
        size = sum(c.values())
        score = {w: n / size * math.log(1 + mean_words / total[w]) for w, n in c.items()}
        out[g] = sorted(score, key=lambda w: (-score[w], w))[:top]
    return out


def bench_keywords(n: int, baseline: bool) -> None:
    from smallbert_viz.analysis.keywords import cluster_keywords

    _, texts, _, groups = make_data(n)
    ours, t_ours = timed(cluster_keywords, texts, groups, top=5)
    line = f"cluster_keywords     N={n:>9,}  ours {t_ours:8.1f} s  {len(ours):,} groups"
    if baseline:
        ref, t_ref = timed(counter_keywords, texts, list(groups), top=5)
        line += (
            f" | plain Python {t_ref:8.1f} s  ratio {t_ref / t_ours:5.2f}x  "
            f"same keywords: {ref == ours}"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated N")
    parser.add_argument("--baseline-size", type=int, default=20_000)
    parser.add_argument("--functions", default="trust,keywords,duplicates")
    parser.add_argument("--million", action="store_true", help="also N = 1,000,000")
    args = parser.parse_args()
    benches = {"trust": bench_trust, "keywords": bench_keywords, "duplicates": bench_duplicates}
    chosen = [benches[name] for name in args.functions.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    print("shared 2-core machine: timings are noisy", flush=True)
    import sklearn.feature_extraction.text  # noqa: F401  (imports are not what is timed)
    if "trust" in args.functions or "duplicates" in args.functions:
        # Compile pynndescent's Numba functions first, so no timing below includes the JIT.
        from smallbert_viz.analysis.neighbors import nearest_neighbors

        warm, t_warm = timed(nearest_neighbors, make_data(3_000)[0], k=10, method="approximate")
        print(f"warm-up (Numba JIT of the approximate search): {t_warm:.1f} s", flush=True)
    for bench in chosen:
        bench(args.baseline_size, baseline=True)
        for n in sizes:
            bench(n, baseline=False)


if __name__ == "__main__":
    main()
