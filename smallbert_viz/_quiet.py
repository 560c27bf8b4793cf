"""Quiet TensorFlow start-up: no INFO/WARNING noise unless ``SMALLBERT_VIZ_VERBOSE=1``.

TensorFlow 2.21 writes its start-up lines from C++ straight to file descriptor 2, before absl
logging is initialised ("All log messages before absl::InitializeLog() is called are written to
STDERR", "Could not find cuda drivers", the CPU-instructions notice, "failed call to cuInit"), so
neither ``TF_CPP_MIN_LOG_LEVEL`` nor Python's logging reaches all of them. What works, measured
on the real output:

- for the first import of TensorFlow and its first device set-up (where the CUDA probe runs),
  file descriptor 2 is pointed at a pipe; afterwards every captured line that is not known noise
  (C++ INFO/WARNING lines, the absl preamble, the CUDA-probe errors) is written back to
  ``sys.stderr``, so real errors still show;
- ``TF_CPP_MIN_LOG_LEVEL=2`` is set only while TensorFlow is first imported, when the user has not
  set it: TensorFlow reads it once at start-up, so later C++ INFO/WARNING lines (grappler's "loop
  optimizer" warnings on the first call of a function) stay hidden, and the variable is removed
  again so child processes see the environment the user made. C++ ERROR lines keep showing.

Nothing happens at ``import smallbert_viz``: only the package's first TensorFlow import does this
(``import_tensorflow`` / ``quiet_tensorflow``, used by the loader, the encoder and the stand-in
writer). If TensorFlow was imported before, its start-up lines have been printed already and
nothing is changed. Set ``SMALLBERT_VIZ_VERBOSE=1`` (the CLI's ``--verbose``) to see everything.
Python-level loggers (``tf.get_logger()``, absl) are left alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from typing import Any

VERBOSE_ENV_VAR = "SMALLBERT_VIZ_VERBOSE"
TF_LOG_LEVEL_VAR = "TF_CPP_MIN_LOG_LEVEL"
QUIET_TF_LOG_LEVEL = "2"  # hide C++ INFO and WARNING, keep ERROR

# "I0000 00:00:1796033570.286622    7532 cudart_stub.cc:31] message" (absl/glog prefix)
_NATIVE_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ ([\w.+-]+):\d+\] ?(.*)$")
_NOISE_LINES = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"^To enable the following instructions: .* rebuild TensorFlow"),
    re.compile(r"^oneDNN custom operations are on\."),
)
# ERROR lines that only mean "no GPU here" on a CPU machine.
_CUDA_PROBE = re.compile(r"cuInit|cuda_(platform|driver|diagnostics|executor|dnn|fft|blas)|"
                         r"Unable to register cu(DNN|FFT|BLAS) factory|CUDA error")

_lock = threading.RLock()
_started = False  # TensorFlow imported and its devices set up through this module


def verbose() -> bool:
    """Whether ``SMALLBERT_VIZ_VERBOSE`` asks for TensorFlow's own output (1/true/yes/on)."""
    return os.environ.get(VERBOSE_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def is_noise(line: str) -> bool:
    """Whether one captured stderr line is TensorFlow start-up noise (kept when verbose)."""
    line = line.rstrip("\r\n")
    match = _NATIVE_LINE.match(line)
    if match:
        level, source, message = match.groups()
        if level in "IW":
            return True
        return level == "E" and bool(_CUDA_PROBE.search(source + " " + message))
    return any(pattern.match(line) for pattern in _NOISE_LINES)


def _drain(fd: int, sink: list[bytes]) -> None:
    while chunk := os.read(fd, 65536):
        sink.append(chunk)


@contextlib.contextmanager
def filtered_stderr() -> Iterator[None]:
    """Capture file descriptor 2 in the block; afterwards pass on every line that is not noise.

    Process-wide while it lasts (the descriptor is shared by all threads), so it is used only
    around TensorFlow's first import and device set-up. Lines from other threads in that window
    come out late but are not lost. Does nothing when fd 2 cannot be redirected.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(read_end, chunks), daemon=True)
    reader.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the reader sees end-of-file
        os.close(saved)
        reader.join(timeout=10)
        if not reader.is_alive():
            os.close(read_end)
        text = b"".join(chunks).decode("utf8", "replace")
        kept = [line for line in text.splitlines(keepends=True) if not is_noise(line)]
        if kept:
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


@contextlib.contextmanager
def quiet_tensorflow() -> Iterator[None]:
    """Run the block with TensorFlow imported quietly (see the module docstring).

    The first time, TensorFlow is imported and its devices are set up inside a filtered stderr,
    and so is the block (the loader imports tensorflow_hub and tensorflow_text in it). Later, or
    when ``SMALLBERT_VIZ_VERBOSE`` is set, it only runs the block.
    """
    global _started
    if _started or verbose():
        yield
        return
    with _lock:
        if _started:
            yield
            return
        with filtered_stderr():
            fresh = "tensorflow" not in sys.modules
            unset = fresh and TF_LOG_LEVEL_VAR not in os.environ
            if unset:
                os.environ[TF_LOG_LEVEL_VAR] = QUIET_TF_LOG_LEVEL
            try:
                import tensorflow as tf

                tf.constant(0)  # device set-up: the CUDA probe prints here
            finally:
                if unset:
                    os.environ.pop(TF_LOG_LEVEL_VAR, None)
            _started = True
            yield


def import_tensorflow() -> Any:
    """``import tensorflow``, quietly the first time; returns the module."""
    with quiet_tensorflow():
        import tensorflow as tf
    return tf
