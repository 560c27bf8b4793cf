"""Coordinates computed elsewhere (``coords=``): one reader for the explorer and the report.

A view given ``coords`` shows that layout as it is and computes no projection. It accepts what
people have at hand: a :class:`~smallbert_viz.analysis.Projection`, an (N, 2) or (N, 3) array,
or a pandas DataFrame with ``x``, ``y`` (optionally ``z``) columns, and a ``text`` (optionally
``label``, ``embedding``) column, such as :func:`smallbert_viz.spark.project`'s output read back with
``pd.read_parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz.views.inputs import check_labels, check_texts

if TYPE_CHECKING:
    from smallbert_viz.analysis import Projection

#: What a layout given from outside cannot offer; views say so where they would offer it.
GIVEN_LAYOUT_NOTE = (
    "coordinates given (not computed here): no recompute, and no queries or neighbours "
    "without embeddings"
)


@dataclass(frozen=True)
class GivenLayout:
    """Texts, labels and a :class:`Projection` read from ``coords=`` (and texts/labels).

    ``embeddings`` is the DataFrame's ``embedding`` column (one vector per row, as
    ``spark.embed`` writes it) when it has one, else None.
    """

    texts: list[str]
    labels: list[str] | None
    projection: Projection
    embeddings: np.ndarray | None = None


def _array_coords(values: Any, owner: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(
            f"The 'coords' parameter of {owner} must be a Projection, an (N, 2) or (N, 3) "
            "array of numbers, or a DataFrame with x and y columns. Got "
            f"{type(values).__name__} holding non-numbers instead."
        ) from None
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.shape[0] == 0:
        raise ValueError(
            f"The 'coords' parameter of {owner} must have shape (N, 2) or (N, 3) with N >= 1. "
            f"Got shape {arr.shape} instead."
        )
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"The 'coords' parameter of {owner} holds {int(bad.sum())} rows with NaN or "
            f"infinite values (first: row {first}). Drop or fix those rows first."
        )
    return np.ascontiguousarray(arr)


def _from_frame(frame: Any, texts: Any, labels: Any, owner: str):
    cols = [str(c) for c in frame.columns]
    missing = [c for c in ("x", "y") if c not in cols]
    if missing:
        raise ValueError(
            f"The 'coords' DataFrame given to {owner} needs columns 'x' and 'y' (and 'z' for "
            f"3-D). Missing {missing}; it has {cols[:12]}."
        )
    axes = ["x", "y"] + (["z"] if "z" in cols else [])
    arr = _array_coords(frame[axes].to_numpy(), owner)
    if texts is None:
        if "text" not in cols:
            raise ValueError(
                f"{owner} got coords as a DataFrame without a 'text' column and no texts=. "
                "Pass texts= (one per row) or keep the text column in the DataFrame."
            )
        texts = frame["text"].tolist()
    if labels is None and "label" in cols:
        labels = [str(v) for v in frame["label"].tolist()]
    embeddings = None
    if "embedding" in cols:
        try:
            embeddings = np.stack([np.asarray(v, dtype=np.float32) for v in frame["embedding"]])
        except (TypeError, ValueError):
            raise ValueError(
                f"The 'embedding' column of the coords DataFrame given to {owner} must hold one "
                "vector of the same length per row (nulls are not allowed: drop those rows)."
            ) from None
    return arr, texts, labels, embeddings


def resolve_coords(coords: Any, texts: Any = None, labels: Any = None, *, owner: str) -> GivenLayout:
    """Read ``coords`` (Projection, array or DataFrame) with its texts and labels; checked.

    ``texts`` may be None only when ``coords`` is a DataFrame with a ``text`` column. The result
    has one text, label and coordinate row per point; mismatched lengths raise.
    """
    from smallbert_viz.analysis import Projection

    embeddings = None
    if isinstance(coords, Projection):
        projection = coords
        arr = _array_coords(coords.coords, owner)
    elif hasattr(coords, "columns") and hasattr(coords, "to_numpy"):
        arr, texts, labels, embeddings = _from_frame(coords, texts, labels, owner)
        projection = None
    else:
        arr = _array_coords(coords, owner)
        projection = None
    if texts is None:
        raise ValueError(
            f"{owner} got coords= without texts. Pass texts= with one sentence per row of coords."
        )
    texts = check_texts(texts, owner)
    if len(texts) != len(arr):
        raise ValueError(
            f"The 'coords' parameter of {owner} has {len(arr)} rows but there are "
            f"{len(texts)} texts. Pass one coordinate row per text."
        )
    labels = check_labels(labels, len(texts), owner)
    if projection is None:
        projection = Projection(
            coords=arr,
            method="given",
            params={"n_samples": len(arr), "source": "coords= (computed elsewhere)"},
        )
    return GivenLayout(texts=texts, labels=labels, projection=projection, embeddings=embeddings)
