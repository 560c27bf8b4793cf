"""``EmbedResult``: what one ``%embed`` call computed, kept for later use in the notebook."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz.provenance import ModelInfo, Provenance

if TYPE_CHECKING:
    from smallbert_viz.analysis import Projection, SimilarityMatrix
    from smallbert_viz.models.model import BertModel
    from smallbert_viz.widgets.explorer import Explorer

#: The summary table shows at most this many sentences.
REPR_MAX_ROWS = 10
#: ... each cut to this many characters.
REPR_MAX_CHARS = 120


def _cut(text: str, limit: int = REPR_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True, eq=False)
class EmbedResult:
    """Sentences, their embeddings and where the numbers came from.

    Attributes
    ----------
    texts : tuple of str, length N
    labels : tuple of str of length N, or None
    embeddings : ndarray of shape (N, H), float32
        Read-only; row ``i`` is ``model.embed(texts)[i]`` with ``provenance.pooling``.
    provenance : Provenance
        The model actually used and the pooling / normalisation / max_length applied.
    note : str or None
        Which model was used and why, when the magic chose it (``--model`` not given).
    projection : Projection or None
        The 2-D coordinates shown (PCA or UMAP), when a projection was computed.
    figures : mapping of str to plotly Figure
        The figures the magic displayed, by view: ``"similarity"``, ``"attention"``,
        ``"projection"`` (in that order).
    model : BertModel
        The loaded model (not part of the repr).
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    embeddings: np.ndarray
    provenance: Provenance
    model: BertModel = field(repr=False)
    note: str | None = None
    projection: Projection | None = field(default=None, repr=False)
    figures: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        texts = tuple(str(t) for t in self.texts)
        labels = None if self.labels is None else tuple(str(x) for x in self.labels)
        emb = np.ascontiguousarray(self.embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(texts):
            raise ValueError(
                f"embeddings must have shape ({len(texts)}, H) for {len(texts)} texts. Got shape "
                f"{emb.shape} instead."
            )
        if labels is not None and len(labels) != len(texts):
            raise ValueError(
                f"labels must have one entry per text ({len(texts)}). Got {len(labels)} instead."
            )
        emb.setflags(write=False)
        object.__setattr__(self, "texts", texts)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "embeddings", emb)
        object.__setattr__(self, "figures", dict(self.figures))

    # -- what it is ----------------------------------------------------------------------------

    @property
    def model_info(self) -> ModelInfo:
        """The model's name, handles, size and default pooling."""
        return self.provenance.model

    @property
    def pooling(self) -> str:
        return self.provenance.pooling

    def describe(self) -> str:
        """One line naming the model and the settings (``Provenance.describe()``)."""
        return self.provenance.describe()

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        n, h = self.embeddings.shape
        lab = "" if self.labels is None else f", labels={len(set(self.labels))} distinct"
        proj = "" if self.projection is None else f", projection={self.projection.method!r}"
        return (
            f"EmbedResult({n} texts x {h} dims, model={self.model_info.name!r}, "
            f"pooling={self.pooling!r}, normalized={self.provenance.normalize}{lab}{proj})"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        n, h = self.embeddings.shape
        rows = []
        for i, text in enumerate(self.texts[:REPR_MAX_ROWS]):
            label = "" if self.labels is None else f"<td>{esc(_cut(self.labels[i], 40))}</td>"
            rows.append(f"<tr><td>{i}</td>{label}<td>{esc(_cut(text))}</td></tr>")
        if n > REPR_MAX_ROWS:
            cols = 3 if self.labels is not None else 2
            rows.append(f"<tr><td colspan={cols}>\u2026 {n - REPR_MAX_ROWS} more</td></tr>")
        head = "<th>#</th>" + ("<th>label</th>" if self.labels is not None else "")
        note = f"<div>{esc(self.note)}</div>" if self.note else ""
        proj = (
            f"<div>projection: {esc(self.projection.describe())}</div>"
            if self.projection is not None
            else ""
        )
        return (
            f"<div class='smallbert-viz-embed'><b>EmbedResult</b>: {n} texts \u00d7 {h} dims, "
            f"model <code>{esc(self.model_info.name)}</code>, pooling "
            f"<code>{esc(self.pooling)}</code>"
            f"<div style='color:#555;font-size:90%'>{esc(self.describe())}</div>{note}{proj}"
            f"<table><thead><tr>{head}<th>text</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )

    # -- follow-ups ----------------------------------------------------------------------------

    def similarity(self, *, metric: str = "cosine") -> SimilarityMatrix:
        """Pairwise similarities of the embeddings, ``matrix`` of shape (N, N)."""
        from smallbert_viz.analysis import similarity_matrix

        return similarity_matrix(self.embeddings, metric=metric)

    def explore(self, **kwargs: Any) -> Explorer:
        """The linked explorers (projection, similarity, attention) on these sentences.

        Reuses ``embeddings`` (nothing is embedded again) with the same model, pooling,
        normalisation and provenance line; ``kwargs`` go to
        :class:`smallbert_viz.widgets.Explorer`, e.g. ``projection={"method": "umap"}``.
        """
        from smallbert_viz.widgets import Explorer

        return Explorer(
            list(self.texts),
            None if self.labels is None else list(self.labels),
            model=self.model,
            embeddings=self.embeddings,
            pooling=self.pooling,
            normalize=self.provenance.normalize,
            max_length=self.provenance.max_length,
            provenance=self.provenance,
            **kwargs,
        )

    def report(self, path: str | os.PathLike = "report.html", **kwargs: Any) -> Path:
        """Write the standalone HTML report of these texts with the same model and pooling.

        Calls :func:`smallbert_viz.reporting.report` with ``texts``, ``labels``, ``model``,
        ``pooling``, ``normalize`` and ``max_length`` of this result; ``kwargs`` are passed on (a
        value given there wins). The result's ``embeddings`` are reused (not computed again)
        unless ``kwargs`` change the pooling, normalisation or max_length. Returns the path
        written.
        """
        from smallbert_viz.reporting import report

        params: dict[str, Any] = {
            "pooling": self.pooling,
            "normalize": self.provenance.normalize,
            "max_length": self.provenance.max_length,
            **kwargs,
        }
        same_settings = (
            (params["pooling"] or self.model.default_pooling) == self.pooling
            and bool(params["normalize"]) == self.provenance.normalize
            and params["max_length"] == self.provenance.max_length
        )
        if same_settings and "embeddings" not in kwargs:
            params["embeddings"] = self.embeddings
            params.setdefault("provenance", self.provenance)
        labels = None if self.labels is None else list(self.labels)
        return report(list(self.texts), labels, model=self.model, path=path, **params)
