"""Benchmark: explain_pair with pooling="cls" (integrated Jacobians) vs reverse mode.

Targets (issue 12): one L-8_H-128 stand-in pair <= 2 s warm, one all-MiniLM-L6-v2 pair <= 10 s
warm. Baselines in the same run: (1) the previous code, the same rule and steps with each
Jacobian-vector product from ``tf.autodiff.ForwardAccumulator`` over (node, token) copies of
the path point (explain_pair now propagates the tangents by hand, ``encode_tangents``, and
computes each path point once for all its token tangents); (2) the same path integral with
reverse-mode Jacobians (``tf.GradientTape.jacobian``, one backward pass per output dimension,
vectorised) at the same
nodes as explain_pair used (``--reverse``). Prints seconds, ratios and completeness errors.
Timings on a shared machine are noisy: the load average is printed with them.

    .venv/bin/python benchmarks/bench_explain.py [--repeats 3] [--only standin|minilm] [--reverse]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

PAIR = ("A man is playing a guitar on the street.", "Someone plays the guitar outdoors.")


def reverse_mode(model, explanation):
    """The baseline: the same quadrature with GradientTape Jacobians; returns its error."""
    import tensorflow as tf

    from smallbert_viz.explain._jacobians import gauss_legendre
    from smallbert_viz.explain.pair import _integrator, _pack

    integrator = _integrator(model, "cls", normalize=True)
    table_width = integrator.forward.config.hidden_size

    @tf.function(
        input_signature=[
            tf.TensorSpec([1, None, table_width], tf.float32),
            tf.TensorSpec([None], tf.int32),
        ]
    )
    def jacobian(z, types):
        # Compiled once (like explain_pair's forward-mode graph): a fair baseline.
        with tf.GradientTape() as tape:
            tape.watch(z)
            f = integrator._sentence(z, types)[0]
        return tape.jacobian(f, z)[:, 0]  # [D, T, H]

    table = integrator.forward.word_embeddings.numpy()
    nodes, weights = gauss_legendre(explanation.steps)
    sides = []
    for text in PAIR:
        ids, types, _ = _pack(model, text, 128)
        x = table[ids]
        r = np.broadcast_to(table[0], x.shape)
        total = np.zeros((len(ids), table.shape[1]), np.float64)
        for a, w in zip(nodes, weights):
            z = tf.constant((r + a * (x - r))[None].astype(np.float32))
            jac = jacobian(z, tf.constant(types)).numpy()
            total += w * np.einsum("dth,th->td", jac, x - r)
        fx, fr = integrator.value(np.stack([x, r]), types).astype(np.float64)
        sides.append((total, fx, fr))
    (a, fx, fr), (b, gy, gr) = sides
    offset = fr @ gy + fx @ gr - fr @ gr
    return abs((a @ b.T).sum() + offset - explanation.score)


_COMPILED: dict[int, object] = {}


def _compile(integrator):
    """The previous code's product graph, traced once per integrator."""
    import tensorflow as tf

    width = integrator.forward.config.hidden_size
    matrix = tf.TensorSpec([None, width], tf.float32)
    ints, floats = tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32)

    @tf.function(input_signature=[matrix, matrix, ints, floats, floats, ints])
    def products(x, r, types, alphas, weights, rows):
        tokens = tf.shape(x)[0]
        delta = x - r
        points = r[tf.newaxis] + alphas[:, tf.newaxis, tf.newaxis] * delta[tf.newaxis]
        tangents = tf.one_hot(rows, tokens)[:, :, tf.newaxis] * delta[tf.newaxis]
        with tf.autodiff.ForwardAccumulator(primals=points, tangents=tangents) as acc:
            vector = integrator._sentence(points, types)
        jvp = acc.jvp(vector) * weights[:, tf.newaxis]
        return tf.math.unsorted_segment_sum(jvp, rows, tokens)

    _COMPILED[id(integrator)] = products
    return products


