"""Texts -> sentence vectors on disk, chunk by chunk, resumable after an interruption.

:func:`embed_to_disk` streams any number of texts (a file read a chunk at a time, a list, or any
iterable) through a model into a ``.npy`` array or a Parquet file, holding one chunk of texts
and vectors at a time. Nothing is written under the final name before the end:

* ``OUT.partial`` receives the rows of each finished chunk (``.npy``: the raw float32 rows after
  a fixed-size header slot, fsynced per chunk; Parquet: a folder with one part file per chunk);
* ``OUT.journal.json`` (replaced atomically after each chunk is on disk) names the input's
  fingerprint, the model's weights, the pooling, normalization, max_length, chunk and batch
  sizes, and how many chunks are done;
* at the end the ``.npy`` header is written into its slot (or the Parquet parts are merged into
  one file) and the result is renamed to ``OUT`` with ``os.replace``.

While a run works, it holds ``OUT.lock`` (an advisory lock the OS drops if the process dies), so a
second run on the same output is refused instead of interleaving its rows with the first's.

Running the same call again after Ctrl-C or a kill reads the journal, checks that input and
settings are the same (else it refuses and says how to start over), cuts ``OUT.partial`` back to
the journalled chunks and continues with the next one. Chunks are multiples of the batch size
and each chunk is sorted and batched on its own, so a resumed run gives bit-identical vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ._validation import check_choice, check_int
from .embedding import CHUNK_SIZE, DEFAULT_BATCH_SIZE, check_texts
from .embedding_spec import DEFAULT_MAX_LENGTH, EmbeddingSpec
from .errors import SmallBertVizError

if TYPE_CHECKING:
    from .models.model import BertModel
    from .provenance import Provenance

FORMATS = ("npy", "parquet")
#: Texts per chunk unless told: the unit of resumption (and the chunk ``embed`` sorts within).
DEFAULT_CHUNK_SIZE = CHUNK_SIZE
#: Bytes reserved for the ``.npy`` header (version 1.0): room for any 2-D float32 shape.
NPY_HEADER_BYTES = 128
JOURNAL_VERSION = 1
RESTART_HINT = "pass restart=True (on the command line: add --restart)"
_OWNER = "embed_to_disk"


@dataclass(frozen=True)
class EmbedToDiskResult:
    """What :func:`embed_to_disk` wrote.

    Attributes
    ----------
    path : Path
        The output file (``.npy``: float32 array of shape (n_texts, hidden_size); ``.parquet``:
        rows with an ``embedding`` column of fixed-size lists of float32, and ``text`` if kept).
    metadata_path : Path
        The JSON sidecar with the source, shape and provenance.
    n_texts, hidden_size : int
    resumed_texts : int
        Texts whose vectors came from an earlier, interrupted run (0 for a fresh run).
    truncated : int
        Texts longer than ``max_length`` wordpieces that were cut.
    provenance : Provenance
    """

    path: Path
    metadata_path: Path
    n_texts: int
    hidden_size: int
    resumed_texts: int
    truncated: int
    provenance: Provenance


class ResumeMismatchError(ValueError):
    """An interrupted run's journal does not match this call's input or settings."""


class OutputInUseError(SmallBertVizError, RuntimeError):
    """Another run is writing the same output right now."""


# --------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class _Source:
    description: str
    opener: Any  # () -> Iterator[str]; None for a one-shot iterable
    one_shot: Iterator[Any] | None

    def open(self) -> Iterator[Any]:
        return self.opener() if self.opener is not None else self.one_shot


def _source(texts: str | os.PathLike | Iterable[str], column: str | None) -> _Source:
    if isinstance(texts, str | os.PathLike):
        from .corpus import iter_corpus_texts

        path = Path(texts)
        if not path.is_file():
            raise FileNotFoundError(
                f"No such file: {str(path)!r}. Pass a .txt, .csv or .tsv file, or the texts "
                "themselves as a list."
            )
        described = f"{path} (column {column!r})" if column else str(path)
        return _Source(described, lambda: iter_corpus_texts(path, column=column), None)
    if column is not None:
        raise ValueError(
            "The 'column' parameter of embed_to_disk only applies to a CSV/TSV path. Pass the "
            "column itself (e.g. df['text']) as texts instead."
        )
    if isinstance(texts, bytes | bytearray):
        raise TypeError("texts is bytes, not str. Decode it first with texts.decode('utf-8').")
    if not isinstance(texts, Iterable):
        raise TypeError(
            "The 'texts' parameter of embed_to_disk must be a path to a .txt/.csv/.tsv file or an "
            f"iterable of str. Got {type(texts).__name__} instead."
        )
    if isinstance(texts, Sequence) or hasattr(texts, "__len__") and not isinstance(texts, Iterator):
        return _Source(f"{len(texts):,} texts given in memory", lambda: iter(texts), None)
    return _Source("texts from an iterator", None, iter(texts))


def _chunk_digest(previous: str, texts: list[str]) -> str:
    """The fingerprint of the input through this chunk (a hash chain over chunks)."""
    h = hashlib.sha256(previous.encode())
    for text in texts:
        data = text.encode("utf8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while True:
        chunk = []
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                break
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return


def _fingerprint(source: _Source, chunk_size: int) -> tuple[str, int]:
    """(hash chain over all chunks, number of texts): one streaming pass over the input."""
    digest, total = "", 0
    for chunk in _chunks(source.open(), chunk_size):
        chunk = check_texts(chunk, start=total)
        digest = _chunk_digest(digest, chunk)
        total += len(chunk)
    return digest, total


# --------------------------------------------------------------------------------------------
# Output writers: rows of finished chunks into OUT.partial, renamed into place at the end


def _fsync(fh: Any) -> None:
    fh.flush()
    os.fsync(fh.fileno())


def npy_header(shape: tuple[int, int]) -> bytes:
    """A version 1.0 ``.npy`` header for a C-order float32 array, exactly NPY_HEADER_BYTES."""
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    body_len = NPY_HEADER_BYTES - 10  # magic (6) + version (2) + header length (2)
    header = text.ljust(body_len - 1) + "\n"
    if len(header) != body_len:
        raise ValueError(f"shape {shape} does not fit in a {NPY_HEADER_BYTES}-byte .npy header")
    return b"\x93NUMPY\x01\x00" + body_len.to_bytes(2, "little") + header.encode("latin1")


class _NpyWriter:
    def __init__(self, partial: Path, hidden: int) -> None:
        self.partial, self.hidden = partial, hidden
        self._fh: Any = None

    def open(self, chunks_done: int, rows_done: int) -> None:
        if rows_done == 0 or not self.partial.is_file():
            self._fh = open(self.partial, "wb")  # noqa: SIM115 (closed in finish/close)
            self._fh.write(b"\0" * NPY_HEADER_BYTES)  # not a valid .npy until finish()
        else:
            self._fh = open(self.partial, "r+b")  # noqa: SIM115
            # Rows of a chunk that was being written when the run stopped are dropped.
            self._fh.truncate(NPY_HEADER_BYTES + rows_done * self.hidden * 4)
            self._fh.seek(0, os.SEEK_END)

    def write(self, index: int, vectors: np.ndarray, texts: list[str]) -> None:
        self._fh.write(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
        _fsync(self._fh)

    def finish(self, out: Path, rows: int) -> None:
        self.close()
        with open(self.partial, "r+b") as fh:
            size = NPY_HEADER_BYTES + rows * self.hidden * 4
            if fh.seek(0, os.SEEK_END) < size:
                raise OSError(f"{self.partial} is shorter than the {rows} rows its journal names")
            fh.truncate(size)
            fh.seek(0)
            fh.write(npy_header((rows, self.hidden)))
            _fsync(fh)
        os.replace(self.partial, out)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class _ParquetWriter:
    """One part file per chunk in the OUT.partial folder; merged into one file at the end."""

    def __init__(self, partial: Path, hidden: int, include_text: bool) -> None:
        self.partial, self.hidden, self.include_text = partial, hidden, include_text

    def _schema(self):
        import pyarrow as pa

        fields = [pa.field("text", pa.string())] if self.include_text else []
        fields.append(pa.field("embedding", pa.list_(pa.float32(), self.hidden)))
        return pa.schema(fields)

    def _part(self, index: int) -> Path:
        return self.partial / f"part-{index:07d}.parquet"

    def open(self, chunks_done: int, rows_done: int) -> None:
        if chunks_done == 0 and self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True, exist_ok=True)
        for stale in self.partial.iterdir():  # parts beyond the journal, temporary files
            keep = stale.suffix == ".parquet" and stale.stem.startswith("part-")
            if not keep or int(stale.stem[5:]) >= chunks_done:
                stale.unlink()

    def write(self, index: int, vectors: np.ndarray, texts: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        flat = pa.array(np.ascontiguousarray(vectors, np.float32).reshape(-1))
        columns = [pa.array(texts, pa.string())] if self.include_text else []
        columns.append(pa.FixedSizeListArray.from_arrays(flat, self.hidden))
        table = pa.Table.from_arrays(columns, schema=self._schema())
        tmp = self.partial / f"part-{index:07d}.tmp"
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self._part(index))

    def finish(self, out: Path, chunks: int) -> None:
        import pyarrow.parquet as pq

        merged = self.partial / "merged.tmp"
        # One row group per part: memory stays at one chunk.
        with pq.ParquetWriter(merged, self._schema()) as writer:
            for index in range(chunks):
                writer.write_table(pq.read_table(self._part(index), schema=self._schema()))
        with open(merged, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(merged, out)
        shutil.rmtree(self.partial)

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------------------------
# The journal


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf8") as fh:
        json.dump(data, fh, indent=2)
        _fsync(fh)
    os.replace(tmp, path)


def _settings(spec: EmbeddingSpec, fmt: str, chunk_size: int, batch_size: int, text: bool):
    """Everything that decides the output's bytes, as it is compared on resume."""
    from .embedding_cache import fingerprints

    weights, preprocessor = fingerprints(spec.model)
    prov = spec.provenance()
    return {
        "model": spec.model.info.name,
        "encoder": spec.model.info.encoder_handle,
        "weights_sha256": weights,
        "preprocessor_sha256": preprocessor,
        "pooling": spec.pooling,
        "normalize": spec.normalize,
        "max_length": spec.max_length,
        "precision": prov.precision,
        "hidden_size": spec.model.hidden_size,
        "format": fmt,
        "text_column": text,
        "chunk_size": chunk_size,
        "batch_size": batch_size,
    }


