"""``load_model``: resolve a name, handle or path, load it through tensorflow_hub, check it.

Every failure becomes a ``ModelLoadError`` subclass whose message names the handle or path, what
went wrong and what to do next (a local directory, the TF Hub cache folder, the offline model).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError, ModelNotFoundError, NotABertEncoderError
from . import handles
from .handles import ModelSpec
from .precision import PrecisionMode, set_precision


def resolve(
    model: str | os.PathLike | None = None, preprocessor: str | os.PathLike | None = None
) -> ModelSpec:
    """Turn what the user passed to ``load_model`` into encoder and preprocessor locations."""
    from . import offline

    if model is None:
        spec = handles.small_bert_spec(handles.DEFAULT_NAME)
    elif not isinstance(model, (str, os.PathLike)):
        raise TypeError(
            f"model must be a name, handle or path (str or os.PathLike). Got {model!r} "
            f"({type(model).__name__}) instead."
        )
    elif isinstance(model, str) and model in offline.OFFLINE_MODELS:
        spec = offline.offline_spec(model)
    elif isinstance(model, str) and handles.is_url_handle(model):
        pre = handles.matching_preprocessor(model)
        if pre is None and preprocessor is None:
            raise ValueError(
                f"Cannot tell which preprocessor goes with {model!r}: pass "
                "preprocessor='<handle or path>' (for example the cased or multilingual "
                "preprocessor that its model page names)."
            )
        source = "kaggle" if "kaggle.com" in model else "tfhub"
        spec = ModelSpec(handles.short_name_of(model), model, pre or "", "cls", source)
    elif isinstance(model, os.PathLike) or os.sep in model or Path(model).exists():
        path = str(Path(model).expanduser())
        spec = ModelSpec(_local_name(path), path, handles.TFHUB_PREPROCESSOR, "cls", "local")
    else:
        spec = handles.small_bert_spec(model)
    if preprocessor is not None:
        spec = dataclasses.replace(spec, preprocessor=str(preprocessor))
    return spec


def _local_name(path: str) -> str:
    """A readable name for a local directory: ``parent/encoder`` when the folder is generic."""
    p = Path(path)
    name = handles.short_name_of(path)
    if (
        p.name.lower() in {"encoder", "model", "saved_model", "savedmodel", "1", "2"}
        and p.parent.name
    ):
        name = f"{p.parent.name}/{p.name}"
    return name


def _load_savedmodel(location: str, role: str) -> Any:
    """hub.load one encoder or preprocessor, turning every failure into a clear error."""
    from .._quiet import quiet_tensorflow

    with quiet_tensorflow():  # TensorFlow's start-up noise stays hidden unless asked for
        import tensorflow_hub as hub
        import tensorflow_text  # noqa: F401  (registers the TF Text ops the preprocessor uses)

    if handles.is_url_handle(location):
        folder = handles.cache_folder(location)
        try:
            return hub.load(location)
        except Exception as exc:  # noqa: BLE001 - every failure gets the same advice
            cached = folder.is_dir() and any(folder.iterdir())
            if cached:
                raise ModelLoadError(
                    f"The cached copy of the {role} {location!r} in {folder} could not be read "
                    f"({type(exc).__name__}: {exc}). Delete that folder and download it again, "
                    "or pass a local SavedModel directory."
                ) from exc
            raise ModelNotFoundError(
                f"Could not download the {role} {location!r} ({type(exc).__name__}: "
                f"{_short(exc)}). This machine may have no network access. To proceed: download "
                f"the model elsewhere and unpack it into the TF Hub cache folder {folder} (set "
                "TFHUB_CACHE_DIR to move the cache), or pass the path of a local SavedModel "
                "directory, or use the offline pretrained model: load_model('all-MiniLM-L6-v2')."
            ) from exc

    path = Path(location)
    if not path.exists():
        raise ModelNotFoundError(
            f"The {role} directory {str(path)!r} does not exist. Pass the folder that contains "
            "saved_model.pb, a TF Hub handle, or a short name such as 'L-8_H-128_A-2'."
        )
    if not path.is_dir():
        raise ModelLoadError(
            f"The {role} path {str(path)!r} is a file, not a SavedModel directory. Pass the "
            "folder that contains saved_model.pb (unpack a downloaded .tar.gz first)."
        )
    if not (path / "saved_model.pb").is_file():
        what = "is empty" if not any(path.iterdir()) else "has no saved_model.pb"
        raise ModelLoadError(
            f"The {role} directory {str(path)!r} {what}, so it is not a SavedModel. Pass the "
            "folder that contains saved_model.pb and variables/."
        )
    try:
        return hub.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(
            f"The {role} SavedModel in {str(path)!r} is corrupt or incomplete "
            f"({type(exc).__name__}: {_short(exc)}). Download or build it again."
        ) from exc


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_model(
    model: str | os.PathLike | None = None,
    *,
    preprocessor: str | os.PathLike | None = None,
    fallback: bool = False,
    precision: str = "float32",
):
    """Load a TF Hub-format BERT encoder with its preprocessor.

    Parameters
    ----------
    model : str or path, optional
        ``None`` for the TF Hub small BERT ``L-8_H-128_A-2``; a short name of any of the 24
        small BERTs (``"L-4_H-256_A-4"``); ``"all-MiniLM-L6-v2"`` (pretrained, offline, built
        on first use); a tfhub.dev or Kaggle handle; or a local SavedModel directory.
    preprocessor : str or path, optional
        Handle or directory of the matching preprocessor; defaults to
        ``bert_en_uncased_preprocess/3`` (or the offline model's own).
    fallback : bool
        With ``model=None``: when the TF Hub small BERT is neither cached nor downloadable,
        load the offline pretrained ``all-MiniLM-L6-v2`` instead. The substitution is never
        silent: ``model.note`` says why, and the model's provenance (every subtitle, report
        and repr) names it "in place of L-8_H-128_A-2". Ignored when ``model`` is given.
    precision : {"float32", "bfloat16"}
        ``"float32"`` (default) computes exactly. ``"bfloat16"`` turns on TensorFlow's oneDNN
        bfloat16 math mode (``TF_SET_ONEDNN_FPMATH_MODE=BF16``): faster on CPUs with bf16 units
        (AVX512-BF16, AMX), with vectors close to but not equal to float32 (see
        ``benchmarks/bench_precision.py`` for the measured cosine). The mode is process-wide and
        fixed at TensorFlow's first oneDNN operation: every model of a process must use the same
        precision (else :class:`~smallbert_viz.models.precision.PrecisionMixError`; restart the
        kernel to switch), and ``"bfloat16"`` must come before anything else runs TensorFlow. Where
        products are not rounded (a CPU without bf16 units, oneDNN off, or oneDNN keeping float32
        products: measured with a probe product) it warns that it gains nothing, and still
        works. The model's provenance names the precision actually used.

    Returns
    -------
    BertModel

    Raises
    ------
    PrecisionMixError
        This process already computes in the other precision.
    """
    if not isinstance(fallback, bool):
        raise TypeError(
            f"The 'fallback' parameter of load_model must be True or False. Got {fallback!r}."
        )
    # Before anything below runs TensorFlow: the bf16 mode must be set before its first op.
    mode = set_precision(precision, owner="load_model")
    if fallback and model is None and preprocessor is None:
        try:
            return _load(resolve(None), precision=mode)
        except ModelNotFoundError as exc:
            first = str(exc).split(". ")[0]
            note = (
                f"TF Hub small BERT {handles.DEFAULT_NAME} unavailable ({first}); using the "
                f"offline pretrained model {OFFLINE_FALLBACK!r} instead."
            )
            return _load(
                resolve(OFFLINE_FALLBACK),
                substitute_for=handles.DEFAULT_NAME,
                note=note,
                precision=mode,
            )
    return _load(resolve(model, preprocessor), precision=mode)


#: What ``load_model(fallback=True)`` loads when the TF Hub small BERT cannot be reached.
OFFLINE_FALLBACK = "all-MiniLM-L6-v2"


def _load(
    spec: ModelSpec,
    *,
    substitute_for: str | None = None,
    note: str | None = None,
    precision: PrecisionMode | None = None,
):
    from .model import BertModel
    from .standin import is_standin

    encoder = _load_savedmodel(spec.encoder, "encoder")
    folder = (
        handles.cache_folder(spec.encoder) if handles.is_url_handle(spec.encoder) else spec.encoder
    )
    if is_standin(folder):  # never let random weights pass for the real model
        spec = dataclasses.replace(spec, source="stand-in")
    _check_encoder(encoder, spec.encoder)
    pre = _load_savedmodel(spec.preprocessor, "preprocessor")
    _check_preprocessor(pre, spec.preprocessor)
    return BertModel(
        spec, encoder, pre, substitute_for=substitute_for, note=note, precision=precision
    )


def _check_encoder(encoder: Any, location: str) -> None:
    if not callable(encoder) or not hasattr(encoder, "variables"):
        raise NotABertEncoderError(
            f"{location!r} loaded, but it is not a callable TF Hub encoder (no __call__ or "
            "variables). Pass a BERT encoder such as small_bert/bert_en_uncased_L-8_H-128_A-2."
        )
    names = {v.name.split(":")[0] for v in encoder.variables}
    if "word_embeddings/embeddings" not in names or not any(
        "transformer/layer_0/" in n for n in names
    ):
        looks_like = "a preprocessor" if hasattr(encoder, "tokenize") else "not a BERT encoder"
        raise NotABertEncoderError(
            f"{location!r} loaded, but it is {looks_like}: it has no BERT encoder variables "
            "(word_embeddings/embeddings, transformer/layer_0/...). Pass the encoder as the model "
            "and the preprocessor with preprocessor=."
        )


def _check_preprocessor(pre: Any, location: str) -> None:
    missing = [a for a in ("tokenize", "bert_pack_inputs") if not hasattr(pre, a)]
    if missing:
        raise NotABertEncoderError(
            f"{location!r} loaded, but it is not a BERT preprocessor (it has no "
            f"{', '.join(missing)}). Pass a preprocessor such as bert_en_uncased_preprocess/3."
        )
