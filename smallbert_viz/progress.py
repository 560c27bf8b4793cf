"""Stage lines and stage bars for long steps (the report's stages, Spark jobs, UMAP fits).

Two small tools, shared by the report, the Spark jobs and the CLI:

* :func:`stage_line` prints one line when a step starts and one with its time when it ends
  ("projecting 10,000 points with UMAP ..." / "... done in 12.3 s").
* :class:`StageBar` is a ``tqdm.auto`` bar over a fixed list of stages (a widget in a notebook,
  a text bar in a terminal) that keeps each stage's time.

Where the lines go: in a Jupyter kernel to stdout (stderr would be drawn as a red error box), else
to stderr (so that stdout stays the command's result). ``tqdm`` bars follow tqdm's own rules:
``TQDM_DISABLE=1`` silences text bars, but not the notebook widgets; pass ``progress=False``.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

#: ``progress=None`` shows the report's stages from this many sentences on.
REPORT_PROGRESS_MIN_TEXTS = 2_000


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    get = getattr(shell, "get_ipython", None)
    ip = get() if get is not None else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def stream() -> IO[str]:
    """Where stage lines go: stdout in a Jupyter kernel, stderr elsewhere."""
    return sys.stdout if _in_kernel() else sys.stderr


def say(message: str, *, file: IO[str] | None = None) -> None:
    """Print one ``smallbert-viz: message`` line and flush it."""
    out = file or stream()
    print(f"smallbert-viz: {message}", file=out, flush=True)


@contextlib.contextmanager
def stage_line(message: str, *, show: bool = True, file: IO[str] | None = None) -> Iterator[None]:
    """Say ``message ...`` before the block and ``message: done in T s`` after it.

    Nothing is printed when ``show`` is False; a failing block prints nothing more (its error
    says what happened).
    """
    if not show:
        yield
        return
    say(f"{message} ...", file=file)
    started = time.perf_counter()
    yield
    say(f"{message}: done in {time.perf_counter() - started:.1f} s", file=file)


class StageBar:
    """A ``tqdm.auto`` bar over named stages that records each stage's wall and CPU time.

    Use ``with bar.stage("projection"): ...`` for each stage and ``bar.close()`` at the end (or
    the bar as a context manager). With ``show=False`` nothing is displayed; times are still kept
    in :attr:`timings` (wall seconds per stage, in order) and :attr:`cpu_timings` (CPU seconds,
    user + system of every thread of the process: what a stage costs whatever else the machine
    is doing).
    """

    def __init__(self, stages: int, *, desc: str, show: bool) -> None:
        self.timings: dict[str, float] = {}
        self.cpu_timings: dict[str, float] = {}
        self._desc = desc
        self._bar: Any = None
        if show:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=stages, desc=desc, unit="stage", file=stream())

    @contextlib.contextmanager
    def stage(self, name: str, label: str | None = None) -> Iterator[None]:
        """Time the block as stage ``name``; the bar shows ``label`` (default ``name``)."""
        if self._bar is not None:
            self._bar.set_description_str(f"{self._desc}: {label or name}")
        started, cpu = time.perf_counter(), time.process_time()
        yield
        seconds = time.perf_counter() - started
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        self.cpu_timings[name] = self.cpu_timings.get(name, 0.0) + time.process_time() - cpu
        if self._bar is not None:
            self._bar.set_postfix_str(f"{name} {seconds:.1f} s", refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            total = sum(self.timings.values())
            self._bar.set_description_str(f"{self._desc}: done in {total:.1f} s")
            self._bar.close()
            self._bar = None

    def __enter__(self) -> StageBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
