"""What every explorer shares: error panel, provenance line, figure sync, static HTML bundle.

The widgets are ipywidgets containers (``VBox``) holding ``go.FigureWidget`` views of figures
made by :mod:`smallbert_viz.figures`. Three things matter in a notebook:

* Errors raised inside callbacks (observers, click and selection handlers, the background
  projection thread) are never swallowed: :meth:`ExplorerBase._report_error` writes the
  traceback into the ``errors`` Output shown under the widget and keeps it in ``last_error``.
* A FigureWidget is updated in place when the new figure has the same traces (zoom and
  callbacks survive), else replaced.
* ``_repr_mimebundle_`` returns the live widget *and* a static ``text/html`` rendering of the
  current figures, so ``jupyter nbconvert --to html`` exports still show plots when no widget
  state was saved. plotly.js is inlined in the first static rendering of a kernel session only
  (see :func:`set_static_plotlyjs`).
"""

from __future__ import annotations

import html
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smallbert_viz._validation import check_choice

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.inputs import ViewCorpus
    from smallbert_viz.widgets._event_figure import EventFigureWidget

PLOTLYJS_MODES: tuple[str, ...] = ("once", "always", "cdn", "none")
_static = {"mode": "once", "sent": False}
_static_lock = threading.Lock()


def set_static_plotlyjs(mode: str = "once") -> None:
    """How the static HTML of a widget brings plotly.js along.

    Parameters
    ----------
    mode : {"once", "always", "cdn", "none"}
        ``"once"`` (default): inline plotly.js (about 4.8 MB) in the first static rendering of
        this Python session, later ones reuse it (an export keeps all outputs, so each plot
        finds it; re-running only the first widget cell of a long session can leave an export
        without it: restart and run all, or use ``"always"``). ``"always"``: inline in every
        rendering (offline, large). ``"cdn"``: load it from the CDN (small, needs network).
        ``"none"``: no static rendering at all.
    """
    _static["mode"] = check_choice("mode", mode, PLOTLYJS_MODES, "set_static_plotlyjs")
    _static["sent"] = False


def static_html(figures: list[go.Figure], provenance: str | None = None) -> str | None:
    """Static HTML of ``figures`` (no widget state), or None when static rendering is off."""
    mode = _static["mode"]
    if mode == "none" or not figures:
        return None
    parts = ['<div class="smallbert-viz-static">']
    if provenance:
        parts.append(f'<p style="font-size:11px;color:#555">{html.escape(provenance)}</p>')
    for fig in figures:
        with _static_lock:
            if mode == "always":
                include: Any = True
            elif mode == "cdn":
                include = "cdn"
            else:
                include = not _static["sent"]
                _static["sent"] = True
        parts.append(fig.to_html(full_html=False, include_plotlyjs=include))
    parts.append("</div>")
    return "".join(parts)


def escape(text: Any) -> str:
    """``html.escape`` for anything we put into an HTML widget."""
    return html.escape(str(text), quote=True)


def sync_figure(fw: EventFigureWidget, fig: go.Figure) -> bool:
    """Make FigureWidget ``fw`` show ``fig`` in place; False if the traces differ in kind.

    Traces are matched by position and must have the same type and count; layout keys that
    ``fig`` lacks are removed (e.g. shapes of a previous order), so the front end does not keep
    stale properties.
    """
    if len(fw.data) != len(fig.data) or any(
        a.type != b.type for a, b in zip(fw.data, fig.data, strict=True)
    ):
        return False
    new_layout = fig.layout.to_plotly_json()
    with fw.batch_update():
        for old, new in zip(fw.data, fig.data, strict=True):
            spec = new.to_plotly_json()
            spec.pop("type", None)
            stale = set(old.to_plotly_json()) - set(spec) - {"type", "uid"}
            for key in stale:
                old[key] = None
            old.update(spec, overwrite=True)
    for key in set(fw.layout.to_plotly_json()) - set(new_layout) - {"template"}:
        fw.layout[key] = None
    fw.layout = fig.layout
    fw.mark_redrawn()  # clicks and selections made on the old drawing are now stale
    return True


