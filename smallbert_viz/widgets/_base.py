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
* Export: ``save(path)`` writes the shown figure (PNG, SVG, PDF, HTML; see
  :mod:`smallbert_viz.views.export`), ``to_pandas()`` / ``save_table(path)`` its table where the
  explorer has one. A download bar (format, save button, link) is placed above the error panel
  when a subclass sets its ``children``, so every explorer gets one without laying it out itself;
  an explorer whose tabs hold explorers (the linked ``Explorer``) gets none of its own: each tab
  has its bar.
"""

from __future__ import annotations

import base64
import html
import os
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smallbert_viz._validation import check_choice

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.inputs import ViewCorpus
    from smallbert_viz.widgets._event_figure import EventFigureWidget

PLOTLYJS_MODES: tuple[str, ...] = ("once", "always", "cdn", "none")
#: Formats offered by the download bar (the suffixes ``save`` accepts).
DOWNLOAD_FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "html")
#: Files larger than this are not sent back to the browser as a download link (only saved).
DOWNLOAD_LINK_MAX_BYTES = 16_000_000
_MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "html": "text/html",
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
}
#: Table formats the download bar offers for explorers with a table (see ``_table_formats``).
TABLE_DOWNLOAD_FORMATS: tuple[str, ...] = ("csv", "parquet")
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


def figure_widget(fig: go.Figure, *, large: bool = False) -> EventFigureWidget:
    """A FigureWidget of ``fig`` with reliable click and selection events.

    ``large``: selections arrive as binary buffers and hover text is asked of the kernel (see
    ``_event_figure``). Explains the missing dependency if anywidget is absent.
    """
    from smallbert_viz.widgets._event_figure import EventFigureWidget

    try:
        return EventFigureWidget(fig, large=large)
    except ImportError as exc:  # plotly >= 6 builds FigureWidget on anywidget
        raise ImportError(
            "The explorers need anywidget for plotly's FigureWidget: pip install 'anywidget>=0.11'"
        ) from exc


class ExplorerBase(widgets.VBox):
    """A VBox with an error panel, a provenance line and a static HTML rendering."""

    #: Whether :meth:`to_pandas` gives a table the download bar can offer (CSV, Parquet).
    _has_table = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Tracebacks of errors raised inside callbacks (also kept in ``last_error``).
        self.errors = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto"))
        self.errors.add_class("smallbert-viz-errors")
        self.last_error: BaseException | None = None
        self.provenance_html = widgets.HTML()
        self.provenance_html.add_class("smallbert-viz-provenance")
        self._lock = threading.RLock()
        self._download_bar: widgets.HBox | None = None
        self.observe(self._place_download_bar, names="children")

    # -- errors ------------------------------------------------------------------------------

    @classmethod
    def from_corpus(cls, corpus: ViewCorpus, **options: Any) -> Any:
        """An explorer of an already resolved corpus (the linked :class:`Explorer` uses it).

        ``options`` are the explorer's own keywords (everything after the corpus arguments);
        subclasses that support this define ``_setup(corpus, **options)``.
        """
        self = cls.__new__(cls)
        self._setup(corpus, **options)
        return self

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

    def _static_figures(self) -> list[go.Figure]:
        """The figures of the static HTML copy (a large view may give a sample instead)."""
        return list(self.figures.values())

    @property
    def figure(self) -> go.Figure:
        """A static copy of the main figure (``plotly.graph_objects.Figure``)."""
        return next(iter(self.figures.values()))

    # -- export ------------------------------------------------------------------------------

    def _shown_view(self) -> ExplorerBase:
        """The explorer whose figure is shown: this one, or the one in the selected tab."""
        tabs = getattr(self, "tabs", None)
        if isinstance(tabs, widgets.Tab) and tabs.selected_index is not None:
            child = tabs.children[tabs.selected_index]
            if isinstance(child, ExplorerBase):
                return child._shown_view()
        return self

    def _holds_explorers(self) -> bool:
        tabs = getattr(self, "tabs", None)
        return isinstance(tabs, widgets.Tab) and any(
            isinstance(child, ExplorerBase) for child in tabs.children
        )

    def _figure_to_save(self, name: str | None) -> tuple[str, go.Figure]:
        view = self._shown_view()
        figures = view.figures
        owner = f"{type(self).__name__}.save"
        if name is None:
            if not figures:
                raise ValueError(
                    f"{owner}: {type(view).__name__} shows no figure yet, so there is nothing to "
                    "save. Show something first (AttentionExplorer: .show(text))."
                )
            return next(iter(figures.items()))
        figures = {**figures, **self.figures}
        if name not in figures:
            from smallbert_viz._validation import check_choice

            check_choice("name", name, list(figures), owner)
        return name, figures[name]

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        width: int | None = None,
        height: int | None = None,
        scale: float = 1.0,
    ) -> Path:
        """Write the shown figure to ``path``; the suffix picks the format (.png .svg .pdf .html).

        The main figure of this explorer (of the selected tab for the linked ``Explorer``), or
        the one called ``name`` in :attr:`figures`. PNG, SVG and PDF use kaleido and the
        system's Chrome/Chromium (see :func:`smallbert_viz.views.export.save`).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from smallbert_viz.views.export import save

        _, fig = self._figure_to_save(name)
        return save(fig, path, width=width, height=height, scale=scale)

    def to_pandas(self) -> pd.DataFrame:
        """This explorer's table as a pandas DataFrame (explorers with a table override it)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no table to export; ProjectionExplorer.to_pandas() gives "
            "its points, coordinates and selection."
        )

    def save_table(self, path: str | os.PathLike[str], **options: Any) -> Path:
        """Write :meth:`to_pandas` to ``path``; the suffix picks the format (.csv, .parquet)."""
        from smallbert_viz.views.export import TABLE_FORMATS, _suffix_format, save_table

        _suffix_format(path, TABLE_FORMATS, "path", f"{type(self).__name__}.save_table")
        return save_table(self.to_pandas(**options), path)

    @property
    def download_bar(self) -> widgets.HBox:
        """Format dropdown, save button and download link of the shown figure."""
        if self._download_bar is None:
            options = [(fmt, fmt) for fmt in DOWNLOAD_FORMATS]
            if self._has_table:
                options += [(f"table .{fmt}", fmt) for fmt in TABLE_DOWNLOAD_FORMATS]
            self.download_format = widgets.Dropdown(
                options=options,
                value="png",
                description="save as",
                layout=widgets.Layout(width="180px"),
            )
            self.download_button = widgets.Button(
                description="save",
                icon="download",
                tooltip="write the figure next to the notebook and offer it as a download",
                layout=widgets.Layout(width="auto"),
            )
            self.download_link = widgets.HTML()
            self.download_link.add_class("smallbert-viz-download-link")
            self.download_button.on_click(self._guard(lambda _b: self.download(), "save figure"))
            self._download_bar = widgets.HBox(
                [self.download_format, self.download_button, self.download_link],
                layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
            )
            self._download_bar.add_class("smallbert-viz-download")
        return self._download_bar

    def download(self, fmt: str | None = None, directory: str | os.PathLike[str] = ".") -> Path:
        """What the save button does: write the shown figure into ``directory`` and link it.

        The file is ``smallbert-viz-<figure>.<fmt>`` in ``directory`` (the kernel's working
        directory: next to the notebook); the link next to the button carries the bytes
        themselves (a ``data:`` URL with ``download=``), so it works offline and in front ends
        that cannot open the kernel's files (VS Code, Colab). With ``fmt`` "csv" or "parquet"
        (explorers with a table), :meth:`to_pandas` is written instead.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from pathlib import Path

        from smallbert_viz._validation import check_choice

        self.download_bar  # noqa: B018 - builds the controls used below
        owner = f"{type(self).__name__}.download"
        table = TABLE_DOWNLOAD_FORMATS if self._has_table else ()
        fmt = self.download_format.value if fmt is None else fmt
        fmt = check_choice("fmt", fmt, DOWNLOAD_FORMATS + table, owner)
        figure_name, _ = self._figure_to_save(None)
        stem = f"smallbert-viz-{figure_name}" + ("-table" if fmt in table else "")
        path = Path(directory) / f"{stem}.{fmt}"
        self.download_link.value = f"<i>writing {escape(path.name)}\u2026</i>"
        try:
            written = self.save_table(path) if fmt in table else self.save(path)
        except Exception:
            self.download_link.value = "<b>not saved (see the error below)</b>"
            raise
        self.download_link.value = download_link_html(written, fmt)
        return written

    def _place_download_bar(self, change: dict) -> None:
        children = list(change["new"])
        if not children or self._holds_explorers():
            return
        bar = self.download_bar
        if bar in children:
            return
        at = children.index(self.errors) if self.errors in children else len(children)
        children.insert(at, bar)
        self.children = children

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        try:
            page = static_html(self._static_figures(), self.provenance_text)
        except Exception as exc:  # noqa: BLE001 - the live widget must still display
            self._report_error(exc, "static rendering")
            page = None
        if page is not None:
            data = bundle[0] if isinstance(bundle, tuple) else bundle
            data["text/html"] = page
        return bundle


def download_link_html(path: Any, fmt: str) -> str:
    """A link that downloads the file at ``path`` in the browser, from a ``data:`` URL."""
    size = os.path.getsize(path)
    shown = f"saved {escape(os.path.abspath(path))} ({size / 1024:,.0f} KB)"
    if size > DOWNLOAD_LINK_MAX_BYTES:
        return f"<span style='font-size:12px'>{shown}; too large to send as a link</span>"
    with open(path, "rb") as fh:
        payload = base64.b64encode(fh.read()).decode("ascii")
    name = escape(os.path.basename(path))
    return (
        f"<span style='font-size:12px'><a download=\"{name}\" "
        f"href=\"data:{_MIME[fmt]};base64,{payload}\">download {name}</a> "
        f"\u2014 {shown}</span>"
    )


def static_copy(fw: go.FigureWidget) -> go.Figure:
    """A plain ``go.Figure`` with the FigureWidget's current data and layout."""
    import plotly.graph_objects as go

    return go.Figure(fw)
