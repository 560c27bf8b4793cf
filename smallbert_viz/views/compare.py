"""The two-model comparison as the views take it: ``models=`` (compare now) or ``comparison=``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smallbert_viz._validation import check_str_list

if TYPE_CHECKING:
    from smallbert_viz.explain.comparison import ModelComparison


def resolve_comparison(
    texts: Sequence[str],
    labels: Sequence[Any] | None = None,
    *,
    models: Sequence[Any] | None,
    comparison: ModelComparison | None,
    pooling: Any = None,
    k: int = 10,
    seed: int = 42,
    max_length: int = 128,
    owner: str,
) -> tuple[list[str], list[str] | None, ModelComparison]:
    """(texts, labels, comparison): ``compare(texts, models=models, ...)``, or ``comparison``
    checked against ``texts`` (a ``ModelComparison`` keeps no texts, so they are passed again).
    """
    from smallbert_viz.explain.comparison import ModelComparison, compare

    if (models is None) == (comparison is None):
        raise TypeError(
            f"{owner} needs exactly one of 'models' (a pair [model_a, model_b] to compare) or "
            f"'comparison' (a smallbert_viz.compare(texts, ...) result). Got "
            f"{'neither' if models is None else 'both'}."
        )
    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str, one per sentence. Got a "
            "single str instead; wrap it in a list."
        )
    texts = list(texts)
    if comparison is None:
        comparison = compare(
            texts,
            models=models,
            pooling=pooling,
            k=k,
            seed=seed,
            labels=labels,
            max_length=max_length,
        )
    elif not isinstance(comparison, ModelComparison):
        raise TypeError(
            f"The 'comparison' parameter of {owner} must be a ModelComparison (the result of "
            f"smallbert_viz.compare). Got {type(comparison).__name__} instead."
        )
    n = len(comparison.coords_a)
    texts = check_str_list(texts, n, "texts", owner, "sentence of the comparison")
    if labels is None and comparison.labels is not None:
        labels = comparison.labels
    shown = None if labels is None else check_str_list(labels, n, "labels", owner, "sentence")
    return texts, shown, comparison
