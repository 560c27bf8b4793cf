"""Where smallbert-viz keeps what it computes once: converted models, projections."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV_VAR = "SMALLBERT_VIZ_CACHE_DIR"


def cache_root() -> Path:
    """``$SMALLBERT_VIZ_CACHE_DIR`` if set, else ``~/.cache/smallbert_viz``."""
    env = os.environ.get(CACHE_ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "smallbert_viz"
