"""Names of the TF Hub small BERTs: short names, tfhub.dev and Kaggle handles, cache folders.

Plain Python: resolving a name never imports TensorFlow or touches the network.

The default handles live on ``https://tfhub.dev``. The environment variable
``SMALLBERT_VIZ_TFHUB_URL`` names another server (a mirror, or an unreachable address such as
``http://127.0.0.1:9`` so that nothing is downloaded: the test suite sets it). It is read once,
when this module is first imported, so set it before importing ``smallbert_viz``; subprocesses
and notebook kernels inherit it. The TF Hub cache folder of a handle is the SHA-1 of the handle
in force, so a model cached under one server's handles is not found under another's.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

LAYERS = (2, 4, 6, 8, 10, 12)
HIDDEN_SIZES = (128, 256, 512, 768)
SMALL_BERT_NAMES = tuple(f"L-{L}_H-{H}_A-{H // 64}" for L in LAYERS for H in HIDDEN_SIZES)
DEFAULT_NAME = "L-8_H-128_A-2"

#: The environment variable that names the TF Hub server of the default handles.
TFHUB_URL_ENV = "SMALLBERT_VIZ_TFHUB_URL"
DEFAULT_TFHUB_URL = "https://tfhub.dev"
#: The TF Hub server in force: $SMALLBERT_VIZ_TFHUB_URL without a trailing slash, else tfhub.dev.
TFHUB_URL = os.environ.get(TFHUB_URL_ENV, "").strip().rstrip("/") or DEFAULT_TFHUB_URL
TFHUB_ENCODER = TFHUB_URL + "/tensorflow/small_bert/bert_en_uncased_{name}/2"
TFHUB_PREPROCESSOR = TFHUB_URL + "/tensorflow/bert_en_uncased_preprocess/3"
KAGGLE_ENCODER = (
    "https://www.kaggle.com/models/tensorflow/bert/TensorFlow2/bert-en-uncased-{name}/2"
)
KAGGLE_PREPROCESSOR = (
    "https://www.kaggle.com/models/tensorflow/bert/TensorFlow2/en-uncased-preprocess/3"
)

_SHORT = re.compile(r"(?:small_bert/bert_en_uncased_)?L-(\d+)_H-(\d+)_A-(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ModelSpec:
    """Where to find an encoder and its preprocessor, before anything is loaded."""

    name: str
    encoder: str
    preprocessor: str
    default_pooling: str = "cls"
    source: str = "tfhub"  # "tfhub" | "kaggle" | "local" | "offline"


def small_bert_spec(name: str = DEFAULT_NAME, *, kaggle: bool = False) -> ModelSpec:
    """The spec of one of the 24 TF Hub small BERTs by short name such as ``"L-4_H-256_A-4"``."""
    match = _SHORT.fullmatch(name.strip())
    if not match:
        raise ValueError(_unknown_name_message(name))
    L, H, A = (int(g) for g in match.groups())
    short = f"L-{L}_H-{H}_A-{A}"
    if short not in SMALL_BERT_NAMES:
        raise ValueError(
            f"{name!r} is not one of the 24 TF Hub small BERTs: L must be one of {LAYERS}, "
            f"H one of {HIDDEN_SIZES}, and A = H/64 (for example 'L-8_H-128_A-2')."
        )
    if kaggle:
        encoder = KAGGLE_ENCODER.format(name=short.lower().replace("_", "-"))
        return ModelSpec(short, encoder, KAGGLE_PREPROCESSOR, source="kaggle")
    _check_tfhub_url()
    return ModelSpec(short, TFHUB_ENCODER.format(name=short), TFHUB_PREPROCESSOR)


def _check_tfhub_url() -> None:
    # Checked where the default handles are used rather than at import, which must not fail.
    if not TFHUB_URL.startswith(("https://", "http://")):
        raise ValueError(
            f"The {TFHUB_URL_ENV} environment variable must be an http(s) URL such as "
            f"{DEFAULT_TFHUB_URL!r}. Got {TFHUB_URL!r} instead. Fix or unset it and restart "
            "Python (it is read when smallbert_viz is imported)."
        )


def is_url_handle(handle: str) -> bool:
    return handle.startswith(("https://", "http://", "gs://"))


def matching_preprocessor(encoder_handle: str) -> str | None:
    """The uncased preprocessor that goes with an uncased encoder handle, else None."""
    h = encoder_handle.lower()
    if "uncased" not in h:
        return None
    if "kaggle.com" in h:
        return KAGGLE_PREPROCESSOR
    _check_tfhub_url()
    return TFHUB_PREPROCESSOR


def short_name_of(handle: str) -> str:
    """A readable name for a handle or path: the small BERT short name when there is one."""
    match = _SHORT.search(handle)
    if match:
        return "L-{}_H-{}_A-{}".format(*match.groups())
    return handle.rstrip("/").split("/")[-1] or handle


def tfhub_cache_dir() -> Path:
    """The folder tensorflow_hub caches downloads in: $TFHUB_CACHE_DIR, else <tmp>/tfhub_modules."""
    env = os.environ.get("TFHUB_CACHE_DIR")
    return Path(env) if env else Path(tempfile.gettempdir()) / "tfhub_modules"


def cache_folder(handle: str) -> Path:
    """The cache folder tensorflow_hub uses for ``handle``: ``<cache>/<sha1(handle)>``."""
    return tfhub_cache_dir() / hashlib.sha1(handle.encode("utf8")).hexdigest()


def _unknown_name_message(name: str) -> str:
    return (
        f"Unknown model {name!r}. Use a small BERT short name such as 'L-8_H-128_A-2' (any of "
        f"{len(SMALL_BERT_NAMES)}: L in {LAYERS}, H in {HIDDEN_SIZES}, A = H/64), "
        "'all-MiniLM-L6-v2' (offline, pretrained), a full tfhub.dev or Kaggle handle, or the "
        "path of a local SavedModel directory."
    )
