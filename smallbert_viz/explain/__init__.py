"""Model-driven analyses: they run the encoder again, so they live outside ``analysis/``
(which promises no TensorFlow).

* :func:`explain_pair` -- why two sentences match: a token x token attribution matrix that,
  with its offset, adds up to the pair's similarity (exact for mean pooling; integrated
  Jacobians for ``cls`` / ``pooled``).
* :func:`layer_analysis` -- which layer separates the user's labels (k-NN accuracy per layer,
  linear CKA between layers).
* :func:`compare` -- two models on the same sentences: neighbour overlap, CKA, aligned layouts.

TensorFlow is imported inside the functions, never at ``import smallbert_viz.explain``.
"""

from __future__ import annotations

from smallbert_viz._lazy import lazy_exports

_EXPORTS = {
    "explain_pair": "smallbert_viz.explain.pair",
    "PairExplanation": "smallbert_viz.explain.pair",
    "layer_analysis": "smallbert_viz.explain.layers",
    "LayerAnalysis": "smallbert_viz.explain.layers",
    "compare": "smallbert_viz.explain.comparison",
    "ModelComparison": "smallbert_viz.explain.comparison",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
