"""Which layer knows what: per-layer k-NN accuracy on the user's labels, and CKA between layers.

``layer_analysis`` embeds the texts once with every layer (``model.layer_embeddings``: each
layer's [CLS] vector or token mean, from the encoder's ``encoder_outputs``), then, per layer,
asks how well a k-nearest-neighbour vote (cosine, stratified cross-validation) recovers the
labels, and how alike the layers' representations are (linear CKA). The numbers come from
:mod:`smallbert_viz.analysis.representation` (numpy); the figures from
:mod:`smallbert_viz.figures.layers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz._validation import check_int, check_str_list

if TYPE_CHECKING:
    from smallbert_viz.models.model import BertModel
    from smallbert_viz.provenance import Provenance


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def check_model(model: Any, owner: str, name: str = "model") -> BertModel:
    """``model`` if it is a loaded ``BertModel``; else a TypeError saying how to get one."""
    from smallbert_viz.models.model import BertModel

    if not isinstance(model, BertModel):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be a BertModel. Got "
            f"{type(model).__name__} instead; load one with smallbert_viz.load_model()."
        )
    return model


@dataclass(frozen=True, eq=False)  # eq on arrays is ambiguous: compare fields yourself
class LayerAnalysis:
    """How well each layer separates given labels, and how alike the layers are.

    Attributes
    ----------
    knn_accuracy : ndarray of shape (num_layers,), float64
        Per layer, the mean over folds of the cross-validated k-NN label accuracy (cosine).
    fold_accuracy : ndarray of shape (num_layers, folds), float64
        The same, fold by fold (its spread shows how much a difference between layers means).
    cka : ndarray of shape (num_layers, num_layers), float64
        Linear CKA between the layers' sentence vectors; 1 on the diagonal.
    chance : float
        The majority-class rate: the accuracy of always guessing the most frequent label.
    layer_names : tuple of str, length num_layers
        ``"layer 1"`` (nearest the input) to ``"layer L"`` (the model's output).
    k, folds, seed : int
        The neighbours that vote, the number of stratified folds and their shuffling seed.
    n_texts, n_labels : int
        Sentences analysed and distinct labels among them.
    provenance : Provenance
        The model, pooling and max_length, plus the analysis parameters in ``extra``.
    """

    knn_accuracy: np.ndarray
    fold_accuracy: np.ndarray
    cka: np.ndarray
    chance: float
    layer_names: tuple[str, ...]
    k: int
    folds: int
    seed: int
    n_texts: int
    n_labels: int
    provenance: Provenance

    @property
    def best_layer(self) -> int:
        """Index (0-based) of the layer with the highest k-NN accuracy (the first on ties)."""
        return int(np.argmax(self.knn_accuracy))

    def describe(self) -> str:
        """One line for subtitles: the provenance, analysis parameters included."""
        return self.provenance.describe()


def layer_analysis(
    texts: Sequence[str],
    labels: Sequence[Any],
    *,
    model: BertModel,
    pooling: str | None = None,
    k: int = 5,
    folds: int = 5,
    seed: int = 0,
    max_length: int = 128,
    batch_size: int | None = None,
) -> LayerAnalysis:
    """Per-layer k-NN label accuracy and the layers' linear CKA, for labelled sentences.

    Parameters
    ----------
    texts : sequence of str
        The sentences.
    labels : sequence, one per text
        A group per sentence (compared as str); at least two groups.
    model : BertModel
    pooling : {"cls", "mean"}, optional
        How each layer's token vectors become one sentence vector; default the model's.
        ``"pooled"`` has no per-layer form (``ValueError``).
    k : int
        Neighbours that vote (cosine), at most the size of the smallest training fold.
    folds : int
        Stratified cross-validation folds, 2 to the size of the largest label group.
    seed : int
        Seed of the fold shuffling (the accuracies depend on it a little; the CKA does not).
    max_length, batch_size : int
        As in ``model.embed``.

    Returns
    -------
    LayerAnalysis
        Draw it with ``smallbert_viz.figures.layer_accuracy_chart`` and ``cka_heatmap``.
    """
    from smallbert_viz.analysis.representation import (
        chance_accuracy,
        check_labels,
        cka_matrix,
        knn_accuracy,
    )
    from smallbert_viz.embedding import check_texts
    from smallbert_viz.layer_embeddings import layer_names, resolve_layer_pooling

    owner = "layer_analysis"
    model = check_model(model, owner)
    pooling = resolve_layer_pooling(model, pooling, owner)
    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str, one per sentence. Got a "
            "single str instead; wrap it in a list."
        )
    texts = check_texts(list(texts))
    n = len(texts)
    if n < 4:
        raise ValueError(
            f"The 'texts' parameter of {owner} must hold at least 4 sentences (two folds of two "
            f"labelled sentences). Got {n} instead."
        )
    folds = check_int("folds", folds, owner, low=2, high=n)
    label_names = check_str_list(labels, n, "labels", owner, "sentence")
    codes = check_labels(label_names, n, owner, folds)
    # Stratified test folds differ in size by at most one: the smallest training fold.
    k = check_int("k", k, owner, low=1, high=n - -(-n // folds))
    seed = check_int("seed", seed, owner, low=0, high=2**32 - 1)

    layers = model.layer_embeddings(texts, pooling, max_length=max_length, batch_size=batch_size)
    fold_acc = np.stack(
        [knn_accuracy(layer, label_names, k=k, folds=folds, seed=seed) for layer in layers]
    )
    cka = cka_matrix(layers)
    chance = chance_accuracy(label_names)
    n_labels = int(codes.max()) + 1
    provenance = model.provenance(pooling, max_length=max_length).with_extra(
        analysis="per-layer k-NN label accuracy and linear CKA",
        knn=f"k={k}, cosine, {folds}-fold stratified CV (seed {seed})",
        sentences=n,
        labels=n_labels,
        chance=f"{chance:.3f} (majority label)",
    )
    return LayerAnalysis(
        knn_accuracy=_readonly(fold_acc.mean(axis=1)),
        fold_accuracy=_readonly(fold_acc),
        cka=_readonly(cka),
        chance=chance,
        layer_names=layer_names(layers.shape[0]),
        k=k,
        folds=folds,
        seed=seed,
        n_texts=n,
        n_labels=n_labels,
        provenance=provenance,
    )
