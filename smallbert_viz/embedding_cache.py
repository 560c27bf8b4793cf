"""An on-disk embedding cache keyed by content, so re-running a notebook does not embed again.

Where: ``$SMALLBERT_VIZ_CACHE_DIR/embeddings/embeddings.sqlite`` (default
``~/.cache/smallbert_viz/embeddings``). One SQLite database in WAL mode: several processes can
read and write at once (each write is one short transaction; readers never block writers).

The key of a vector is a SHA-256 over everything that decides it:

- the weights actually loaded: a hash of every encoder variable's name, shape and values
  (computed once per model object, kept in a weak-keyed dict owned by this module), never the path,
  so a different model placed at the same path never gets the old vectors;
- the preprocessor: its handle and a hash of its SavedModel files (``saved_model.pb``, which holds
  the tokenizer's graph and tables, and ``assets/``, which holds the vocabulary);
- pooling, max_length, normalize, precision (``"float32"`` today) and the text.

Each entry stores a CRC-32 of its bytes: an entry that is unreadable or of the wrong size is
ignored, embedded again and rewritten. The database is bounded: after a write that takes it over
``max_bytes`` (default 2 GB, ``SMALLBERT_VIZ_EMBED_CACHE_MAX_BYTES``, e.g. ``500M``), the least
recently used entries are deleted down to 90% of it. ``SMALLBERT_VIZ_EMBED_CACHE=0`` turns the
cache off everywhere (``embed(..., cache=False)`` for one call, the CLI's ``--no-cache``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._paths import cache_root

if TYPE_CHECKING:
    from .models.model import BertModel

CACHE_SWITCH_ENV_VAR = "SMALLBERT_VIZ_EMBED_CACHE"
MAX_BYTES_ENV_VAR = "SMALLBERT_VIZ_EMBED_CACHE_MAX_BYTES"
DEFAULT_MAX_BYTES = 2 * 1024**3
EVICT_TO = 0.9  # after eviction the database holds at most this share of max_bytes
ENTRY_OVERHEAD = 80  # bytes per row besides the vector (key, checksum, bookkeeping), estimated
SCHEMA_VERSION = 1
_QUERY_BATCH = 500

_FINGERPRINTS: weakref.WeakKeyDictionary[Any, tuple[str, str | None]] = (
    weakref.WeakKeyDictionary()
)
_FINGERPRINTS_LOCK = threading.Lock()


def enabled() -> bool:
    """False when ``SMALLBERT_VIZ_EMBED_CACHE`` is 0/false/no/off."""
    value = os.environ.get(CACHE_SWITCH_ENV_VAR, "").strip().lower()
    return value not in {"0", "false", "no", "off"}


def max_bytes() -> int:
    """The size bound: ``SMALLBERT_VIZ_EMBED_CACHE_MAX_BYTES`` (bytes, or with K/M/G) or 2 GB."""
    raw = os.environ.get(MAX_BYTES_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?", raw.lower())
    if not match:
        raise ValueError(
            f"{MAX_BYTES_ENV_VAR} must be a size such as 2000000000, 500M or 2G. "
            f"Got {raw!r} instead."
        )
    number, unit = match.groups()
    return int(float(number) * (1024 ** ("kmgt".index(unit) + 1) if unit else 1))


def cache_path() -> Path:
    return cache_root() / "embeddings" / "embeddings.sqlite"


def _hash_files(h: Any, folder: Path) -> bool:
    """Feed ``saved_model.pb`` and ``assets/*`` of a SavedModel folder to ``h``."""
    files = [folder / "saved_model.pb"]
    assets = folder / "assets"
    if assets.is_dir():
        files += sorted(p for p in assets.rglob("*") if p.is_file())
    if not files[0].is_file():
        return False
    for path in files:
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return True


def _preprocessor_fingerprint(model: BertModel) -> str | None:
    from .models import handles

    location = model.spec.preprocessor
    folder = handles.cache_folder(location) if handles.is_url_handle(location) else Path(location)
    h = hashlib.sha256(b"preprocessor\0" + location.encode() + b"\0")
    return h.hexdigest() if _hash_files(h, folder) else None


def _weights_fingerprint(model: BertModel) -> str:
    h = hashlib.sha256(b"encoder\0")
    for v in sorted(model.encoder.variables, key=lambda v: v.name):
        value = np.ascontiguousarray(v.numpy())
        h.update(f"{v.name}|{value.dtype.str}|{value.shape}\0".encode())
        h.update(value.tobytes())
    return h.hexdigest()


def fingerprints(model: BertModel) -> tuple[str, str | None]:
    """``(weights, preprocessor)`` fingerprints of a loaded model, computed once per object.

    The preprocessor's is ``None`` when its files cannot be found (then nothing is cached).
    """
    with _FINGERPRINTS_LOCK:
        found = _FINGERPRINTS.get(model)
        if found is None:
            found = (_weights_fingerprint(model), _preprocessor_fingerprint(model))
            _FINGERPRINTS[model] = found
    return found


def key_prefix(model: BertModel, pooling: str, max_length: int, normalize: bool) -> bytes | None:
    """Everything but the text that decides a vector; ``None`` if the model cannot be keyed."""
    weights, pre = fingerprints(model)
    if pre is None:
        return None
    # The precision asked for: bfloat16 vectors are never served to a float32 run (float32 keys
    # are unchanged from earlier versions).
    precision = getattr(getattr(model, "precision_mode", None), "name", "float32")
    settings = f"v{SCHEMA_VERSION}|{weights}|{pre}|{pooling}|{max_length}|{normalize}|{precision}"
    return settings.encode() + b"\0"


def text_keys(prefix: bytes, texts: Sequence[str]) -> list[bytes]:
    return [hashlib.sha256(prefix + t.encode("utf8", "surrogatepass")).digest() for t in texts]


@dataclass(frozen=True)
class Lookup:
    """Cached rows of one lookup: ``vectors[i]`` is valid where ``found[i]``.

    ``vectors``: float32 ndarray of shape (n_texts, dim); ``found`` and ``truncated``: bool
    ndarrays of shape (n_texts,).
    """

    vectors: np.ndarray
    found: np.ndarray
    truncated: np.ndarray


class EmbeddingCache:
    """The SQLite store. One connection per instance; make one per process or thread."""

    def __init__(self, path: str | os.PathLike | None = None, limit: int | None = None) -> None:
        self.path = Path(path) if path is not None else cache_path()
        self.limit = max_bytes() if limit is None else limit
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, vector BLOB NOT NULL,"
                " crc INTEGER NOT NULL, truncated INTEGER NOT NULL, used REAL NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS entries_used ON entries(used)")
        except sqlite3.DatabaseError:  # not a database (a torn or foreign file): start again
            db.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(str(self.path) + suffix)
            return self._connect()
        return db

    def close(self) -> None:
        self._db.close()

    def get(self, keys: Sequence[bytes], dim: int) -> Lookup:
        vectors = np.zeros((len(keys), dim), np.float32)
        found = np.zeros(len(keys), bool)
        truncated = np.zeros(len(keys), bool)
        where = {}
        for i, key in enumerate(keys):
            where.setdefault(key, []).append(i)
        unique = list(where)
        hits = []
        for start in range(0, len(unique), _QUERY_BATCH):
            batch = unique[start : start + _QUERY_BATCH]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT key, vector, crc, truncated FROM entries WHERE key IN ({marks})", batch
            ).fetchall()
            for key, blob, crc, cut in rows:
                if len(blob) != 4 * dim or zlib.crc32(blob) != crc:
                    continue  # corrupt: a miss, rewritten by the next put
                vector = np.frombuffer(blob, np.float32)
                for i in where[key]:
                    vectors[i] = vector
                    found[i] = True
                    truncated[i] = bool(cut)
                hits.append(key)
        if hits:  # least-recently-used bookkeeping
            now = time.time()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "UPDATE entries SET used = ? WHERE key = ?", [(now, k) for k in hits]
                )
                self._db.execute("COMMIT")
            except sqlite3.OperationalError:  # locked for too long: skip, it is bookkeeping
                with contextlib.suppress(sqlite3.OperationalError):
                    self._db.execute("ROLLBACK")
        return Lookup(vectors, found, truncated)

    def put(self, keys: Sequence[bytes], vectors: np.ndarray, truncated: Sequence[bool]) -> None:
        vectors = np.ascontiguousarray(vectors, np.float32)
        now = time.time()
        rows = []
        for key, vector, cut in zip(keys, vectors, truncated):
            blob = vector.tobytes()
            rows.append((key, blob, zlib.crc32(blob), int(cut), now))
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)", rows)
            self._evict()
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _evict(self) -> None:
        count, payload = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(vector)), 0) FROM entries"
        ).fetchone()
        size = payload + ENTRY_OVERHEAD * count
        if size <= self.limit:
            return
        per_row = size / max(count, 1)
        excess = int((size - EVICT_TO * self.limit) / per_row) + 1
        self._db.execute(
            "DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY used LIMIT ?)",
            (excess,),
        )

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


_STORES: dict[tuple[int, int, str], EmbeddingCache] = {}
_STORES_LOCK = threading.Lock()


def store() -> EmbeddingCache:
    """This process's and thread's store at the current cache path and size bound."""
    ident = (os.getpid(), threading.get_ident(), str(cache_path()))
    with _STORES_LOCK:
        found = _STORES.get(ident)
        if found is None or found.limit != max_bytes():
            found = _STORES[ident] = EmbeddingCache()
    return found