def _mismatch(journal_path: Path, what: str) -> ResumeMismatchError:
    return ResumeMismatchError(
        f"{journal_path} is the journal of an interrupted run with {what}, so it cannot be "
        f"resumed by this one. Run it again with the same input and settings to finish it, or "
        f"{RESTART_HINT} to discard it and start over."
    )


# --------------------------------------------------------------------------------------------


def lock_path(output: str | os.PathLike) -> Path:
    """``OUT.lock``: held by the run writing ``output`` (see :func:`embed_to_disk`)."""
    out = Path(output)
    return out.with_name(out.name + ".lock")


def partial_paths(output: str | os.PathLike) -> tuple[Path, Path]:
    """``(OUT.partial, OUT.journal.json)``: where an unfinished run of ``output`` keeps state."""
    out = Path(output)
    return out.with_name(out.name + ".partial"), out.with_name(out.name + ".journal.json")


def embed_to_disk(
    texts: str | os.PathLike | Iterable[str],
    output: str | os.PathLike,
    *,
    model: BertModel,
    pooling: str | None = None,
    normalize: bool = False,
    max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    format: Literal["npy", "parquet"] | None = None,
    column: str | None = None,
    include_text: bool = True,
    restart: bool = False,
    progress: bool | None = None,
) -> EmbedToDiskResult:
    """Embed ``texts`` into ``output`` a chunk at a time; resume an interrupted run.

    Parameters
    ----------
    texts : path or iterable of str
        A ``.txt`` (one text per line, blank lines skipped) or ``.csv``/``.tsv`` file (column
        ``column``, default ``text``), read a chunk at a time; or a list, pandas Series or any
        iterable of str. Files and sized collections are read twice (a first pass counts the
        texts and fingerprints them); a one-shot iterator is read once and can be resumed only
        if it yields the same texts again (checked chunk by chunk).
    output : path
        ``.npy`` (float32, shape (n_texts, hidden_size)) or ``.parquet`` (an ``embedding``
        column of fixed-size float32 lists, plus a ``text`` column unless ``include_text`` is
        False). A name without a suffix gets ``.npy``. Replaced only when the run completes.
    model : BertModel
    pooling, normalize, max_length
        As in :func:`smallbert_viz.embed`.
    batch_size : int, optional
        Sentences per encoder call (default 64).
    chunk_size : int
        Texts per chunk: embedded, written and journalled together; at most this many texts'
        work is lost to an interruption. Rounded up to a multiple of ``batch_size``.
    format : {"npy", "parquet"}, optional
        Default: from the suffix of ``output``.
    restart : bool
        Discard an interrupted run's partial output and journal instead of resuming it.
    progress : bool, optional
        A progress bar with ETA; ``None`` shows it for more than one chunk.

    Returns
    -------
    EmbedToDiskResult

    Raises
    ------
    ResumeMismatchError
        If ``OUT.journal.json`` belongs to a run with another input or other settings.
    OutputInUseError
        If another run is writing ``output`` right now.
    """
    spec = EmbeddingSpec.of(
        model, pooling, normalize=normalize, max_length=max_length, owner=_OWNER
    )
    batch_size = check_int(
        "batch_size", DEFAULT_BATCH_SIZE if batch_size is None else batch_size, _OWNER, low=1
    )
    chunk_size = check_int("chunk_size", chunk_size, _OWNER, low=1)
    chunk_size = -(-chunk_size // batch_size) * batch_size  # whole batches: resumable bit for bit
    for name, value in (("include_text", include_text), ("restart", restart)):
        if not isinstance(value, bool):
            raise TypeError(
                f"The {name!r} parameter of {_OWNER} must be True or False. Got {value!r} instead."
            )
    out = Path(output)
    if format is None:
        format = "parquet" if out.suffix.lower() == ".parquet" else "npy"
    format = check_choice("format", format, FORMATS, _OWNER)
    if format == "npy" and out.suffix != ".npy":  # np.save would add it: name the real file
        out = out.with_name(out.name + ".npy")
    out.parent.mkdir(parents=True, exist_ok=True)
    source = _source(texts, column)
    settings = _settings(spec, format, chunk_size, batch_size, include_text)
    with _exclusive(out):  # this process alone writes out and its state files
        partial, journal_path = partial_paths(out)
        journal = None if restart else _read_journal(journal_path)
        if restart:
            _discard(partial, journal_path)
        if journal is not None:
            differ = [k for k, v in settings.items() if journal["settings"].get(k) != v]
            if differ:
                was = ", ".join(f"{k}={journal['settings'].get(k)!r}" for k in differ)
                now = ", ".join(f"{k}={settings[k]!r}" for k in differ)
                raise _mismatch(journal_path, f"other settings ({was}; now {now})")
            if not partial.exists() and not (journal["complete"] and out.exists()):
                journal = None  # its partial output was deleted: nothing to resume

        total = fingerprint = None
        if source.opener is not None:
            fingerprint, total = _fingerprint(source, chunk_size)
        if journal is not None and journal["input"]["sha256"] not in (None, fingerprint):
            was = journal["input"]
            raise _mismatch(
                journal_path,
                f"another input ({was['description']}, {was['n_texts']} texts; now "
                f"{source.description}, {total} texts)",
            )
        state = _State(out, source, settings, total, fingerprint, journal)
        run = _Run(spec, state, partial, journal_path, chunk_size, batch_size, format, include_text)
        return run.execute(progress)


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """Hold ``OUT.lock`` for the run: a second run on the same output would interleave rows.

    An advisory ``flock`` (released by the OS if the process dies, so a killed run never
    leaves a stale lock). The lock file is removed at the end while still held; a run that
    opened the file just before is told apart by its inode and tries again. Where ``fcntl`` does
    not exist (Windows), runs are not locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = lock_path(out)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputInUseError(
                f"Another embed_to_disk run (or `smallbert-viz embed`) is writing {out} right "
                f"now: it holds {path.name}. Wait for it to finish, or stop it and run this "
                "again to resume from its last finished chunk."
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the file was removed by a run that just finished: lock the new one
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _read_journal(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        journal = json.loads(path.read_text(encoding="utf8"))
    except (OSError, ValueError) as exc:
        raise _mismatch(path, f"an unreadable journal ({exc})") from exc
    if not isinstance(journal, dict) or journal.get("version") != JOURNAL_VERSION:
        raise _mismatch(path, "another journal version")
    return journal


def _discard(partial: Path, journal_path: Path) -> None:
    if partial.is_dir():
        shutil.rmtree(partial)
    else:
        partial.unlink(missing_ok=True)
    journal_path.unlink(missing_ok=True)


class _State:
    """The journal's content: what is being made and how far it got."""

    def __init__(self, out, source, settings, total, fingerprint, journal) -> None:
        self.out, self.source, self.settings = out, source, settings
        self.total, self.fingerprint = total, fingerprint
        journal = journal or {}
        self.chunks_done: int = journal.get("chunks_done", 0)
        self.rows_done: int = journal.get("rows_done", 0)
        self.truncated: int = journal.get("truncated", 0)
        self.chain: str = journal.get("chain", "")
        self.complete: bool = journal.get("complete", False)
        self.resumed_rows = self.rows_done

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": JOURNAL_VERSION,
            "output": self.out.name,
            "input": {
                "description": self.source.description,
                "n_texts": self.total,
                "sha256": self.fingerprint,
            },
            "settings": self.settings,
            "chunks_done": self.chunks_done,
            "rows_done": self.rows_done,
            "truncated": self.truncated,
            "chain": self.chain,
            "complete": self.complete,
        }


