"""smallbert-viz: see what a small BERT does with your sentences.

Light to import: TensorFlow, tensorflow_hub and umap load only when a model or a projection is
first needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_model": "smallbert_viz.models.loader",
    "BertModel": "smallbert_viz.models.model",
    "Provenance": "smallbert_viz.provenance",
    "ModelInfo": "smallbert_viz.provenance",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'smallbert_viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
