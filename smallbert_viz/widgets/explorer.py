"""``Explorer``: similarity, projection and attention views of one corpus, linked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smallbert_viz.embedding_spec import DEFAULT_MAX_LENGTH
from smallbert_viz.views.inputs import resolve_corpus
from smallbert_viz.views.policy import DEFAULT_SEED, DUPLICATE_THRESHOLD
from smallbert_viz.widgets._base import ExplorerBase
from smallbert_viz.widgets.attention import AttentionExplorer
from smallbert_viz.widgets.projection import ProjectionExplorer
from smallbert_viz.widgets.similarity import SimilarityExplorer

if TYPE_CHECKING:
    import numpy as np
    import plotly.graph_objects as go

    from smallbert_viz.analysis import NearDuplicates
    from smallbert_viz.provenance import Provenance


class Explorer(ExplorerBase):
    """The three explorers on one corpus, in tabs, linked to the attention view.

    Clicking a projection point shows that sentence's attention; clicking a similarity cell
    shows the attention of that sentence pair (``[CLS] row [SEP] column [SEP]``). The
    "duplicates" tab lists near-duplicate pairs; picking one highlights it on the projection
    (and opens its attention).

    Parameters
    ----------
    texts : list of str, length N
    labels : list of str of length N, optional
    model : BertModel, str, path or None
        Needed for attention, token contributions and queries: a loaded model, a name, handle
        or path, or None for the default model (with the offline fallback). With
        ``embeddings`` and no model, nothing is loaded and only similarity and projection are
        shown.
    embeddings : array of shape (N, H), optional
        Precomputed embeddings; with ``model``, ``pooling`` must say how they were made;
        without, ``provenance`` names them.
    pooling : {"cls", "pooled", "mean"}, optional
    normalize : bool
        Unit-length embeddings (as ``model.embed(..., normalize=True)``); queries are embedded
        the same way. Matters for the dot and euclidean metrics.
    seed : int
        The views' seed (UMAP layout, heatmap sample).
    max_length : int
        Wordpieces per sentence including [CLS]/[SEP] (embeddings and attention).
    provenance : Provenance or str, optional
    similarity : dict, optional
        Options of :class:`SimilarityExplorer` (``metric``, ``order``, ``threshold``,
        ``max_rows``).
    projection : dict, optional
        Options of :class:`ProjectionExplorer` (``method``, ``n_neighbors``, ...).

    Attributes
    ----------
    similarity_view : SimilarityExplorer
    projection_view : ProjectionExplorer
    attention_view : AttentionExplorer or None
    duplicates_panel : DuplicatesPanel
        The projection view's near-duplicates panel, shown in the "duplicates" tab.
    """

    def __init__(
        self,
        texts: list[str],
        labels: list[str] | None = None,
        *,
        model: Any = None,
        embeddings: np.ndarray | None = None,
        pooling: str | None = None,
        normalize: bool = False,
        seed: int = DEFAULT_SEED,
        max_length: int = DEFAULT_MAX_LENGTH,
        provenance: Provenance | str | None = None,
        similarity: dict[str, Any] | None = None,
        projection: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        for name, value in (("similarity", similarity), ("projection", projection)):
            if value is not None and not isinstance(value, dict):
                raise TypeError(
                    f"The {name!r} parameter of Explorer must be a dict of options. Got "
                    f"{type(value).__name__} instead."
                )
        # Embed once; both views get the same vectors and provenance.
        corpus = resolve_corpus(
            texts,
            labels,
            model=model,
            embeddings=embeddings,
            pooling=pooling,
            normalize=normalize,
            max_length=max_length,
            provenance=provenance,
            owner="Explorer",
        )
        self._adopt(corpus)
        self.similarity_view = SimilarityExplorer.from_corpus(
            corpus, **{"seed": seed, **(similarity or {})}
        )
        self.projection_view = ProjectionExplorer.from_corpus(
            corpus, **{"seed": seed, **(projection or {})}
        )
        self.attention_view = (
            AttentionExplorer(model=corpus.model, max_length=max_length)
            if corpus.model is not None
            else None
        )
        # The projection view's own near-duplicates panel moves to a tab of its own.
        self.duplicates_panel = self.projection_view.duplicates_panel
        self.projection_view.duplicates_box.layout.display = "none"
        self.tabs = widgets.Tab(
            [self.projection_view, self.similarity_view]
            + ([self.attention_view] if self.attention_view is not None else [])
            + [self.duplicates_panel]
        )
        titles = ["projection", "similarity"] + (["attention"] if self.attention_view else [])
        titles.append("duplicates")
        for i, title in enumerate(titles):
            self.tabs.set_title(i, title)
        if self.attention_view is not None:
            self.projection_view.on_point(self._guard(self.show_sentence, "point -> attention"))
            self.similarity_view.on_pair(self._guard(self.show_pair, "cell -> attention"))
            self.duplicates_panel.on_pair(self._guard(self.show_pair, "duplicate -> attention"))
        self._set_provenance(corpus.provenance.describe())
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

    def duplicates(self, threshold: float = DUPLICATE_THRESHOLD) -> NearDuplicates:
        """Near-duplicate pairs at cosine >= ``threshold``, listed in the "duplicates" tab.

        See :meth:`ProjectionExplorer.duplicates`.
        """
        result = self.projection_view.duplicates(threshold)
        self.tabs.selected_index = len(self.tabs.children) - 1
        return result

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
