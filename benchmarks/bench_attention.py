"""Benchmark: per-head attention maps vs the encoder's own call, for 64 and 512 wordpieces.

Target: ``compute_attention`` for one 64-wordpiece sentence on the default model
(L-8_H-128_A-2) in at most 50 ms warm. Baseline: the encoder's own call on the same packed
input (which returns no attention probabilities). "Cold" is the first call on a model: it
includes the GELU self-check (one encoder call and one pass) and the tf.function trace.

Uses the real default model if it loads (TF Hub cache or network), else a stand-in of the same
architecture (random weights, identical shapes and therefore identical cost).

    .venv/bin/python benchmarks/bench_attention.py [--repeats 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SENTENCES = Path(__file__).parent / "data" / "sentences.txt"
TARGET_MS = 50.0


def load_default():
    from smallbert_viz import load_model
    from smallbert_viz.errors import ModelLoadError

    try:
        return load_model(), "real TF Hub weights"
    except ModelLoadError:
        from smallbert_viz.models.standin import build_standin

        folder = Path(tempfile.mkdtemp(prefix="bench-attention-"))
        encoder, pre = build_standin(folder, 8, 128, 2, seed=0)
        return load_model(encoder, preprocessor=pre), "stand-in, same architecture"


def text_of_length(model, pieces: int) -> str:
    """A text from the benchmark corpus with exactly ``pieces`` wordpieces incl. [CLS]/[SEP]."""
    words = SENTENCES.read_text(encoding="utf8").split()
    kept: list[str] = []
    count = 2
    for word in words:
        n = len(model.tokenize(word))
        if count + n <= pieces:
            kept.append(word)
            count += n
        if count == pieces:
            break
    text = " ".join(kept)
    assert len(model.tokenize(text)) + 2 == pieces, "could not build a text of that length"
    return text


def ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def median_ms(fn, repeats: int) -> float:
    return statistics.median(ms(fn) for _ in range(repeats))


def fresh(model):
    """The same loaded model with no cached attention pass (so the next call is cold)."""
    from smallbert_viz.models.model import BertModel

    return BertModel(model.spec, model.encoder, model.preprocessor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    import tensorflow as tf

    from smallbert_viz.attention import compute_attention
    from smallbert_viz.attention.forward import forward_for

    model, kind = load_default()
    print(f"model: {model.info.short()} ({kind}); TensorFlow {tf.__version__}")
    for pieces in (64, 512):
        text = text_of_length(model, pieces)
        segments = [model.preprocessor.tokenize(tf.constant([text]))]
        packed = model.preprocessor.bert_pack_inputs(segments, seq_length=tf.constant(pieces))
        arrays = [packed[k].numpy() for k in ("input_word_ids", "input_mask", "input_type_ids")]

        encoder_cold = ms(lambda p=packed: model.encoder(p))
        encoder_warm = median_ms(lambda p=packed: model.encoder(p), args.repeats)

        cold_model = fresh(model)
        attention_cold = ms(lambda m=cold_model, t=text: compute_attention(m, t))
        attention_warm = median_ms(
            lambda m=cold_model, t=text: compute_attention(m, t), args.repeats
        )
        forward = forward_for(cold_model)
        forward_warm = median_ms(lambda f=forward, a=arrays: f(*a), args.repeats)
        att = compute_attention(cold_model, text)
        assert att.num_tokens == pieces

        print(f"\n{pieces} wordpieces, probs {att.probs.shape} (GELU {forward.gelu})")
        print(
            f"  encoder own call (baseline)   cold {encoder_cold:8.1f} ms   warm {encoder_warm:7.2f} ms"
        )
        print(
            f"  compute_attention             cold {attention_cold:8.1f} ms   warm {attention_warm:7.2f} ms"
            f"   warm ratio vs encoder {attention_warm / encoder_warm:5.2f}x"
            f"   cold ratio {attention_cold / encoder_cold:5.2f}x"
        )
        print(
            f"  forward pass only (no tokenizing)                warm {forward_warm:7.2f} ms"
            f"   warm ratio vs encoder {forward_warm / encoder_warm:5.2f}x"
        )
        if pieces == 64:
            verdict = "OK" if attention_warm <= TARGET_MS else "OVER TARGET"
            print(f"  target: warm <= {TARGET_MS:.0f} ms -> {verdict}")


if __name__ == "__main__":
    main()
