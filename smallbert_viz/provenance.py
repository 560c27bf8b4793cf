"""Where an embedding came from: the model actually used, its pooling and parameters.

Every figure, widget, report and result names its provenance; builders receive it as a plain
string (``Provenance.describe()``) so that the figure layer stays free of model code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is: handles or paths, architecture and default pooling."""

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

    def short(self) -> str:
        kind = ", RANDOM-WEIGHT STAND-IN" if self.source == "stand-in" else ""
        return (
            f"{self.name} (L={self.num_layers}, H={self.hidden_size}, A={self.num_heads}, "
            f"{self.num_parameters:,} parameters{kind})"
        )


@dataclass(frozen=True)
class Provenance:
    """A model plus the parameters that turned text into the numbers shown."""

    model: ModelInfo
    pooling: str
    normalize: bool = False
    max_length: int = 128
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for figure subtitles and report headers."""
        parts = [
            f"model: {self.model.short()}",
            f"pooling: {self.pooling}",
            f"normalized: {'yes' if self.normalize else 'no'}",
            f"max_length: {self.max_length}",
        ]
        parts += [f"{k}: {v}" for k, v in self.extra.items()]
        return " | ".join(parts)

    def with_extra(self, **extra: Any) -> Provenance:
        merged = {**self.extra, **extra}
        return Provenance(self.model, self.pooling, self.normalize, self.max_length, merged)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