class _Run:
    def __init__(
        self, spec, state, partial, journal_path, chunk_size, batch_size, fmt, include_text
    ) -> None:
        self.spec, self.state = spec, state
        self.partial, self.journal_path = partial, journal_path
        self.chunk_size, self.batch_size, self.format = chunk_size, batch_size, fmt
        hidden = spec.model.hidden_size
        self.writer: _NpyWriter | _ParquetWriter = (
            _NpyWriter(partial, hidden)
            if fmt == "npy"
            else _ParquetWriter(partial, hidden, include_text)
        )

    def save(self) -> None:
        _write_json_atomic(self.journal_path, self.state.to_dict())

    def execute(self, progress: bool | None) -> EmbedToDiskResult:
        from .progress import say

        st = self.state
        many = st.total is None or st.total > self.chunk_size
        show = progress if progress is not None else many
        if st.resumed_rows and show:
            say(f"resuming {st.out.name}: {st.rows_done:,} texts done by an earlier run")
        if not st.complete:
            try:
                self._embed_chunks(show)
            except KeyboardInterrupt:
                if show:
                    say(
                        f"interrupted after {st.rows_done:,} texts; run the same command again "
                        f"to resume (state in {self.journal_path.name})"
                    )
                raise
            finally:
                self.writer.close()
            if st.rows_done == 0:
                _discard(self.partial, self.journal_path)
                raise ValueError(
                    f"{st.source.description} holds no texts; there is nothing to embed (a .txt "
                    "file needs one text per line)."
                )
            st.complete = True
            self.save()
        if self.partial.exists():  # complete but not renamed yet (also after a stop right there)
            self.writer.finish(st.out, st.rows_done if self.format == "npy" else st.chunks_done)
        prov = self.spec.provenance()
        meta = st.out.with_suffix(".json")
        _write_json_atomic(
            meta,
            {
                "source": st.source.description,
                "shape": [st.rows_done, self.spec.model.hidden_size],
                "format": self.format,
                **prov.to_dict(),
            },
        )
        self.journal_path.unlink()
        if st.truncated:
            warnings.warn(
                f"{st.truncated} of {st.rows_done} texts were longer than max_length="
                f"{self.spec.max_length} wordpieces (including [CLS] and [SEP]) and were cut. "
                "Pass a larger max_length (up to 512) to keep more of them.",
                UserWarning,
                stacklevel=3,
            )
        return EmbedToDiskResult(
            st.out, meta, st.rows_done, self.spec.model.hidden_size, st.resumed_rows,
            st.truncated, prov,
        )

    def _embed_chunks(self, show: bool) -> None:
        from .embedding import _embed_chunk, _normalized
        from .progress import stream

        st, spec = self.state, self.spec
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(
                total=st.total,
                initial=st.rows_done,
                unit="text",
                desc=f"embed -> {st.out.name} ({spec.model.info.name}, {spec.pooling})",
                file=stream(),
            )
        try:
            self.writer.open(st.chunks_done, st.rows_done)
            self.save()
            check, done, expected = "", st.chunks_done, st.chain
            for index, chunk in enumerate(_chunks(st.source.open(), self.chunk_size)):
                seen = index * self.chunk_size
                if index < done:  # embedded by an earlier run: only check it is the same input
                    check = _chunk_digest(check, check_texts(chunk, start=seen))
                    if index == done - 1 and check != expected:
                        raise _mismatch(
                            self.journal_path,
                            f"other texts in its first {st.rows_done:,} (its input was "
                            f"{st.source.description})",
                        )
                    continue
                chunk = check_texts(chunk, start=seen)
                vectors, cut = _embed_chunk(
                    spec.model, chunk, spec.pooling, self.batch_size, spec.max_length
                )
                if spec.normalize:
                    vectors = _normalized(vectors).astype(np.float32)
                self.writer.write(index, vectors, chunk)
                st.chunks_done, st.rows_done = index + 1, seen + len(chunk)
                st.truncated += int(cut.sum())
                st.chain = _chunk_digest(st.chain, chunk)
                self.save()
                if bar is not None:
                    bar.update(len(chunk))
            if done and check != expected:  # the input ended before the chunks already done
                raise _mismatch(
                    self.journal_path,
                    f"more texts than this input has ({st.rows_done:,} done)",
                )
        finally:
            if bar is not None:
                bar.close()
