"""Per-head attention maps of TF Hub BERT encoders.

``compute_attention(model, text, text_pair=None, *, max_length=512) -> Attention`` recomputes the
encoder's forward pass from its own variables (self-checked against the encoder, see
:mod:`smallbert_viz.attention.forward`) and keeps every layer's attention probabilities.
Importing this package does not import TensorFlow.
"""

from __future__ import annotations

from .compute import compute_attention
from .result import Attention

__all__ = ["Attention", "compute_attention"]
