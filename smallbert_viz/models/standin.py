"""Stand-in TF Hub models for tests and offline demos: the real file format, seeded weights.

``build_standin`` writes an encoder and a preprocessor exactly as TF Hub ships them (see
``tfhub_writer``) for any L/H/A, from given weights or a seeded random initialisation.
``install_in_tfhub_cache`` places them where tensorflow_hub looks for a handle
(``$TFHUB_CACHE_DIR/<sha1(handle)>``), so the real default loading path runs offline.
Stand-ins have random weights: their embeddings carry no meaning.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import numpy as np

from .config import BertConfig, random_weights
from .handles import cache_folder

MARKER = "smallbert_viz_standin.json"  # beside saved_model.pb: "these weights are random"


def build_standin(
    directory: str | os.PathLike,
    num_layers: int = 8,
    hidden_size: int = 128,
    num_heads: int | None = None,
    *,
    seed: int = 0,
    weights: dict[str, np.ndarray] | None = None,
    vocab_file: str | os.PathLike | None = None,
    intermediate_size: int | None = None,
    gelu: str = "tanh",
) -> tuple[Path, Path]:
    """Write ``directory/encoder`` and ``directory/preprocessor``; return both paths."""
    from .offline import uncased_vocab_file
    from .tfhub_writer import write_encoder, write_preprocessor

    heads = num_heads if num_heads is not None else max(1, hidden_size // 64)
    config = BertConfig(
        num_layers, hidden_size, heads, intermediate_size or 4 * hidden_size, gelu=gelu
    )
    vocab = Path(vocab_file) if vocab_file is not None else uncased_vocab_file()
    directory = Path(directory)
    encoder = write_encoder(
        directory / "encoder", config, weights or random_weights(config, seed), vocab
    )
    origin = "given weights" if weights is not None else f"random weights, seed {seed}"
    (encoder / MARKER).write_text(
        json.dumps({"stand_in": True, "weights": origin, "config": dataclasses.asdict(config)}),
        encoding="utf8",
    )
    pre = write_preprocessor(directory / "preprocessor", vocab)
    return encoder, pre


def is_standin(directory: str | os.PathLike) -> bool:
    """Whether a SavedModel folder was written by :func:`build_standin`."""
    return (Path(directory) / MARKER).is_file()


def install_in_tfhub_cache(source: str | os.PathLike, handle: str) -> Path:
    """Copy a SavedModel folder into the TF Hub cache folder of ``handle``; return it."""
    target = cache_folder(handle)
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    return target
