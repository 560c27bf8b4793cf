"""How ``%embed`` shows a figure in each Jupyter front end, and in exports.

The front end is told from the kernel's surroundings (:func:`detect_frontend`); what each needs:

``"jupyter"`` (JupyterLab, Jupyter Notebook 7, and kernels with no front end: nbconvert,
    nbclient, papermill). The plotly mimetype, drawn live by the ``jupyterlab-plotly`` extension
    that ships in plotly's wheel (JupyterLab and Notebook 7 both load it), plus HTML without
    plotly.js for exports (nbconvert drops the plotly mimetype). :class:`FigureDisplay` displays
    plotly.js once per session (about 4.9 MB, offline) before its first figure so that the
    exported HTML draws. A kernel cannot tell an export run from a live front end, and need not:
    this bundle serves both.
``"vscode"`` (the VS Code Jupyter extension: ``VSCODE_PID`` or ``VSCODE_CWD`` in a kernel's
    environment). VS Code draws the plotly mimetype itself, so only that is sent: no 4.9 MB of
    plotly.js stored in the notebook. The same bundle still draws live in JupyterLab, so a
    JupyterLab started from a VS Code terminal (which inherits ``VSCODE_PID``) loses only the
    HTML export.
``"colab"`` (``google.colab`` imported: Colab's kernel imports it at start). Colab ignores the
    plotly mimetype and runs each output in its own frame, where plotly.js displayed by an
    earlier output does not exist; each figure is HTML that loads plotly.js itself, from
    plotly's CDN as ``fig.show(renderer="colab")`` does (Colab runs only online; inlining would
    store 4.9 MB per figure in the notebook).

Outside a kernel (the IPython terminal, IPython's test shell) the ``"jupyter"`` bundle is used.
Global plotly renderers are never changed. A renderer name (``--renderer NAME``) overrides the
choice: the figures go to ``fig.show(renderer=NAME)``.
"""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import plotly.graph_objects as go

Frontend = Literal["jupyter", "vscode", "colab"]
FRONTENDS: tuple[str, ...] = ("jupyter", "vscode", "colab")

#: Environment variables the VS Code Jupyter extension's kernels inherit from VS Code.
VSCODE_ENV = ("VSCODE_PID", "VSCODE_CWD")


def _in_kernel(shell: Any) -> bool:
    """Whether ``shell`` is a Jupyter kernel's shell (ipykernel's, or a subclass as Colab's)."""
    if shell is None or "ipykernel" not in sys.modules:
        return False
    from ipykernel.zmqshell import ZMQInteractiveShell

    return isinstance(shell, ZMQInteractiveShell)


def detect_frontend(
    *,
    environ: Mapping[str, str] | None = None,
    modules: Mapping[str, Any] | None = None,
    in_kernel: bool | None = None,
) -> Frontend:
    """The front end the kernel serves, as far as the kernel can tell.

    Parameters
    ----------
    environ : mapping, optional
        The kernel's environment (default ``os.environ``).
    modules : mapping, optional
        The imported modules (default ``sys.modules``).
    in_kernel : bool, optional
        Whether code runs in a Jupyter kernel (default: the running IPython shell is a
        kernel's). Outside one, VS Code's variables only mean a VS Code terminal.

    Returns
    -------
    {"colab", "vscode", "jupyter"}
        ``"jupyter"`` also stands for JupyterLab, Notebook 7 and kernels run by nbconvert,
        nbclient or papermill, which the kernel cannot tell apart.
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if "google.colab" in modules:
        return "colab"
    if in_kernel is None:
        from IPython import get_ipython

        in_kernel = _in_kernel(get_ipython())
    if in_kernel and any(name in environ for name in VSCODE_ENV):
        return "vscode"
    return "jupyter"


def _plotlyjs_bundle() -> dict[str, str]:
    from plotly.offline import get_plotlyjs

    script = (
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>'
        f'\n<script type="text/javascript">{get_plotlyjs()}</script>'
    )
    return {"text/html": script, "text/plain": ""}


def _plain(fig: go.Figure) -> str:
    return f"<plotly figure: {html.unescape(fig.layout.title.text or 'plotly figure')}>"


def _figure_html(fig: go.Figure, include_plotlyjs: bool | str) -> str:
    import plotly.io as pio

    return pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        default_width="100%",
        default_height=fig.layout.height or 525,
        validate=False,
    )


def figure_bundle(fig: go.Figure, frontend: Frontend = "jupyter") -> dict[str, Any]:
    """The mime bundle that shows ``fig`` in ``frontend`` (see the module docstring).

    ``"jupyter"``: the plotly mimetype, HTML without plotly.js, a plain title; ``"vscode"``: the
    plotly mimetype and the title; ``"colab"``: HTML that loads plotly.js itself, and the title.
    """
    from smallbert_viz._validation import check_choice

    check_choice("frontend", frontend, FRONTENDS, "figure_bundle")
    bundle: dict[str, Any] = {}
    if frontend in ("jupyter", "vscode"):
        import plotly.io as pio

        bundle.update(pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict()))
    if frontend == "jupyter":
        bundle["text/html"] = _figure_html(fig, include_plotlyjs=False)
    elif frontend == "colab":
        bundle["text/html"] = _figure_html(fig, include_plotlyjs="cdn")
    bundle["text/plain"] = _plain(fig)
    return bundle


class FigureDisplay:
    """Displays figures in the notebook in the form its front end needs.

    Parameters
    ----------
    frontend : {"jupyter", "vscode", "colab"}, optional
        Default: :func:`detect_frontend` at the first figure shown.
    """

    def __init__(self, frontend: Frontend | None = None) -> None:
        if frontend is not None:
            from smallbert_viz._validation import check_choice

            check_choice("frontend", frontend, FRONTENDS, "FigureDisplay")
        self.frontend: Frontend | None = frontend
        self.plotlyjs_shown = False

    def show(self, fig: go.Figure, renderer: str | None = None) -> None:
        """Display ``fig``; a plotly ``renderer`` name overrides the front end's bundle."""
        from IPython.display import display

        if renderer is not None:
            fig.show(renderer=renderer)
            return
        if self.frontend is None:
            self.frontend = detect_frontend()
        if self.frontend == "jupyter" and not self.plotlyjs_shown:
            display(_plotlyjs_bundle(), raw=True)
            self.plotlyjs_shown = True
        display(figure_bundle(fig, self.frontend), raw=True)
