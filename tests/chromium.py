"""Debian's Chromium for browser tests: where it is, how to start it, when to skip or fail.

Never a downloaded browser build (`playwright install` fails offline): Playwright drives
/usr/bin/chromium with the flags that keep it from reaching for the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync --disable-dev-shm-usage "
    "--enable-unsafe-swiftshader"
).split()


def require_chromium() -> str:
    """Return the Chromium path; skip without it, except under CI (CI=true), where it fails."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: install it (apt-get install chromium)")
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
