"""Parameter checks shared by every public function, with one message form.

"The 'pooling' parameter of embed must be one of 'cls', 'mean', 'pooled'. Got 'max' instead."
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_choice(name: str, value: Any, choices: Iterable[str], owner: str) -> str:
    """Return ``value`` if it is one of ``choices``; else raise ValueError listing them."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(
            f"The {name!r} parameter of {owner} must be one of {listed}. Got {_fmt(value)} instead."
        )
    return value


def check_int(
    name: str,
    value: Any,
    owner: str,
    *,
    low: int | None = None,
    high: int | None = None,
) -> int:
    """Return ``value`` as int if it is an integer within [low, high]; else raise."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be an int. Got {_fmt(value)} "
            f"({type(value).__name__}) instead."
        )
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an int in the range [{lo}, {hi}]. "
            f"Got {value} instead."
        )
    return value


def check_float(
    name: str,
    value: Any,
    owner: str,
    *,
    low: float | None = None,
    high: float | None = None,
) -> float:
    """Return ``value`` as float if it is a real number within [low, high]; else raise."""
    import math
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be a number. Got {_fmt(value)} "
            f"({type(value).__name__}) instead."
        )
    value = float(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be in the range "
            f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]. "
            f"Got {value} instead."
        )
    return value


def check_str_list(values: Any, n: int, name: str, owner: str, what: str) -> list[str]:
    """``values`` as a list of ``n`` str (texts, labels, tokens); raise naming any mismatch."""
    if isinstance(values, str):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be a list of str, one per {what}. "
            f"Got a single str instead; wrap it in a list."
        )
    out = [str(v) for v in values]
    if len(out) != n:
        raise ValueError(
            f"The {name!r} parameter of {owner} must have one entry per {what} ({n}). "
            f"Got {len(out)} instead."
        )
    return out
