"""Which layer knows what: per-layer k-NN accuracy on the labels and the layers' CKA.

Runs :func:`smallbert_viz.explain.layer_analysis` on the corpus' own model, pooling and
max_length. ``"pooled"`` has no per-layer form: the view then uses each layer's [CLS] vector
(what the pooler reads) and says so. When the analysis cannot run (no labels, no model, one
label, a label with fewer sentences than the folds), the view holds the reason instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smallbert_viz.views.policy import LAYER_FOLDS, LAYER_K

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.explain import LayerAnalysis
    from smallbert_viz.views.inputs import ViewCorpus


@dataclass(frozen=True, eq=False)
class LayerView:
    """The layer analysis and its two figures, or why it was skipped.

    Attributes
    ----------
    analysis : LayerAnalysis or None
    accuracy_figure, cka_figure : go.Figure or None
        ``layer_accuracy_chart`` and ``cka_heatmap`` of ``analysis``.
    pooling : str or None
        The per-layer pooling used (``"cls"`` or ``"mean"``).
    skipped : str or None
        Why there is no analysis (a sentence for the page), else None.
    """

    analysis: LayerAnalysis | None
    accuracy_figure: go.Figure | None
    cka_figure: go.Figure | None
    pooling: str | None
    skipped: str | None

    def describe(self) -> str:
        """One line for provenance: the best layer and its accuracy, or why skipped."""
        if self.analysis is None:
            return f"skipped: {self.skipped}"
        a = self.analysis
        best = a.best_layer
        return (
            f"best k-NN accuracy {a.knn_accuracy[best]:.3f} at {a.layer_names[best]} of "
            f"{len(a.layer_names)} (chance {a.chance:.3f}); {self.pooling} pooling per layer, "
            f"k={a.k}, {a.folds}-fold CV (seed {a.seed})"
        )


def layer_skip_reason(corpus: ViewCorpus, folds: int = LAYER_FOLDS) -> str | None:
    """Why the layer analysis cannot run on ``corpus`` (a sentence), or None when it can."""
    if corpus.labels is None:
        return "no labels were given; pass labels= to see which layer separates them."
    if corpus.spec is None:
        return "the embeddings were made without a model here, so its layers are not available."
    counts = Counter(corpus.labels)
    if len(counts) < 2:
        return "all sentences have the same label; there is nothing to tell apart."
    label, smallest = min(counts.items(), key=lambda item: (item[1], item[0]))
    if smallest < folds:
        return (
            f"the label {label!r} has {smallest} sentence{'s' if smallest != 1 else ''}; the "
            f"{folds}-fold cross-validation needs at least {folds} per label. Add sentences or "
            "merge small labels."
        )
    return None


def layer_view(corpus: ViewCorpus, *, seed: int = 0) -> LayerView:
    """Which layer of the corpus' model separates its labels, and how alike the layers are."""
    skipped = layer_skip_reason(corpus)
    if skipped is not None:
        return LayerView(None, None, None, None, skipped)
    from smallbert_viz.explain import layer_analysis
    from smallbert_viz.figures import cka_heatmap, layer_accuracy_chart

    spec = corpus.spec
    pooling = "cls" if spec.pooling == "pooled" else spec.pooling
    n = len(corpus.texts)
    analysis = layer_analysis(
        corpus.texts,
        corpus.labels,
        model=spec.model,
        pooling=pooling,
        k=min(LAYER_K, n - -(-n // LAYER_FOLDS)),
        folds=LAYER_FOLDS,
        seed=seed,
        max_length=spec.max_length,
    )
    prov = analysis.provenance
    if pooling != spec.pooling:
        prov = prov.with_extra(
            note="the embeddings use 'pooled' (a tanh layer on the last [CLS] vector, no "
            "per-layer form); each layer's [CLS] vector is analysed instead"
        )
    accuracy = layer_accuracy_chart(
        analysis.knn_accuracy,
        chance=analysis.chance,
        fold_accuracy=analysis.fold_accuracy,
        layer_names=analysis.layer_names,
        provenance=prov.describe(),
    )
    cka = cka_heatmap(analysis.cka, layer_names=analysis.layer_names, provenance=prov.describe())
    return LayerView(analysis, accuracy, cka, pooling, None)
