"""``BertModel``: a loaded encoder + preprocessor pair that knows where it came from."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..provenance import ModelInfo, Provenance
from .config import BertConfig
from .handles import ModelSpec
from .precision import PrecisionMode

if TYPE_CHECKING:
    from ..attention.result import Attention


class BertModel:
    """A TF Hub-format BERT encoder with its preprocessor.

    Create it with :func:`smallbert_viz.load_model`. ``info`` holds the provenance (handles or
    paths, layers, hidden size, heads, vocabulary, parameters, default pooling, precision);
    ``repr()`` shows it. ``precision_mode`` says what ``load_model(precision=...)`` asked for and
    whether this machine honours it (see :mod:`smallbert_viz.models.precision`). ``embed`` turns texts into vectors; ``attention`` gives per-head attention maps.
    """

    def __init__(
        self,
        spec: ModelSpec,
        encoder: Any,
        preprocessor: Any,
        *,
        substitute_for: str | None = None,
        note: str | None = None,
        precision: PrecisionMode | None = None,
    ) -> None:
        self.spec = spec
        self.precision_mode = precision or PrecisionMode()
        self.encoder = encoder
        self.preprocessor = preprocessor
        shapes = {v.name.split(":")[0]: tuple(v.shape) for v in encoder.variables}
        try:
            self.config = BertConfig.from_variable_shapes(shapes)
        except ValueError as exc:
            from ..errors import NotABertEncoderError

            raise NotABertEncoderError(
                f"{spec.encoder!r} is not a BERT encoder in TF Hub format: {exc}"
            ) from exc
        special = {k: int(v) for k, v in preprocessor.tokenize.get_special_tokens_dict().items()}
        self.special_tokens = special
        self.info = ModelInfo(
            name=spec.name,
            encoder_handle=spec.encoder,
            preprocessor_handle=spec.preprocessor,
            num_layers=self.config.num_layers,
            hidden_size=self.config.hidden_size,
            num_heads=self.config.num_heads,
            vocab_size=self.config.vocab_size,
            num_parameters=self.config.num_parameters(),
            default_pooling=spec.default_pooling,
            source=spec.source,
            substitute_for=substitute_for,
            note=note,
            precision=self.precision_mode.label(),
        )

    def __repr__(self) -> str:
        i = self.info
        instead = f"          in place of {i.substitute_for!r}: {i.note}\n" if i.note else ""
        precision = (
            f"          precision={i.precision!r},\n" if i.precision != "float32" else ""
        )
        return (
            f"BertModel({i.name!r}, layers={i.num_layers}, hidden={i.hidden_size}, "
            f"heads={i.num_heads}, vocab={i.vocab_size}, parameters={i.num_parameters:,}, "
            f"default_pooling={i.default_pooling!r}, source={i.source!r},\n"
            f"{instead}{precision}"
            f"          encoder={i.encoder_handle!r},\n"
            f"          preprocessor={i.preprocessor_handle!r})"
        )

    @property
    def hidden_size(self) -> int:
        return self.config.hidden_size

    @property
    def default_pooling(self) -> str:
        return self.spec.default_pooling

    @property
    def precision(self) -> str:
        """``"float32"`` or ``"bfloat16"``: what ``load_model(precision=...)`` asked for."""
        return self.precision_mode.name

    @property
    def note(self) -> str | None:
        """Why this model was loaded in place of the one asked for (the offline fallback)."""
        return self.info.note

    def provenance(
        self, pooling: str | None = None, *, normalize: bool = False, max_length: int = 128
    ) -> Provenance:
        """The provenance record for sentence embeddings made with these settings."""
        return Provenance(
            self.info,
            pooling=pooling or self.default_pooling,
            normalize=normalize,
            max_length=max_length,
        )

    @cached_property
    def vocab(self) -> list[str]:
        """The wordpiece vocabulary (id -> token), read from the encoder's ``vocab_file``."""
        path = self.encoder.vocab_file.asset_path.numpy().decode("utf8")
        with open(path, encoding="utf8") as fh:
            return [line.rstrip("\n") for line in fh]

    def tokenize(self, texts: str | Iterable[str]) -> list[list[str]] | list[str]:
        """Wordpieces of each text as the preprocessor splits them (no [CLS]/[SEP])."""
        from ..embedding import token_ids

        single = isinstance(texts, str)
        ids = token_ids(self, [texts] if single else list(texts))
        vocab = self.vocab
        pieces = [[vocab[i] for i in row] for row in ids]
        return pieces[0] if single else pieces

    def embed(
        self,
        texts: str | Iterable[str],
        pooling: str | None = None,
        normalize: bool = False,
        batch_size: int | None = None,
        max_length: int = 128,
        progress: bool | None = None,
        cache: bool = True,
    ) -> np.ndarray:
        """Sentence embeddings, float32 ``[N, H]`` in input order (``[H]`` for one string).

        See :func:`smallbert_viz.embedding.embed` for the parameters (``cache=False``: embed
        every text again instead of reusing the on-disk embedding cache).
        """
        from ..embedding import embed

        return embed(
            self,
            texts,
            pooling=pooling,
            normalize=normalize,
            batch_size=batch_size,
            max_length=max_length,
            progress=progress,
            cache=cache,
        )

    def layer_embeddings(
        self,
        texts: str | Iterable[str],
        pooling: str | None = None,
        *,
        max_length: int = 128,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """One sentence vector per layer, float32 ``[layers, N, H]`` (``[layers, H]`` for one
        string); ``pooling`` is ``"cls"`` or ``"mean"``, the last layer equals ``embed``.

        See :func:`smallbert_viz.layer_embeddings.layer_embeddings`.
        """
        from ..layer_embeddings import layer_embeddings

        return layer_embeddings(
            self, texts, pooling, max_length=max_length, batch_size=batch_size
        )

    def attention(
        self, text: str, text_pair: str | None = None, *, max_length: int = 512
    ) -> Attention:
        """Per-head attention probabilities for one text or a text pair."""
        from ..attention import compute_attention

        return compute_attention(self, text, text_pair, max_length=max_length)
