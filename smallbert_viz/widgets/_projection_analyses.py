"""What a projection explorer shows beyond the points: layout trust, cluster keywords and
near-duplicates (a mixin of :class:`~smallbert_viz.widgets.projection.ProjectionExplorer`).

Each is computed by its view function (``views.trust``, ``views.keywords``,
``views.duplicates``) for the layout shown, cached per layout, and named in the provenance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import numpy as np

from smallbert_viz._validation import check_float, check_int
from smallbert_viz.views.policy import DUPLICATE_THRESHOLD, TRUST_K
from smallbert_viz.widgets.duplicates import DuplicatesPanel

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.analysis import NearDuplicates, Neighbors, Projection
    from smallbert_viz.views.keywords import KeywordView
    from smallbert_viz.views.trust import TrustView


class ProjectionAnalyses:
    """Layout trust, cluster keywords and near-duplicates of the projection explorer."""

    # -- issue 12 analyses: layout trust, cluster keywords, near-duplicates ------------------
    # Each is computed by a view function (views/trust.py, keywords.py, duplicates.py) and
    # cached for the projection it was made for, so PCA -> UMAP recomputes it for the new
    # layout while colour and keyword toggles only redraw.

    def _setup_analyses(self) -> None:
        self._trust_graph: Neighbors | None = None  # cosine neighbours, one search per explorer
        self._trust_views: dict[int, tuple[Projection, TrustView]] = {}
        self._keyword_views: dict[tuple[int, str], tuple[Projection, KeywordView]] = {}
        self._duplicates: Any = None  # DuplicatesView of the last search
        self.keywords_control = widgets.Checkbox(
            value=False,
            description="keywords",
            indent=False,
            tooltip="write each group's distinguishing words at its centre (c-TF-IDF)",
            layout=widgets.Layout(width="auto"),
        )
        self.keywords_control.add_class("smallbert-viz-keywords")
        self.keywords_control.observe(self._guard(lambda _c: self.refresh(), "keywords"), "value")
        self.duplicates_panel = DuplicatesPanel(self.texts, threshold=DUPLICATE_THRESHOLD)
        self.duplicates_panel.on_find(
            self._guard(lambda t: self.duplicates(threshold=t), "near-duplicates")
        )
        self.duplicates_panel.on_pair(self._guard(lambda i, j: self.highlight([i, j]), "pair"))
        self.duplicates_box = widgets.Accordion([self.duplicates_panel], selected_index=None)
        self.duplicates_box.set_title(0, "near-duplicates")

    def _prepare_analyses(self, projection: Projection) -> None:
        """Compute what the current toggles will draw for ``projection`` (worker thread)."""
        if self.colour_control.value == "trust":
            self._trust_of(projection)
        if self.keywords_control.value:
            self._keywords_of(projection)

    def _trust_of(self, projection: Projection) -> TrustView:
        """Layout trust of ``projection`` (cached; embedding neighbours searched once)."""
        from smallbert_viz.analysis import nearest_neighbors
        from smallbert_viz.views.trust import trust_view

        with self._lock:
            hit = self._trust_views.get(id(projection))
            if hit is not None and hit[0] is projection:
                return hit[1]
            graph = self._trust_graph
        k = min(TRUST_K, len(self.texts) - 1)
        if graph is None:
            graph = nearest_neighbors(self.embeddings, k=k, metric="cosine")
        view = trust_view(self.corpus, projection, k=k, neighbors=graph)
        with self._lock:
            self._trust_graph = graph
            self._trust_views = {
                key: (p, v)
                for key, (p, v) in self._trust_views.items()
                if p is self._pca or p is self.projection
            }
            self._trust_views[id(projection)] = (projection, view)
        return view

    def _keyword_groups(self) -> tuple[list[str], str]:
        """The groups keywords describe: the colours shown when they are clusters, else the
        labels if given, else the explorer's ``clusters``."""
        if self.labels is not None and self.colour_control.value != "cluster":
            return list(self.labels), "labels"
        return [str(c) for c in self.clusters], "clusters"

    def _keywords_of(self, projection: Projection) -> KeywordView:
        from smallbert_viz.views.keywords import keyword_view

        groups, source = self._keyword_groups()
        key = (id(projection), source)
        with self._lock:
            hit = self._keyword_views.get(key)
            if hit is not None and hit[0] is projection:
                return hit[1]
        # Labels: the view's own rule (it names them); clusters: the ones coloured here.
        view = keyword_view(self.corpus, projection, None if source == "labels" else groups)
        with self._lock:
            self._keyword_views = {
                key2: (p, v)
                for key2, (p, v) in self._keyword_views.items()
                if p is self._pca or p is self.projection
            }
            self._keyword_views[key] = (projection, view)
        return view

    def _trust_figure(self, projection: Projection, highlight: np.ndarray | None) -> go.Figure:
        import plotly.graph_objects as go

        from smallbert_viz.views.projection import projection_figure

        fig = go.Figure(self._trust_of(projection).figure)
        if highlight is not None:
            marked = projection_figure(self.corpus, projection, labels=None, highlight=highlight)
            fig.add_trace(marked.data[-1])
            # The colour bar takes the right edge: the legend goes under the plot.
            fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.12})
        return fig

    def _annotate_keywords(self, fig: go.Figure, projection: Projection) -> None:
        notes = self._keywords_of(projection).annotations
        if projection.coords.shape[1] == 3:
            fig.update_layout(scene={"annotations": list(fig.layout.scene.annotations) + notes})
        else:
            for note in notes:
                fig.add_annotation(note)

    def _analysis_lines(self) -> list[str]:
        lines = []
        if self.colour_control.value == "trust":
            lines.append(f"layout trust: {self._trust_of(self.projection).describe()}")
        if self.keywords_control.value:
            view = self._keywords_of(self.projection)
            line = f"keywords: {view.description}"
            if view.source != "labels":
                line += f" (the explorer's {len(view.keywords)} spherical k-means clusters)"
            lines.append(line)
        if self._duplicates is not None:
            lines.append(f"near-duplicates: {self._duplicates.describe()}")
        return lines

    @property
    def trust(self) -> np.ndarray:
        """Layout trust of the projection shown: ndarray of shape (N,), values in [0, 1].

        Per sentence, the share of its ``TRUST_K`` nearest neighbours in the embedding space
        (cosine) that are also among its nearest in the layout (``projection_trust``).
        """
        return self._trust_of(self.projection).trust

    @property
    def keywords(self) -> dict[str, list[str]]:
        """Group -> its distinguishing words (c-TF-IDF), for the groups the keywords describe:
        the labels if given (the clusters while colouring by cluster), else ``clusters``."""
        return dict(self._keywords_of(self.projection).keywords)

    @property
    def keyword_table(self) -> list[dict[str, Any]]:
        """One row per group for export: ``{"group", "x", "y", ("z",) "size", "keywords"}``,
        the centre being the median of its points in the projection shown."""
        return [dict(row) for row in self._keywords_of(self.projection).table]

    def highlight(self, rows: Any) -> None:
        """Emphasise sentences ``rows`` on the scatter (as a query's neighbours are).

        ``clear_query`` (the "clear highlight" button) removes it.
        """
        owner = "ProjectionExplorer.highlight"
        n = len(self.texts)
        picked = [check_int("rows", r, owner, low=0, high=n - 1) for r in rows]
        with self._lock:
            self.query_result = None
            self.highlighted = np.asarray(picked, dtype=np.int64)
            self._redraw()
        self.query_table.value = ""

    def duplicates(self, threshold: float = DUPLICATE_THRESHOLD) -> NearDuplicates:
        """Find every pair of sentences at cosine similarity >= ``threshold`` and list them.

        The pairs appear in the "near-duplicates" panel below the scatter (escaped text, most
        similar first); picking one highlights the two points. Runs ``near_duplicates``
        through the views (exact neighbours up to the views' limit, approximate beyond).

        Returns
        -------
        NearDuplicates
            ``.rows`` of ``(i, j, score, kind)``, ``.counts``, ``.method``.
        """
        from smallbert_viz.views.duplicates import duplicates_view

        owner = "ProjectionExplorer.duplicates"
        threshold = check_float("threshold", threshold, owner, low=-1.0, high=1.0)
        view = duplicates_view(self.corpus, threshold=threshold)
        with self._lock:
            self._duplicates = view
            self._set_provenance(*self._provenance_lines())
        self.duplicates_panel.show(view.result, description=view.describe())
        self.duplicates_box.selected_index = 0
        return view.result
