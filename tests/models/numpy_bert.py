"""An independent numpy BERT forward pass over Hugging Face tensor names (test reference)."""

from __future__ import annotations

import math

import numpy as np


def _ln(x, g, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _gelu_erf(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def forward(w: dict, cfg: dict, ids: np.ndarray, type_ids: np.ndarray | None = None):
    """Hidden states of every layer for one unpadded sequence ``ids`` [T] (float64)."""
    w = {k: np.asarray(v, np.float64) for k, v in w.items()}
    eps = cfg.get("layer_norm_eps", 1e-12)
    heads = cfg["num_attention_heads"]
    t = len(ids)
    type_ids = np.zeros(t, int) if type_ids is None else type_ids
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:t]
        + w["embeddings.token_type_embeddings.weight"][type_ids]
    )
    x = _ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    layers = []
    for n in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{n}."

        def lin(name, inp, p=p):
            return inp @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        h = x.shape[-1]
        d = h // heads
        q = lin("attention.self.query", x).reshape(t, heads, d).transpose(1, 0, 2)
        k = lin("attention.self.key", x).reshape(t, heads, d).transpose(1, 0, 2)
        v = lin("attention.self.value", x).reshape(t, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        probs = s / s.sum(-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(t, h)
        a = _ln(
            x + lin("attention.output.dense", ctx),
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        inter = _gelu_erf(lin("intermediate.dense", a))
        x = _ln(
            a + lin("output.dense", inter),
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
            eps,
        )
        layers.append(x)
    return layers
