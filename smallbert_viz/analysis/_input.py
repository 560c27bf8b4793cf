"""Array checks shared by the analyses: one message form, naming the bad value and the fix."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_matrix(
    x: Any, name: str, owner: str, *, min_rows: int = 1, dtype: type = np.float32
) -> np.ndarray:
    """Return ``x`` as a finite C-contiguous ``dtype`` array of shape (rows, features).

    Raises ``ValueError`` naming ``name`` and ``owner`` for a wrong number of dimensions, too few
    rows, no features, or NaN / infinite values; ``TypeError`` for non-numeric input.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"The {name!r} argument of {owner} must be a 2-D array of numbers. "
            f"Could not convert it to an array: {exc}"
        ) from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(
            f"The {name!r} argument of {owner} must be a 2-D array of numbers. "
            f"Got an array of dtype {arr.dtype} instead."
        )
    if arr.ndim != 2:
        hint = " Reshape a single vector with array.reshape(1, -1)." if arr.ndim == 1 else ""
        raise ValueError(
            f"The {name!r} argument of {owner} must be a 2-D array of shape "
            f"(n_rows, n_features). Got shape {arr.shape} instead.{hint}"
        )
    if arr.shape[0] < min_rows:
        raise ValueError(
            f"The {name!r} argument of {owner} must have at least {min_rows} row"
            f"{'s' if min_rows != 1 else ''}. Got shape {arr.shape} instead."
        )
    if arr.shape[1] == 0:
        raise ValueError(
            f"The {name!r} argument of {owner} must have at least one feature column. "
            f"Got shape {arr.shape} instead."
        )
    arr = np.ascontiguousarray(arr, dtype=dtype)
    finite = np.isfinite(arr)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        shown = ", ".join(str(i) for i in bad_rows[:5]) + (", ..." if bad_rows.size > 5 else "")
        raise ValueError(
            f"The {name!r} argument of {owner} contains NaN or infinite values "
            f"(rows {shown}). Remove or fix those rows first."
        )
    return arr


def check_same_width(a: np.ndarray, b: np.ndarray, names: tuple[str, str], owner: str) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same number of columns."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"The {names[0]!r} and {names[1]!r} arguments of {owner} must have the same number "
            f"of columns. Got shapes {a.shape} and {b.shape} instead; embed both with the same "
            "model."
        )


def unit_rows(x: np.ndarray, name: str, owner: str) -> np.ndarray:
    """Return ``x`` with each row scaled to unit length; zero rows raise ``ValueError``."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    zero = np.flatnonzero(norms[:, 0] == 0)
    if zero.size:
        shown = ", ".join(str(i) for i in zero[:5]) + (", ..." if zero.size > 5 else "")
        raise ValueError(
            f"The {name!r} argument of {owner} has all-zero rows ({shown}), for which cosine "
            "similarity is undefined. Remove them or use metric='dot' or 'euclidean'."
        )
    return x / norms
