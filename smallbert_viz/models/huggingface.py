"""Convert a Hugging Face-format BERT directory into a TF Hub-format encoder + preprocessor.

Reads ``config.json``, ``model.safetensors`` and ``vocab.txt`` with ``safetensors.numpy`` (no
PyTorch), maps ``BertModel`` names onto the Model Garden names of
``../shared/docs/tfhub-format.md`` section 3 (Linear weights transposed, q/k/v reshaped to
``[H, A, d]``, the attention output to ``[A, d, H]``), and keeps the exact-erf GELU when
``hidden_act`` is ``"gelu"``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .config import BertConfig

_GELU = {"gelu": "erf", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "gelu_fast": "tanh"}


def read_config(model_dir: str | os.PathLike) -> BertConfig:
    """The BertConfig of a Hugging Face BERT directory."""
    path = Path(model_dir) / "config.json"
    try:
        cfg = json.loads(path.read_text(encoding="utf8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"Cannot read a BERT config.json in {str(model_dir)!r}: {exc}") from exc
    act = cfg.get("hidden_act", "gelu")
    if act not in _GELU:
        raise ValueError(
            f"hidden_act {act!r} in {path} is not supported; expected one of {list(_GELU)}."
        )
    return BertConfig(
        num_layers=cfg["num_hidden_layers"],
        hidden_size=cfg["hidden_size"],
        num_heads=cfg["num_attention_heads"],
        intermediate_size=cfg["intermediate_size"],
        vocab_size=cfg["vocab_size"],
        max_positions=cfg.get("max_position_embeddings", 512),
        type_vocab_size=cfg.get("type_vocab_size", 2),
        gelu=_GELU[act],
        layer_norm_eps=cfg.get("layer_norm_eps", 1e-12),
    )


def convert_weights(hf: dict[str, np.ndarray], config: BertConfig) -> dict[str, np.ndarray]:
    """Hugging Face ``BertModel`` tensors -> TF Hub-format variables (name -> float32 array)."""
    hf = {k.removeprefix("bert."): v for k, v in hf.items()}
    h, a, d = config.hidden_size, config.num_heads, config.head_size

    def get(name: str) -> np.ndarray:
        if name not in hf:
            raise ValueError(f"the safetensors file has no tensor {name!r}; is it a BertModel?")
        return np.asarray(hf[name], np.float32)

    out = {
        "word_embeddings/embeddings": get("embeddings.word_embeddings.weight"),
        "position_embedding/embeddings": get("embeddings.position_embeddings.weight"),
        "type_embeddings/embeddings": get("embeddings.token_type_embeddings.weight"),
        "embeddings/layer_norm/gamma": get("embeddings.LayerNorm.weight"),
        "embeddings/layer_norm/beta": get("embeddings.LayerNorm.bias"),
    }
    for n in range(config.num_layers):
        src, dst = f"encoder.layer.{n}.", f"transformer/layer_{n}/"
        for proj in ("query", "key", "value"):
            w = get(f"{src}attention.self.{proj}.weight")
            out[f"{dst}self_attention/{proj}/kernel"] = w.T.reshape(h, a, d)
            out[f"{dst}self_attention/{proj}/bias"] = get(
                f"{src}attention.self.{proj}.bias"
            ).reshape(a, d)
        w = get(f"{src}attention.output.dense.weight")
        out[f"{dst}self_attention/attention_output/kernel"] = w.T.reshape(a, d, h)
        out[f"{dst}self_attention/attention_output/bias"] = get(f"{src}attention.output.dense.bias")
        out[f"{dst}self_attention_layer_norm/gamma"] = get(
            f"{src}attention.output.LayerNorm.weight"
        )
        out[f"{dst}self_attention_layer_norm/beta"] = get(f"{src}attention.output.LayerNorm.bias")
        out[f"{dst}intermediate/kernel"] = get(f"{src}intermediate.dense.weight").T
        out[f"{dst}intermediate/bias"] = get(f"{src}intermediate.dense.bias")
        out[f"{dst}output/kernel"] = get(f"{src}output.dense.weight").T
        out[f"{dst}output/bias"] = get(f"{src}output.dense.bias")
        out[f"{dst}output_layer_norm/gamma"] = get(f"{src}output.LayerNorm.weight")
        out[f"{dst}output_layer_norm/beta"] = get(f"{src}output.LayerNorm.bias")
    if "pooler.dense.weight" in hf:
        out["pooler_transform/kernel"] = get("pooler.dense.weight").T
        out["pooler_transform/bias"] = get("pooler.dense.bias")
    else:  # a BertModel saved without its pooler: tanh(0) keeps "pooled" defined and honest
        out["pooler_transform/kernel"] = np.zeros((h, h), np.float32)
        out["pooler_transform/bias"] = np.zeros((h,), np.float32)
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def read_hf_bert(model_dir: str | os.PathLike) -> tuple[BertConfig, dict[str, np.ndarray]]:
    """Config and TF Hub-format weights of a Hugging Face BERT directory."""
    from safetensors.numpy import load_file

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    weights_file = model_dir / "model.safetensors"
    if not weights_file.is_file():
        raise FileNotFoundError(f"{weights_file} is missing; expected a safetensors BERT.")
    return config, convert_weights(load_file(str(weights_file)), config)


def lower_case_of(model_dir: str | os.PathLike) -> bool:
    path = Path(model_dir) / "tokenizer_config.json"
    if path.is_file():
        return bool(json.loads(path.read_text(encoding="utf8")).get("do_lower_case", True))
    return True


def convert_hf_bert(src_dir: str | os.PathLike, dst_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``dst_dir/encoder`` and ``dst_dir/preprocessor`` SavedModels from ``src_dir``."""
    from .tfhub_writer import write_encoder, write_preprocessor

    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    vocab = src_dir / "vocab.txt"
    if not vocab.is_file():
        raise FileNotFoundError(f"{vocab} is missing; a BERT directory needs its vocab.txt.")
    config, weights = read_hf_bert(src_dir)
    encoder = write_encoder(dst_dir / "encoder", config, weights, vocab)
    # The tokenizer the model was trained with, when its tokenizer.json is there.
    hf_tokenizer = src_dir / "tokenizer.json"
    pre = write_preprocessor(
        dst_dir / "preprocessor",
        vocab,
        lower_case=lower_case_of(src_dir),
        hf_tokenizer=hf_tokenizer if hf_tokenizer.is_file() else None,
    )
    return encoder, pre