def _accumulator_attributions(products, width, x, r, types, nodes, weights):
    tokens = x.shape[0]
    steps = np.repeat(np.arange(len(nodes)), tokens)
    token_rows = np.tile(np.arange(tokens), len(nodes)).astype(np.int32)
    per_batch = max(1, 128 // tokens)
    total = np.zeros((tokens, width), np.float64)
    for start in range(0, len(steps), per_batch):
        k = steps[start : start + per_batch]
        total += products(
            x, r, types, nodes[k].astype(np.float32), weights[k].astype(np.float32),
            token_rows[start : start + per_batch],
        ).numpy()
    return total


def accumulator_products(model, explanation):
    """The code before: the same rule and steps, each product by ``tf.autodiff.ForwardAccumulator``
    over (node, token) copies of the path point, in batches of 128 path-point tokens (its best
    setting). Returns its completeness error."""
    from smallbert_viz.explain._jacobians import gauss_legendre
    from smallbert_viz.explain.pair import _integrator, _pack

    integrator = _integrator(model, "cls", normalize=True)
    width = integrator.forward.config.hidden_size
    products = _COMPILED.get(id(integrator)) or _compile(integrator)
    table = integrator.forward.word_embeddings.numpy()
    nodes, weights = gauss_legendre(explanation.steps)
    sides = []
    for text in PAIR:
        ids, types, _ = _pack(model, text, 128)
        x = table[ids]
        r = np.broadcast_to(table[0], x.shape).copy()
        fx, fr = integrator.value(np.stack([x, r]), types).astype(np.float64)
        a = _accumulator_attributions(products, width, x, r, types, nodes, weights)
        sides.append((a, fx, fr))
    (a, fx, fr), (b, gy, gr) = sides
    offset = fr @ gy + fx @ gr - fr @ gr
    return abs((a @ b.T).sum() + offset - explanation.score)


def seconds(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def run(name, model, target, repeats, reverse):
    from smallbert_viz.explain import explain_pair

    def ours():
        return explain_pair(*PAIR, model=model, pooling="cls")

    ours()  # warm: self-check and traces
    times = []
    for _ in range(repeats):
        dt, e = seconds(ours)
        times.append(dt)
    warm = statistics.median(times)
    load = os.getloadavg()[0]
    accumulator_products(model, e)  # warm its trace
    old_dt, old_error = seconds(lambda: accumulator_products(model, e))
    print(
        f"{name}: explain_pair(cls) {warm:.2f} s warm (target <= {target:g} s: "
        f"{'met' if warm <= target else 'NOT met'}; load average {load:.1f} on "
        f"{os.cpu_count()} cores), {e.steps} steps, tokens {len(e.tokens_a)}x{len(e.tokens_b)}, "
        f"completeness error {e.completeness_error:.2e} (bound {e.tolerance:.2e})\n"
        f"{' ' * len(name)}  previous code (ForwardAccumulator products, the point recomputed "
        f"per token tangent), the same {e.steps} steps: "
        f"{old_dt:.2f} s, completeness error {old_error:.2e}; ratio {old_dt / warm:.1f}x",
        flush=True,
    )
    if reverse:
        reverse_mode(model, e)  # warm the baseline's trace too
        base_dt, base_error = seconds(lambda: reverse_mode(model, e))
        print(
            f"{' ' * len(name)}  reverse-mode GradientTape baseline, same {e.steps} steps: "
            f"{base_dt:.2f} s, completeness error {base_error:.2e}; ratio {base_dt / warm:.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["standin", "minilm"])
    parser.add_argument("--reverse", action="store_true", help="also time reverse mode")
    args = parser.parse_args()
    from smallbert_viz import load_model
    from smallbert_viz.models.standin import build_standin

    if args.only in (None, "standin"):
        folder = Path(tempfile.mkdtemp(prefix="bench-explain-"))
        encoder, pre = build_standin(folder, 8, 128, 2, seed=0)
        standin = load_model(encoder, preprocessor=pre)
        run("L-8_H-128_A-2 stand-in", standin, 2.0, args.repeats, args.reverse)
    if args.only in (None, "minilm"):
        minilm = load_model("all-MiniLM-L6-v2")
        run("all-MiniLM-L6-v2", minilm, 10.0, args.repeats, args.reverse)


if __name__ == "__main__":
    main()
