"""``EmbeddingSpec``: everything that decides a sentence vector, as one small value.

The views pass one of these instead of a model plus loose ``pooling`` / ``normalize`` /
``max_length`` keywords; it embeds texts, gives their token vectors and derives the
provenance, so no view assembles a provenance by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_choice, check_int
from .embedding import MAX_LENGTH_LIMIT, POOLINGS

if TYPE_CHECKING:
    from .embedding import TokenVectors
    from .models.model import BertModel
    from .provenance import Provenance

#: Wordpieces per text (with [CLS]/[SEP]) unless a view is told otherwise.
DEFAULT_MAX_LENGTH = 128


@dataclass(frozen=True, eq=False)
class EmbeddingSpec:
    """A model and the settings that turn its outputs into sentence vectors.

    Attributes
    ----------
    model : BertModel
    pooling : {"cls", "pooled", "mean"}
        Resolved (never None): the model's default when not chosen.
    normalize : bool
        Unit-length vectors.
    max_length : int
        Wordpieces per text including [CLS] and [SEP].
    """

    model: BertModel
    pooling: str
    normalize: bool = False
    max_length: int = DEFAULT_MAX_LENGTH

    @classmethod
    def of(
        cls,
        model: BertModel,
        pooling: str | None = None,
        *,
        normalize: bool = False,
        max_length: int = DEFAULT_MAX_LENGTH,
        owner: str = "EmbeddingSpec",
    ) -> EmbeddingSpec:
        """Validate the settings (house-style errors naming ``owner``) and fill defaults."""
        from .models.model import BertModel

        if not isinstance(model, BertModel):
            raise TypeError(
                f"The 'model' parameter of {owner} must be a BertModel from load_model(...). "
                f"Got {type(model).__name__} instead."
            )
        pooling = check_choice("pooling", pooling or model.default_pooling, POOLINGS, owner)
        if not isinstance(normalize, bool):
            raise TypeError(
                f"The 'normalize' parameter of {owner} must be True or False. Got {normalize!r}."
            )
        max_length = check_int("max_length", max_length, owner, low=2, high=MAX_LENGTH_LIMIT)
        return cls(model, pooling, normalize, max_length)

    def embed(self, texts: str | Iterable[str], *, progress: bool | None = None) -> np.ndarray:
        """``model.embed`` with these settings: float32 (N, H), or (H,) for one str."""
        return self.model.embed(
            texts,
            pooling=self.pooling,
            normalize=self.normalize,
            max_length=self.max_length,
            progress=progress,
        )

    def token_vectors(self, texts: str | Sequence[str]) -> TokenVectors | list[TokenVectors]:
        """Last-layer vectors of each text's tokens (see :func:`smallbert_viz.token_vectors`)."""
        from .embedding import token_vectors

        return token_vectors(self.model, texts, max_length=self.max_length)

    def provenance(self, **extra: Any) -> Provenance:
        """The provenance of vectors made with this spec, plus ``extra`` parameters."""
        prov = self.model.provenance(
            self.pooling, normalize=self.normalize, max_length=self.max_length
        )
        return prov.with_extra(**extra) if extra else prov

    def __repr__(self) -> str:
        return (
            f"EmbeddingSpec(model={self.model.info.name!r}, pooling={self.pooling!r}, "
            f"normalize={self.normalize}, max_length={self.max_length})"
        )
