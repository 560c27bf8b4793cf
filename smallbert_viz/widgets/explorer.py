"""``Explorer``: similarity, projection and attention views of one corpus, linked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smallbert_viz.widgets._base import ExplorerBase
from smallbert_viz.widgets._inputs import resolve_corpus
from smallbert_viz.widgets.attention import AttentionExplorer
from smallbert_viz.widgets.projection import ProjectionExplorer
from smallbert_viz.widgets.similarity import SimilarityExplorer

if TYPE_CHECKING:
    import numpy as np
    import plotly.graph_objects as go

    from smallbert_viz.models.model import BertModel


class Explorer(ExplorerBase):
    """The three explorers on one corpus, in tabs, linked to the attention view.

    Clicking a projection point shows that sentence's attention; clicking a similarity cell
    shows the attention of that sentence pair (``[CLS] row [SEP] column [SEP]``).

    Parameters
    ----------
    texts : list of str, length N
    model : BertModel, optional
        Needed for attention, token contributions and queries; without it, pass
        ``embeddings`` and ``provenance`` and only similarity and projection are shown.
    labels : list of str of length N, optional
    embeddings : array of shape (N, H), optional
        Precomputed embeddings; with ``model``, ``pooling`` must say how they were made.
    pooling : {"cls", "pooled", "mean"}, optional
    normalize : bool
        Unit-length embeddings (as ``model.embed(..., normalize=True)``); queries are embedded
        the same way. Matters for the dot and euclidean metrics.
    provenance : str, optional
    similarity : dict, optional
        Keyword arguments of :class:`SimilarityExplorer` (``metric``, ``order``, ``threshold``).
    projection : dict, optional
        Keyword arguments of :class:`ProjectionExplorer` (``method``, ``n_neighbors``, ...).

    Attributes
    ----------
    similarity_view : SimilarityExplorer
    projection_view : ProjectionExplorer
    attention_view : AttentionExplorer or None
    """

    def __init__(
        self,
        texts: list[str],
        model: BertModel | None = None,
        labels: list[str] | None = None,
        *,
        embeddings: np.ndarray | None = None,
        pooling: str | None = None,
        normalize: bool = False,
        provenance: str | None = None,
        similarity: dict[str, Any] | None = None,
        projection: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        # Embed once; both views get the same vectors and provenance.
        corpus = resolve_corpus(
            texts,
            model,
            labels,
            embeddings=embeddings,
            pooling=pooling,
            provenance=provenance,
            normalize=normalize,
            owner="Explorer",
        )
        shared = {
            "embeddings": corpus.embeddings,
            "pooling": corpus.pooling,
            "normalize": corpus.normalize,
            "provenance": corpus.provenance,
        }
        self.texts = corpus.texts
        self.similarity_view = SimilarityExplorer(
            corpus.texts, model, corpus.labels, **shared, **(similarity or {})
        )
        self.projection_view = ProjectionExplorer(
            corpus.texts, model, corpus.labels, **shared, **(projection or {})
        )
        self.attention_view = AttentionExplorer(model) if model is not None else None
        self.tabs = widgets.Tab(
            [self.projection_view, self.similarity_view]
            + ([self.attention_view] if self.attention_view is not None else [])
        )
        titles = ["projection", "similarity"] + (["attention"] if model is not None else [])
        for i, title in enumerate(titles):
            self.tabs.set_title(i, title)
        if self.attention_view is not None:
            self.projection_view.on_point(self._guard(self.show_sentence, "point -> attention"))
            self.similarity_view.on_pair(self._guard(self.show_pair, "cell -> attention"))
        self._set_provenance(corpus.provenance)
        self.children = [self.provenance_html, self.tabs, self.errors]
        self.add_class("smallbert-viz-explorer")

    def show_sentence(self, row: int) -> None:
        """Open sentence ``row``'s attention in the attention tab."""
        if self.attention_view is None:
            return
        self.attention_view.show(self.texts[row])
        self.tabs.selected_index = 2

    def show_pair(self, i: int, j: int) -> None:
        """Open the attention of the pair (``texts[i]``, ``texts[j]``) in the attention tab."""
        if self.attention_view is None:
            return
        if i == j:
            self.attention_view.show(self.texts[i])
        else:
            self.attention_view.show(self.texts[i], self.texts[j])
        # Stay on the similarity tab: its contribution panel just opened; the attention tab
        # is ready when the user switches.

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the projection view's UMAP layout (see ProjectionExplorer.wait_ready)."""
        return self.projection_view.wait_ready(timeout)

    def _provenance_lines(self) -> list[str]:
        return self.projection_view._provenance_lines()

    @property
    def figures(self) -> dict[str, go.Figure]:
        out = {}
        for view in (self.projection_view, self.similarity_view, self.attention_view):
            if view is not None:
                out.update(view.figures)
        return out
