"""Getting the SavedModel folders to every executor.

Two ways, chosen with ``ship=`` in :func:`smallbert_viz.spark.embed`:

``ship=True`` (default)
    The model is resolved on the driver to two local folders (a converted offline model's
    folders, a local SavedModel, or a TF Hub handle's cache folder after downloading it on the
    driver). Both are packed into one uncompressed zip, named by a hash of the folders' file
    names, sizes and modification times, and registered with ``SparkContext.addArchive``. The
    driver serves it; each executor downloads it once and unpacks it into its SparkFiles
    directory, where workers find it with ``SparkFiles.get``. This works on any cluster
    manager. (``addFile(dir, recursive=True)`` is not used: Spark refuses local directories
    outside local mode.)

``ship=False``
    The locations are passed through unchanged: a path every node can read (NFS, a mounted
    bucket such as ``/dbfs/...``, or the same path baked into every node's image), or a TF Hub
    handle that each worker loads itself (point ``TFHUB_CACHE_DIR`` on the executors at a shared
    folder, or every worker downloads it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelLoadError, ModelNotFoundError
from ..models import handles
from ..models.handles import ModelSpec

if TYPE_CHECKING:
    from pyspark import SparkContext

# (application id, archive alias) pairs already registered with a SparkContext.
_REGISTERED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class ModelLocation:
    """Where a worker finds one SavedModel.

    ``kind`` is ``"archive"`` (``ref`` is the alias of a shipped archive, ``member`` the folder
    inside it), ``"path"`` (a directory every node can read) or ``"handle"`` (a TF Hub handle).
    """

    kind: str
    ref: str
    member: str = ""

    def resolve_on_worker(self) -> str:
        """The local path or handle to load, evaluated inside a Spark task."""
        if self.kind == "archive":
            from pyspark import SparkFiles

            return os.path.join(SparkFiles.get(self.ref), self.member)
        return self.ref


@dataclass(frozen=True)
class ShippedModel:
    """A resolved model: its spec (as on the driver) and where workers find its two parts."""

    spec: ModelSpec
    encoder: ModelLocation
    preprocessor: ModelLocation


def model_spec(model: Any, preprocessor: Any) -> ModelSpec:
    """The spec of ``model``: a loaded ``BertModel`` or anything ``load_model`` accepts."""
    from ..models.loader import resolve
    from ..models.model import BertModel

    if isinstance(model, BertModel):
        spec = model.spec
        if preprocessor is not None:
            from dataclasses import replace

            spec = replace(spec, preprocessor=str(preprocessor))
        return spec
    return resolve(model, preprocessor)


def _local_folder(location: str, role: str) -> Path:
    """A local SavedModel folder for ``location``, downloading a handle on the driver."""
    if handles.is_url_handle(location):
        import tensorflow_hub as hub

        from ..models.loader import _load_savedmodel

        _load_savedmodel(location, role)  # downloads into the TF Hub cache; clear errors
        return Path(hub.resolve(location))
    return check_folder(location, role)


def check_folder(location: str, role: str) -> Path:
    """``location`` as a Path if it is a SavedModel folder; else the loader's clear errors."""
    path = Path(location).expanduser()
    if not path.exists():
        raise ModelNotFoundError(
            f"The {role} directory {str(path)!r} does not exist. Pass the folder that contains "
            "saved_model.pb, a TF Hub handle, or a short name such as 'L-8_H-128_A-2'."
        )
    if not (path / "saved_model.pb").is_file():
        raise ModelLoadError(
            f"The {role} path {str(path)!r} is not a SavedModel folder (no saved_model.pb). "
            "Pass the folder that contains saved_model.pb and variables/."
        )
    return path


def _fingerprint(folders: dict[str, Path]) -> str:
    digest = hashlib.sha1()
    for member, folder in sorted(folders.items()):
        digest.update(f"{member}\0{folder.resolve()}\0".encode())
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = file.stat()
            rel = file.relative_to(folder).as_posix()
            digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:16]


def archive_dir() -> Path:
    """Where model archives are kept: ``<smallbert_viz cache>/spark``."""
    from ..models.offline import cache_root

    return cache_root() / "spark"


def build_archive(folders: dict[str, Path]) -> tuple[Path, str]:
    """Zip ``{member: folder}`` (stored, not compressed: weights barely compress); reuse it.

    Returns the archive path and its alias ``sbv-<hash>``.
    """
    key = _fingerprint(folders)
    alias = f"sbv-{key}"
    target = archive_dir() / f"{alias}.zip"
    if target.is_file():
        return target, alias
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{alias}-", suffix=".zip", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for member, folder in sorted(folders.items()):
                for file in sorted(p for p in folder.rglob("*") if p.is_file()):
                    zf.write(file, f"{member}/{file.relative_to(folder).as_posix()}")
        os.replace(tmp, target)  # atomic: a reader never sees half an archive
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target, alias


def ship_model(sc: SparkContext | None, spec: ModelSpec, *, ship: bool = True) -> ShippedModel:
    """Make ``spec``'s encoder and preprocessor reachable from every executor of ``sc``."""
    if not ship:
        locations = []
        for location, role in ((spec.encoder, "encoder"), (spec.preprocessor, "preprocessor")):
            if handles.is_url_handle(location):
                locations.append(ModelLocation("handle", location))
            else:
                locations.append(ModelLocation("path", str(check_folder(location, role))))
        return ShippedModel(spec, *locations)
    folders = {
        "encoder": _local_folder(spec.encoder, "encoder"),
        "preprocessor": _local_folder(spec.preprocessor, "preprocessor"),
    }
    archive, alias = build_archive(folders)
    if sc is not None:
        registered = (sc.applicationId, alias)
        if registered not in _REGISTERED:
            sc.addArchive(f"{archive}#{alias}")
            _REGISTERED.add(registered)
    return ShippedModel(
        spec,
        ModelLocation("archive", alias, "encoder"),
        ModelLocation("archive", alias, "preprocessor"),
    )
