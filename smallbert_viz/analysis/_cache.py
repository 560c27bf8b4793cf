"""Content-addressed cache of projections: in memory, and optionally on disk.

The key hashes the array bytes, shape and dtype together with the resolved parameters, so the
same embeddings with the same parameters hit the cache whatever object holds them.

Disk entries are single ``.npz`` files named by the key. Writes go to a temporary file in the
same directory and are renamed into place (atomic on POSIX and Windows), so a reader never sees
half a file; a file that cannot be read or does not match its key is ignored (and later
overwritten). Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

ENV_VAR = "SMALLBERT_VIZ_CACHE_DIR"
_FORMAT = 1
_MEMORY_ENTRIES = 32
_memory: OrderedDict[str, Any] = OrderedDict()


def content_key(array: np.ndarray, params: dict[str, Any]) -> str:
    """Hex digest of the bytes, shape and dtype of ``array`` and the JSON of ``params``."""
    array = np.ascontiguousarray(array)
    header = json.dumps(
        {
            "format": _FORMAT,
            "shape": list(array.shape),
            "dtype": array.dtype.str,
            "params": params,
        },
        sort_keys=True,
        default=str,
    )
    digest = hashlib.blake2b(header.encode(), digest_size=20)
    digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """``<cache root>/projections``: ``$SMALLBERT_VIZ_CACHE_DIR`` or ``~/.cache/smallbert_viz``."""
    from smallbert_viz._paths import cache_root

    return cache_root() / "projections"


# ---- memory ---------------------------------------------------------------------------------


# Widgets compute projections in background threads: every access holds the lock.
_memory_lock = threading.Lock()


def memory_get(key: str) -> Any | None:
    with _memory_lock:
        value = _memory.get(key)
        if value is not None:
            _memory.move_to_end(key)
        return value


def memory_put(key: str, value: Any) -> None:
    with _memory_lock:
        _memory[key] = value
        _memory.move_to_end(key)
        while len(_memory) > _MEMORY_ENTRIES:
            _memory.popitem(last=False)


def clear_memory() -> None:
    with _memory_lock:
        _memory.clear()


# ---- disk -----------------------------------------------------------------------------------


def disk_path(directory: Path, key: str) -> Path:
    return Path(directory) / f"{key}.npz"


def disk_load(directory: Path, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """Arrays and metadata stored under ``key``, or None if absent, unreadable or mismatched."""
    path = disk_path(directory, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["__meta__"]))
            arrays = {name: npz[name] for name in npz.files if name != "__meta__"}
    except Exception:  # corrupt, truncated, or not ours: recompute and overwrite
        return None
    if not isinstance(meta, dict) or meta.get("key") != key or meta.get("format") != _FORMAT:
        return None
    return arrays, meta


def disk_save(
    directory: Path, key: str, arrays: dict[str, np.ndarray], meta: dict[str, Any]
) -> Path | None:
    """Atomically write ``arrays`` and ``meta`` under ``key``; warn and return None on failure."""
    directory = Path(directory)
    meta = {**meta, "key": key, "format": _FORMAT}
    tmp_name = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps(meta, default=str)), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        final = disk_path(directory, key)
        os.replace(tmp_name, final)
        return final
    except OSError as exc:
        warnings.warn(
            f"Could not write the projection cache in {str(directory)!r} ({exc}); the result "
            f"is kept in memory only. Set {ENV_VAR} to a writable directory.",
            RuntimeWarning,
            stacklevel=3,
        )
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
        return None
