"""Architecture of a BERT encoder in TF Hub format, and the names and shapes of its variables.

The names follow the TF Model Garden ``BertEncoder`` export used by the TF Hub small BERTs
(``../shared/docs/tfhub-format.md`` section 3). Everything here is plain Python and numpy, so it
can describe a model without importing TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HEAD_SIZE = 64
VOCAB_SIZE = 30522
MAX_POSITIONS = 512
TYPE_VOCAB_SIZE = 2
GELU_KINDS = ("tanh", "erf")


@dataclass(frozen=True)
class BertConfig:
    """Sizes of a post-LayerNorm BERT encoder.

    ``gelu`` is ``"tanh"`` (the approximation used by Google's BERT and the TF Hub models) or
    ``"erf"`` (the exact form of Hugging Face's ``hidden_act="gelu"``).
    """

    num_layers: int
    hidden_size: int
    num_heads: int
    intermediate_size: int
    vocab_size: int = VOCAB_SIZE
    max_positions: int = MAX_POSITIONS
    type_vocab_size: int = TYPE_VOCAB_SIZE
    gelu: str = "tanh"
    layer_norm_eps: float = 1e-12

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}."
            )
        if self.gelu not in GELU_KINDS:
            raise ValueError(f"gelu must be one of {GELU_KINDS}. Got {self.gelu!r} instead.")

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_heads

    @classmethod
    def small_bert(
        cls, num_layers: int, hidden_size: int, num_heads: int | None = None
    ) -> BertConfig:
        """The config of a TF Hub small BERT: head size 64, FFN 4H, tanh GELU."""
        heads = num_heads if num_heads is not None else hidden_size // HEAD_SIZE
        return cls(num_layers, hidden_size, heads, 4 * hidden_size)

    def variable_shapes(self) -> dict[str, tuple[int, ...]]:
        """Variable name -> shape, in the order of the encoder's ``.variables``."""
        h, a, d, i = self.hidden_size, self.num_heads, self.head_size, self.intermediate_size
        shapes: dict[str, tuple[int, ...]] = {
            "word_embeddings/embeddings": (self.vocab_size, h),
            "position_embedding/embeddings": (self.max_positions, h),
            "type_embeddings/embeddings": (self.type_vocab_size, h),
            "embeddings/layer_norm/gamma": (h,),
            "embeddings/layer_norm/beta": (h,),
        }
        for n in range(self.num_layers):
            p = f"transformer/layer_{n}/"
            for proj in ("query", "key", "value"):
                shapes[f"{p}self_attention/{proj}/kernel"] = (h, a, d)
                shapes[f"{p}self_attention/{proj}/bias"] = (a, d)
            shapes[f"{p}self_attention/attention_output/kernel"] = (a, d, h)
            shapes[f"{p}self_attention/attention_output/bias"] = (h,)
            shapes[f"{p}self_attention_layer_norm/gamma"] = (h,)
            shapes[f"{p}self_attention_layer_norm/beta"] = (h,)
            shapes[f"{p}intermediate/kernel"] = (h, i)
            shapes[f"{p}intermediate/bias"] = (i,)
            shapes[f"{p}output/kernel"] = (i, h)
            shapes[f"{p}output/bias"] = (h,)
            shapes[f"{p}output_layer_norm/gamma"] = (h,)
            shapes[f"{p}output_layer_norm/beta"] = (h,)
        shapes["pooler_transform/kernel"] = (h, h)
        shapes["pooler_transform/bias"] = (h,)
        return shapes

    def num_parameters(self) -> int:
        return int(sum(int(np.prod(s)) for s in self.variable_shapes().values()))

    @classmethod
    def from_variable_shapes(
        cls, shapes: dict[str, tuple[int, ...]], gelu: str = "tanh"
    ) -> BertConfig:
        """Infer the config from an encoder's variables (name -> shape); raise if not a BERT."""
        try:
            vocab, h = shapes["word_embeddings/embeddings"]
            positions = shapes["position_embedding/embeddings"][0]
            types = shapes["type_embeddings/embeddings"][0]
            _, a, _ = shapes["transformer/layer_0/self_attention/query/kernel"]
            inter = shapes["transformer/layer_0/intermediate/kernel"][1]
        except (KeyError, ValueError) as exc:
            raise ValueError(f"missing or misshapen BERT encoder variable: {exc}") from exc
        layers = 0
        while f"transformer/layer_{layers}/self_attention/query/kernel" in shapes:
            layers += 1
        config = cls(layers, h, a, inter, vocab, positions, types, gelu)
        expected = config.variable_shapes()
        missing = [k for k in expected if k not in shapes]
        wrong = [k for k in expected if k in shapes and tuple(shapes[k]) != expected[k]]
        if missing or wrong:
            raise ValueError(
                f"variables do not match a BERT encoder: missing {missing[:3]}, "
                f"wrong shape {[(k, shapes[k], expected[k]) for k in wrong[:3]]}"
            )
        return config


def random_weights(config: BertConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded random float32 weights for every variable (truncated-normal-like, std 0.02).

    LayerNorm gammas are 1 and betas 0 plus small noise, so the stand-in behaves like a trained
    BERT numerically (no exploding activations).
    """
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in config.variable_shapes().items():
        if name.endswith("/gamma"):
            w = 1.0 + 0.05 * rng.standard_normal(shape)
        elif name.endswith("/beta") or name.endswith("/bias"):
            w = 0.02 * rng.standard_normal(shape)
        else:
            w = np.clip(rng.standard_normal(shape), -2, 2) * 0.02
        weights[name] = w.astype(np.float32)
    return weights
