"""When the projection explorer takes the large path, and what it sends (policy, not drawing).

Above :data:`LARGE_POINTS` points the explorer draws
:func:`smallbert_viz.figures.large_scatter.large_scatter` (binary per-point arrays, hover text
asked of the kernel) instead of :func:`smallbert_viz.figures.projection_scatter`.
"""

from __future__ import annotations

import numpy as np

#: Above this many points the projection explorer takes the large path.
LARGE_POINTS = 50_000
#: Points in the static HTML copy of a large scatter (a seeded sample, not every point).
STATIC_SAMPLE = 5_000
#: Characters of a sentence sent back for a hovered point.
HOVER_TEXT_MAX_CHARS = 500


def sample_rows(n: int, size: int = STATIC_SAMPLE, seed: int = 0) -> np.ndarray:
    """``min(size, n)`` sorted rows of ``range(n)`` drawn without replacement (seeded)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))