def figure_widget(fig: go.Figure) -> EventFigureWidget:
    """A FigureWidget of ``fig`` with reliable click and selection events.

    Explains the missing dependency if anywidget is absent.
    """
    from smallbert_viz.widgets._event_figure import EventFigureWidget

    try:
        return EventFigureWidget(fig)
    except ImportError as exc:  # plotly >= 6 builds FigureWidget on anywidget
        raise ImportError(
            "The explorers need anywidget for plotly's FigureWidget: pip install 'anywidget>=0.11'"
        ) from exc


class ExplorerBase(widgets.VBox):
    """A VBox with an error panel, a provenance line and a static HTML rendering."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Tracebacks of errors raised inside callbacks (also kept in ``last_error``).
        self.errors = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto"))
        self.errors.add_class("smallbert-viz-errors")
        self.last_error: BaseException | None = None
        self.provenance_html = widgets.HTML()
        self.provenance_html.add_class("smallbert-viz-provenance")
        self._lock = threading.RLock()

    # -- errors ------------------------------------------------------------------------------

    def _adopt(self, corpus: ViewCorpus) -> None:
        """Keep the resolved corpus (see ``views.inputs.resolve_corpus``) on the widget."""
        self.corpus = corpus
        self.texts = corpus.texts
        self.labels = corpus.labels
        self.embeddings = corpus.embeddings
        self.spec = corpus.spec
        self.model = corpus.model
        self.pooling = None if corpus.spec is None else corpus.spec.pooling
        self.normalize = False if corpus.spec is None else corpus.spec.normalize
        self._prov = corpus.provenance

    def _report_error(self, exc: BaseException, where: str) -> None:
        self.last_error = exc
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.errors.append_stderr(f"Error in {where}:\n{text}\n")

    def _guard(self, fn: Callable[..., Any], where: str | None = None) -> Callable[..., Any]:
        """Wrap a callback so that an exception lands in ``errors`` instead of a kernel log."""
        name = where or getattr(fn, "__name__", "callback")

        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the user, not swallowed
                self._report_error(exc, name)
                return None

        run.__name__ = name
        return run

    def clear_errors(self) -> None:
        """Empty the error panel."""
        self.errors.outputs = ()
        self.last_error = None

    # -- provenance --------------------------------------------------------------------------

    def _set_provenance(self, *lines: str | None) -> None:
        shown = [escape(line) for line in lines if line]
        self.provenance_html.value = (
            '<div style="font-size:11px;color:#555;line-height:1.3">'
            + "<br>".join(shown)
            + "</div>"
        )

    @property
    def provenance(self) -> Provenance | None:
        """Where the numbers shown come from (None before anything is shown)."""
        return getattr(self, "_prov", None)

    @property
    def provenance_text(self) -> str:
        """The provenance lines shown in the widget, as plain text."""
        return "\n".join(self._provenance_lines())

    def _provenance_lines(self) -> list[str]:  # pragma: no cover - overridden
        return []

    # -- figures -----------------------------------------------------------------------------

    @property
    def figures(self) -> dict[str, go.Figure]:
        """Static copies of every figure currently shown, by name (for export)."""
        return {}

    @property
    def figure(self) -> go.Figure:
        """A static copy of the main figure (``plotly.graph_objects.Figure``)."""
        return next(iter(self.figures.values()))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        try:
            page = static_html(list(self.figures.values()), self.provenance_text)
        except Exception as exc:  # noqa: BLE001 - the live widget must still display
            self._report_error(exc, "static rendering")
            page = None
        if page is not None:
            data = bundle[0] if isinstance(bundle, tuple) else bundle
            data["text/html"] = page
        return bundle


def static_copy(fw: go.FigureWidget) -> go.Figure:
    """A plain ``go.Figure`` with the FigureWidget's current data and layout."""
    import plotly.graph_objects as go

    return go.Figure(fw)
