"""Where the numbers came from: the model actually used, its pooling and parameters.

One type, :class:`Provenance`, travels with every result: embeddings (through
:class:`~smallbert_viz.embedding_spec.EmbeddingSpec`), attention, analyses, figures, widgets,
reports. Figure subtitles show :meth:`Provenance.describe`, report tables
:meth:`Provenance.rows`. Vectors made elsewhere (no model here) are named with
:meth:`Provenance.from_text`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is: handles or paths, architecture and default pooling.

    ``substitute_for`` names the model that was asked for when this one was loaded in its
    place (the offline fallback), ``note`` says why; both show in every provenance.
    ``precision`` is what its matrix products compute in ("float32", or the label of
    ``load_model(precision="bfloat16")``, e.g. "bfloat16 math (oneDNN)"); every
    :class:`Provenance` made from this model shows it.
    """

    name: str
    encoder_handle: str
    preprocessor_handle: str
    num_layers: int
    hidden_size: int
    num_heads: int
    vocab_size: int
    num_parameters: int
    default_pooling: str
    source: str = "tfhub"  # "tfhub" | "kaggle" | "local" | "offline" | "stand-in"
    substitute_for: str | None = None
    note: str | None = None
    precision: str = "float32"

    def short(self) -> str:
        kind = ", RANDOM-WEIGHT STAND-IN" if self.source == "stand-in" else ""
        instead = f", in place of {self.substitute_for}" if self.substitute_for else ""
        return (
            f"{self.name} (L={self.num_layers}, H={self.hidden_size}, A={self.num_heads}, "
            f"{self.num_parameters:,} parameters{kind}{instead})"
        )


@dataclass(frozen=True)
class Provenance:
    """A model plus the parameters that turned text into the numbers shown.

    Attributes
    ----------
    model : ModelInfo or None
        None only for numbers made elsewhere (see :meth:`from_text`).
    pooling : str or None
        None for per-token results such as attention.
    normalize : bool
    max_length : int
        Wordpieces per text including [CLS]/[SEP].
    precision : str
        ``"float32"`` unless reduced precision was asked for; taken from ``model.precision``
        when left at its default.
    kind : str
        What the numbers are ("sentence embeddings", "attention probabilities", ...).
    extra : dict of str -> Any
        Further parameters, in display order (method, seed, k, ...).
    steps : tuple of str
        Transformations applied since (e.g. "wordpieces merged into words").
    text : str or None
        A free description, for numbers made elsewhere.
    """

    model: ModelInfo | None
    pooling: str | None = None
    normalize: bool = False
    max_length: int = 128
    precision: str = "float32"
    kind: str = "sentence embeddings"
    extra: dict[str, Any] = field(default_factory=dict)
    steps: tuple[str, ...] = ()
    text: str | None = None

    def __post_init__(self) -> None:
        # Every provenance made from a model (embeddings, attention, analyses) names the
        # precision that model computed in, without each caller passing it.
        if self.model is not None and self.precision == "float32":
            object.__setattr__(self, "precision", self.model.precision)

    @classmethod
    def from_text(cls, text: str, **extra: Any) -> Provenance:
        """The provenance of numbers made elsewhere, described by the user."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(
                "A provenance needs a non-empty description of how the numbers were made, e.g. "
                f"'all-MiniLM-L6-v2, mean pooling, normalized'. Got {text!r} instead."
            )
        return cls(model=None, text=text.strip(), extra=dict(extra))

    @classmethod
    def coerce(cls, value: Provenance | str | None, owner: str) -> Provenance | None:
        """``value`` as a Provenance (a str becomes :meth:`from_text`); TypeError otherwise."""
        if value is None or isinstance(value, Provenance):
            return value
        if isinstance(value, str):
            return cls.from_text(value)
        raise TypeError(
            f"The 'provenance' parameter of {owner} must be a Provenance or a str (e.g. "
            f"model.provenance('mean')). Got {type(value).__name__} instead."
        )

    def describe(self) -> str:
        """One line for figure subtitles and widget headers."""
        parts = [] if self.kind == "sentence embeddings" else [self.kind]
        if self.text is not None:
            parts.append(self.text)
        if self.model is not None:
            parts.append(f"model: {self.model.short()}")
            if self.pooling is not None:
                parts += [
                    f"pooling: {self.pooling}",
                    f"normalized: {'yes' if self.normalize else 'no'}",
                ]
            parts.append(f"max_length: {self.max_length}")
            if self.precision != "float32":
                parts.append(f"precision: {self.precision}")
        parts += [f"{k}: {v}" for k, v in self.extra.items()]
        parts += list(self.steps)
        return " | ".join(parts)

    def __str__(self) -> str:
        return self.describe()

    def rows(self) -> list[tuple[str, str]]:
        """(field, value) pairs for a provenance table, in display order."""
        if self.model is None:
            rows = [("embeddings", self.text or "made elsewhere")]
        else:
            info = self.model
            source = info.source
            if info.note:
                source += f" \u2014 {info.note}"
            rows = [
                ("model", info.name + (f" (in place of {info.substitute_for})" if info.substitute_for else "")),
                ("source", source),
                ("encoder", info.encoder_handle),
                ("preprocessor", info.preprocessor_handle),
                (
                    "size",
                    f"{info.num_layers} layers, hidden size {info.hidden_size}, "
                    f"{info.num_heads} heads, vocabulary {info.vocab_size:,}",
                ),
                ("parameters", f"{info.num_parameters:,}"),
            ]
            if self.pooling is not None:
                default = " (model default)" if self.pooling == info.default_pooling else ""
                rows += [
                    ("pooling", self.pooling + default),
                    ("normalization", "unit length (L2)" if self.normalize else "none"),
                ]
            rows += [
                ("max_length", f"{self.max_length} wordpieces including [CLS] and [SEP]"),
                ("precision", self.precision),
            ]
        rows += [(str(k), str(v)) for k, v in self.extra.items()]
        rows += [("step", s) for s in self.steps]
        return rows

    def with_extra(self, **extra: Any) -> Provenance:
        """A copy with more parameters (later values replace earlier ones of the same name)."""
        return dataclasses.replace(self, extra={**self.extra, **extra})

    def then(self, step: str) -> Provenance:
        """A copy that also names a transformation applied since."""
        if step in self.steps:
            return self
        return dataclasses.replace(self, steps=(*self.steps, step))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
