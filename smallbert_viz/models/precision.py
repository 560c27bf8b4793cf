"""Opt-in reduced precision: TensorFlow's oneDNN bfloat16 math mode, process-wide.

``load_model(..., precision="bfloat16")`` lets TensorFlow's oneDNN kernels compute float32
matrix products in bfloat16 (``TF_SET_ONEDNN_FPMATH_MODE=BF16``): weights and outputs stay
float32, only the products inside the kernels are rounded. It pays off only on CPUs with bf16
units (AVX512-BF16 or AMX-BF16 on x86); elsewhere it gains nothing, and a ``UserWarning`` says so.

The mode is **process-wide and fixed at TensorFlow's first oneDNN operation** (TensorFlow reads
the variable once, when its first oneDNN matrix product is built), and TensorFlow offers no
Python API to change it later. So one process runs in one precision: the first ``load_model`` (or
any TensorFlow operation run before it) fixes it, and asking for the other one later raises
:class:`PrecisionMixError`, whose message names the fix (restart the kernel, or load every model
with the same precision). The default, ``"float32"``, is exact.

TensorFlow enables its oneDNN operations by default on Linux only on CPUs with AVX512-VNNI,
AVX512-BF16, AVX-VNNI or AMX (``TF_ENABLE_ONEDNN_OPTS`` overrides this at import); where they are
off, the bf16 mode has no effect and the numbers are float32. Even with oneDNN on and bf16
units present, oneDNN may keep float32 products (seen on an AMD EPYC with AVX512-BF16: identical
vectors, same speed), so whether products are rounded is measured with a probe product
(:func:`products_rounded`), not inferred from CPU flags. The precision that a model's provenance
shows (:meth:`PrecisionMode.label`) says which of these happened.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from .._validation import check_choice
from ..errors import SmallBertVizError

#: The precisions ``load_model`` accepts; the first is the default.
PRECISIONS = ("float32", "bfloat16")
#: The variable TensorFlow's oneDNN kernels read (once) for their float32 math mode.
FPMATH_ENV_VAR = "TF_SET_ONEDNN_FPMATH_MODE"
#: TensorFlow's switch for its oneDNN operations, read once when TensorFlow is imported.
ONEDNN_ENV_VAR = "TF_ENABLE_ONEDNN_OPTS"
#: /proc/cpuinfo flags of units that compute bfloat16 products (x86: AVX512-BF16, AMX; Arm: BF16).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")

_lock = threading.Lock()
_mode: str | None = None  # the precision this process runs in, once fixed
_fixed_by: str | None = None  # what fixed it, for the error message


class PrecisionMixError(SmallBertVizError, RuntimeError):
    """A model was asked for in one precision while the process already runs in the other."""


def cpu_bf16_units(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> tuple[str, ...]:
    """The bf16 CPU flags of ``cpuinfo`` (``()`` when it lists none or cannot be read).

    Parameters
    ----------
    cpuinfo : path
        A file in the format of Linux's ``/proc/cpuinfo`` ("flags" lines on x86, "Features"
        on Arm).
    """
    try:
        text = Path(cpuinfo).read_text(encoding="utf8", errors="replace")
    except OSError:
        return ()
    found: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in {"flags", "features"}:
            found.update(value.split())
    return tuple(f for f in BF16_CPU_FLAGS if f in found)


def onednn_enabled() -> bool | None:
    """Whether TensorFlow's oneDNN operations are on in this process (``None``: unknown).

    Imports TensorFlow (quietly) if it is not imported yet.
    """
    from .._quiet import import_tensorflow

    import_tensorflow()
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:  # a TensorFlow build without this private module
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


@functools.cache
def products_rounded() -> bool:
    """Whether TensorFlow's float32 matrix products are rounded to bfloat16 in this process.

    Measured: (1 + 2^-9) is exact in float32 and rounds to 1 in bfloat16 (8 significant bits),
    so a 64-term product of a matrix of it with itself gives 64 + 2^-2 + 2^-12 in float32 math
    (every partial sum is exact: 19 significant bits), 64 + 2^-3 where one operand is rounded
    and 64 where both are. Checked for a plain product, one with a bias (which
    TensorFlow fuses), a batched one and an einsum in a ``tf.function``: the ops of the encoders'
    dense and attention layers. Runs TensorFlow, so it fixes the math mode: call it after
    setting it. Measured once per process (the mode cannot change once fixed).
    """
    import numpy as np

    from .._quiet import import_tensorflow

    tf = import_tensorflow()
    a = np.full((64, 64), 1 + 2**-9, np.float32)
    exact = 64 + 2**-2 + 2**-12

    @tf.function
    def products(x):
        return (
            tf.linalg.matmul(x, x)[0, 0],
            tf.nn.bias_add(tf.linalg.matmul(x, x), tf.zeros([64]))[0, 0],
            tf.linalg.matmul(x[None], x[None])[0, 0, 0],
            tf.einsum("ij,jk->ik", x, x)[0, 0],
        )

    return any(float(p) != exact for p in products(a))


def tensorflow_has_run() -> bool:
    """Whether TensorFlow has run an operation in this process (its eager context is set up).

    Only a first operation builds oneDNN kernels, so before it the math mode can still be set.
    """
    if "tensorflow" not in sys.modules:
        return False
    try:
        from tensorflow.python.eager import context
    except ImportError:  # cannot tell: assume it has
        return True
    ctx = context.context_safe()
    return ctx is not None and bool(getattr(ctx, "_initialized", True))


def _env_asks_bf16() -> bool:
    return os.environ.get(FPMATH_ENV_VAR, "").strip().upper() == "BF16"


@dataclass(frozen=True)
class PrecisionMode:
    """The precision a model computes in, and whether this machine can honour it.

    Attributes
    ----------
    name : {"float32", "bfloat16"}
        What was asked for.
    cpu_units : tuple of str
        The bf16 flags of this CPU (``()`` on a CPU without bf16 units).
    onednn : bool or None
        Whether TensorFlow's oneDNN operations are on (``None``: not checked or unknown).
    rounds : bool or None
        Whether a probe product came out rounded to bfloat16 (:func:`products_rounded`;
        ``None``: not measured).
    """

    name: str = "float32"
    cpu_units: tuple[str, ...] = ()
    onednn: bool | None = None
    rounds: bool | None = None

    @property
    def reduced(self) -> bool:
        """Whether products are rounded to bfloat16: measured where :attr:`rounds` is known,
        else assumed where the mode is set, oneDNN is on and the CPU has bf16 units. Results
        that need float32 exactness check this."""
        if self.name != "bfloat16" or self.onednn is False:
            return False
        if self.rounds is not None:
            return self.rounds
        return bool(self.cpu_units)

    def label(self) -> str:
        """What provenance shows: ``"float32"``, ``"bfloat16 math (oneDNN)"``, or what the
        bf16 mode did on this machine when it could not take effect."""
        if self.name == "float32":
            return "float32"
        if self.onednn is False:
            return "float32 (bfloat16 asked for: no effect, oneDNN is off on this CPU)"
        if self.rounds is False:
            return (
                "float32 (bfloat16 asked for: no effect, oneDNN keeps float32 products on this "
                "CPU)"
            )
        if not self.cpu_units:
            return "bfloat16 math (oneDNN), CPU without bf16 units"
        return "bfloat16 math (oneDNN)"


def current() -> str | None:
    """The precision this process is fixed to, or ``None`` while it can still be chosen."""
    with _lock:
        return _current_locked()[0]


def _current_locked() -> tuple[str | None, str | None]:
    if _mode is not None:
        return _mode, _fixed_by
    if _env_asks_bf16():
        return "bfloat16", f"{FPMATH_ENV_VAR}=BF16 in the environment"
    if tensorflow_has_run():
        return "float32", "TensorFlow operations run earlier in this process, in float32 math"
    return None, None


def _mix_error(asked: str, mode: str, fixed_by: str | None, owner: str) -> PrecisionMixError:
    if asked == "bfloat16":
        restart = (
            f"restart the kernel (or Python) and call {owner}(..., precision='bfloat16') before "
            "anything else runs TensorFlow"
        )
    else:
        restart = (
            "restart the kernel (or Python) and load the model with precision='float32' "
            f"(unset {FPMATH_ENV_VAR} if it is set)"
        )
    return PrecisionMixError(
        f"{owner}(precision={asked!r}) cannot run in this process: it already computes in "
        f"{mode} (fixed by {fixed_by}). TensorFlow's oneDNN math mode is process-wide and fixed "
        "at its first oneDNN operation, so one process cannot mix float32 and bfloat16 models. "
        f"To proceed: {restart}; or load every model in this process with precision={mode!r}."
    )


def set_precision(precision: str, *, owner: str = "load_model") -> PrecisionMode:
    """Fix this process to ``precision`` (first call) or check that it already runs in it.

    For ``"bfloat16"`` this sets ``TF_SET_ONEDNN_FPMATH_MODE=BF16`` before TensorFlow's first
    oneDNN operation, and warns (``UserWarning``) when this CPU has no bf16 units, TensorFlow's
    oneDNN operations are off, or a probe product (:func:`products_rounded`) shows that oneDNN
    keeps float32 products here, since the mode then gains nothing (it still works).

    Raises
    ------
    ValueError
        ``precision`` is not one of :data:`PRECISIONS`.
    PrecisionMixError
        The process already runs in the other precision.
    """
    global _mode, _fixed_by
    check_choice("precision", precision, PRECISIONS, owner)
    with _lock:
        mode, fixed_by = _current_locked()
        if mode is not None and mode != precision:
            raise _mix_error(precision, mode, fixed_by, owner)
        if mode is None and precision == "bfloat16":
            os.environ[FPMATH_ENV_VAR] = "BF16"  # before TensorFlow's first oneDNN operation
        if _mode is None:
            _mode = precision
            _fixed_by = f"an earlier {owner}(precision={precision!r})" if mode is None else fixed_by
    if precision == "float32":
        return PrecisionMode("float32")
    onednn = onednn_enabled()
    rounds = products_rounded() if onednn is not False else False
    result = PrecisionMode("bfloat16", cpu_bf16_units(), onednn, rounds)
    if not (result.cpu_units and rounds):  # rounds is False where oneDNN is off
        if not result.cpu_units:
            why = "this CPU has no bf16 units (none of " + ", ".join(BF16_CPU_FLAGS)
            why += " in /proc/cpuinfo)"
        elif result.onednn is False:
            why = f"TensorFlow's oneDNN operations are off ({ONEDNN_ENV_VAR}=0?)"
        else:
            why = (
                "oneDNN keeps float32 products on this CPU although it has bf16 units "
                f"({', '.join(result.cpu_units)}; measured with a probe product)"
            )
        effect = (
            "the numbers are rounded to bfloat16 all the same"
            if rounds
            else "its numbers are float32"
        )
        warnings.warn(
            f"precision='bfloat16': {why}, so the bfloat16 math mode would gain nothing here. "
            f"The model still works ({effect}); its provenance says so. The mode is process-wide: "
            "every model in this process must be loaded with precision='bfloat16'.",
            UserWarning,
            stacklevel=3,
        )
    return result
