"""Pictures and tables out of figures and explorers: ``save(fig, path)``, ``save_table(df, path)``.

PNG, SVG and PDF are drawn by kaleido (1.x), which drives a Chrome or Chromium already on the
machine through choreographer. kaleido never downloads a browser by itself, but when it is not
told which one to use, choreographer prefers a browser that ``kaleido_get_chrome`` may have
downloaded earlier. :func:`find_browser` names the system browser explicitly instead (the
``BROWSER_PATH`` variable first, which choreographer documents as its override, then
``chromium``, ``chromium-browser``, ``google-chrome`` on ``PATH``) and the path is passed to kaleido
per call (``kopts={"path": ...}``): no environment variable is set, no kaleido server is left
running. MathJax is turned off (kaleido would fetch it from a CDN; our figures use no LaTeX),
so an export makes no network request.

``.html`` writes an interactive page with plotly.js inlined (offline, about 4.8 MB).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smallbert_viz.errors import SmallBertVizError

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

#: Suffix -> format of the pictures :func:`save` writes.
FIGURE_FORMATS: dict[str, str] = {
    ".png": "png",
    ".svg": "svg",
    ".pdf": "pdf",
    ".html": "html",
}
#: Suffix -> format of the tables :func:`save_table` writes.
TABLE_FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet"}
#: Browser executables looked for on PATH, in this order (after ``BROWSER_PATH``).
BROWSER_NAMES: tuple[str, ...] = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
)
#: Pixels of a picture when the figure sets no width/height (plotly's own defaults).
DEFAULT_WIDTH = 700
DEFAULT_HEIGHT = 500
#: Seconds kaleido may take to draw one picture.
RENDER_TIMEOUT = 120.0

INSTALL_BROWSER_HINT = (
    "Install one with your system's package manager (Debian/Ubuntu: apt-get install chromium; "
    "Fedora: dnf install chromium; macOS: install Google Chrome), or point BROWSER_PATH at a "
    "Chrome/Chromium executable."
)


class BrowserNotFoundError(SmallBertVizError, RuntimeError):
    """No Chrome or Chromium for kaleido to draw PNG, SVG or PDF with."""


def find_browser() -> str:
    """The Chrome/Chromium executable kaleido will drive.

    ``BROWSER_PATH`` if set (it must be an executable file), else the first of
    :data:`BROWSER_NAMES` on ``PATH``.

    Raises
    ------
    BrowserNotFoundError
        With the way to install one.
    """
    env = os.environ.get("BROWSER_PATH")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise BrowserNotFoundError(
            f"BROWSER_PATH={env!r} is not an executable file. Set it to a Chrome or Chromium "
            f"executable, or unset it to search PATH. {INSTALL_BROWSER_HINT}"
        )
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserNotFoundError(
        "Saving PNG, SVG or PDF needs Chrome or Chromium (kaleido draws the figure in it), and "
        f"none was found on PATH (looked for {', '.join(BROWSER_NAMES)}). {INSTALL_BROWSER_HINT} "
        "An .html file needs no browser."
    )


def _suffix_format(path: Any, formats: dict[str, str], name: str, owner: str) -> tuple[Path, str]:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"The {name!r} parameter of {owner} must be a str or path. Got "
            f"{type(path).__name__} instead."
        )
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in formats:
        listed = ", ".join(repr(s) for s in formats)
        raise ValueError(
            f"The {name!r} parameter of {owner} must end in one of {listed}: the suffix picks the "
            f"format. Got {str(path)!r} instead."
        )
    return path, formats[suffix]


def _check_size(name: str, value: Any, owner: str) -> int | None:
    from smallbert_viz._validation import check_int

    return None if value is None else check_int(name, value, owner, low=1, high=20_000)


def figure_bytes(
    fig: go.Figure,
    fmt: str,
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
) -> bytes:
    """``fig`` drawn as ``fmt`` ("png", "svg", "pdf" or "html"), as bytes.

    Width and height default to the figure's layout, else 700 x 500 px; ``scale`` multiplies
    the pixels of a PNG (2 for a sharp picture on a slide).
    """
    from smallbert_viz._validation import check_choice, check_float

    owner = "figure_bytes"
    fmt = check_choice("fmt", fmt, tuple(FIGURE_FORMATS.values()), owner)
    width = _check_size("width", width, owner)
    height = _check_size("height", height, owner)
    scale = check_float("scale", scale, owner, low=0.01)
    fig = _as_figure(fig, owner)
    if fmt == "html":
        page = fig.to_html(include_plotlyjs=True, full_html=True, default_width=width or "100%",
                           default_height=height or "100%")
        return page.encode("utf-8")
    try:
        import kaleido
    except ImportError as exc:
        raise ImportError(
            "Saving PNG, SVG or PDF needs kaleido 1.x: pip install 'kaleido>=1.0' (it uses the "
            "Chrome or Chromium on this machine)."
        ) from exc
    browser = find_browser()
    spec = fig.to_dict()
    layout = spec.get("layout", {})
    opts = {
        "format": fmt,
        "width": width or layout.get("width") or DEFAULT_WIDTH,
        "height": height or layout.get("height") or DEFAULT_HEIGHT,
        "scale": scale,
    }
    kopts = {"path": browser, "mathjax": False, "timeout": RENDER_TIMEOUT}
    return kaleido.calc_fig_sync(spec, opts=opts, kopts=kopts)


def _as_figure(fig: Any, owner: str) -> go.Figure:
    import plotly.graph_objects as go

    if isinstance(fig, go.Figure | go.FigureWidget):
        return go.Figure(fig)
    if isinstance(fig, dict) and "data" in fig:
        return go.Figure(fig)
    raise TypeError(
        f"The 'fig' parameter of {owner} must be a plotly Figure (what the figure builders "
        f"return; for an explorer call its .save(path)). Got {type(fig).__name__} instead."
    )


def save(
    fig: go.Figure,
    path: str | os.PathLike[str],
    *,
    width: int | None = None,
    height: int | None = None,
    scale: float = 1.0,
) -> Path:
    """Write ``fig`` to ``path``; the suffix picks the format: .png, .svg, .pdf or .html.

    PNG, SVG and PDF are drawn by kaleido in the system's Chrome/Chromium (see
    :func:`find_browser`); .html is an interactive page with plotly.js inlined (offline).
    The file is written next to its final name and renamed into place, so a failed export
    never leaves a truncated file.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    path : str or path
    width, height : int, optional
        Pixels; default the figure's own size, else 700 x 500.
    scale : float
        Multiplies the pixels of a PNG.

    Returns
    -------
    Path
        The file written.
    """
    owner = "save"
    path, fmt = _suffix_format(path, FIGURE_FORMATS, "path", owner)
    data = figure_bytes(fig, fmt, width=width, height=height, scale=scale)
    _write_atomic(path, data)
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def require_pandas(owner: str) -> Any:
    """Import pandas, or explain how to install it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            f"{owner} needs pandas: pip install 'pandas>=2.2' (and pyarrow for .parquet)."
        ) from exc
    return pandas


def save_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a DataFrame to ``path``; the suffix picks the format: .csv or .parquet.

    CSV is UTF-8 without the index. Parquet needs pyarrow.
    """
    owner = "save_table"
    path, fmt = _suffix_format(path, TABLE_FORMATS, "path", owner)
    pd = require_pandas(owner)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"The 'df' parameter of {owner} must be a pandas DataFrame. Got "
            f"{type(df).__name__} instead."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if fmt == "csv":
            df.to_csv(tmp, index=False, encoding="utf-8")
        else:
            try:
                import pyarrow  # noqa: F401
            except ImportError as exc:
                raise ImportError(
                    "Writing .parquet needs pyarrow: pip install 'pyarrow>=15' (or save .csv)."
                ) from exc
            df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
