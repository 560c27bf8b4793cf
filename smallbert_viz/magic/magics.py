"""``EmbedMagics``: the ``%embed`` / ``%%embed`` magic, a thin shell over the views layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments

from smallbert_viz.magic.display import FigureDisplay
from smallbert_viz.magic.parsing import ARGUMENTS, EmbedRequest, parse
from smallbert_viz.magic.result import EmbedResult
from smallbert_viz.views.policy import PROJECTION_MIN_TEXTS

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.models.model import BertModel


def _with_arguments(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Attach :data:`~smallbert_viz.magic.parsing.ARGUMENTS` for ``%embed?`` and parsing."""
    for flags, kwargs in reversed(ARGUMENTS):
        fn = argument(*flags, **kwargs)(fn)
    return magic_arguments()(fn)


@magics_class
class EmbedMagics(Magics):
    """``%embed`` / ``%%embed``. Loaded models are cached per (model, preprocessor)."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self._models: dict[tuple[str | None, str | None], BertModel] = {}
        self._display = FigureDisplay()

    def get_model(self, model: str | None, preprocessor: str | None) -> BertModel:
        """The loaded model (the default with the offline fallback when none is named)."""
        from smallbert_viz.errors import ModelLoadError
        from smallbert_viz.models.loader import load_model

        key = (model, preprocessor)
        if key not in self._models:
            try:
                from smallbert_viz.models.precision import current

                self._models[key] = load_model(
                    model,
                    preprocessor=preprocessor,
                    fallback=True,
                    precision=current() or "float32",
                )
            except (ModelLoadError, ValueError, TypeError) as exc:
                raise UsageError(f"Could not load the model: {exc}") from exc
        return self._models[key]

    @_with_arguments
    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def embed(self, line: str, cell: str | None = None, local_ns: Any = None) -> EmbedResult:
        """Embed sentences with a small BERT and show similarity, attention and a projection.

        ``%embed "first" "second" ...`` or ``%embed {list_of_str}``; ``%%embed`` reads one
        sentence per line of the cell body (``label<TAB>sentence`` lines give labels).
        Returns an EmbedResult: ``texts``, ``labels``, ``embeddings`` (float32 [N, H]),
        ``provenance``, ``figures``, ``.similarity()``, ``.explore()`` and ``.report(path)``.
        """
        request = parse(line, cell, self._evaluate(local_ns), self.embed.parser)
        model = self.get_model(request.model, request.preprocessor)
        if model.note:
            print(model.note)
        return self._run(model, request)

    def _evaluate(self, local_ns: Any) -> Callable[[str], Any]:
        user_ns = self.shell.user_ns if self.shell is not None else {}

        def evaluate(expr: str) -> Any:
            try:
                return eval(expr, user_ns, local_ns if local_ns is not None else user_ns)  # noqa: S307 - the user's own expression, as IPython's {expr} expansion does
            except Exception as exc:  # noqa: BLE001 - any failure is a usage error here
                raise UsageError(
                    f"Could not evaluate {{{expr}}}: {type(exc).__name__}: {exc}. Use "
                    "{name} for a variable holding a list of sentences; to use braces as "
                    "text, quote the sentence."
                ) from exc

        return evaluate

    def _run(self, model: BertModel, request: EmbedRequest) -> EmbedResult:
        from smallbert_viz.views.attention import attention_view
        from smallbert_viz.views.inputs import resolve_corpus
        from smallbert_viz.views.pair import best_pair, pair_view
        from smallbert_viz.views.projection import projection_view
        from smallbert_viz.views.similarity import similarity_view

        try:
            corpus = resolve_corpus(
                request.texts,
                request.labels,
                model=model,
                pooling=request.pooling,
                normalize=request.normalize,
                owner="%embed",
            )
        except ValueError as exc:  # e.g. a pooling this model does not have
            raise UsageError(str(exc)) from exc
        n = len(corpus)
        views = {"similarity", "attention", "projection", "pair"}
        views = views if request.view == "all" else {request.view}
        if "pair" in views and n < 2:
            if request.view == "pair":
                raise UsageError(f"--view pair needs at least 2 sentences. Got {n}.")
            views.discard("pair")
        if "projection" in views and n < PROJECTION_MIN_TEXTS:
            if request.view == "projection":
                raise UsageError(
                    f"--view projection needs at least {PROJECTION_MIN_TEXTS} sentences. Got {n}."
                )
            print(f"(no projection: it needs at least {PROJECTION_MIN_TEXTS} sentences, got {n})")
            views.discard("projection")

        figures: dict[str, go.Figure] = {}
        projection = None
        if "similarity" in views:
            figures["similarity"] = similarity_view(corpus).figure
        if "attention" in views:
            _, figures["attention"] = attention_view(
                model, corpus.texts[0], max_length=corpus.spec.max_length, what="#0"
            )
        if "projection" in views:
            method = None if request.projection == "auto" else request.projection
            try:
                projection, figures["projection"] = projection_view(corpus, method=method)
            except ValueError as exc:  # e.g. UMAP on too few points
                raise UsageError(str(exc)) from exc
        if "pair" in views:
            i, j = best_pair(corpus)
            figures["pair"] = pair_view(corpus.spec, corpus.texts, i, j).figure

        result = EmbedResult(
            texts=tuple(corpus.texts),
            labels=None if corpus.labels is None else tuple(corpus.labels),
            embeddings=corpus.embeddings,
            provenance=corpus.provenance,
            model=model,
            note=model.note,
            projection=projection,
            figures=figures,
        )
        for fig in figures.values():
            self._display.show(fig, request.renderer)
        if request.output is not None:
            self.shell.user_ns[request.output] = result
        return result
