"""How ``%embed`` shows a figure: live in JupyterLab, VS Code and Colab, and in exports.

Figures are displayed as static plotly figures with two representations: the plotly mimetype
(JupyterLab, VS Code) and HTML for exports (nbconvert drops the plotly mimetype). The HTML needs
plotly.js in the page: :class:`FigureDisplay` displays it once per session (about 4.9 MB,
offline) before its first figure. Global plotly renderers are never changed. A renderer name
(``--renderer colab``) hands the figures to ``fig.show(renderer=NAME)`` instead.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import plotly.graph_objects as go



def _plotlyjs_bundle() -> dict[str, str]:
    from plotly.offline import get_plotlyjs

    script = (
        '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};</script>'
        f'\n<script type="text/javascript">{get_plotlyjs()}</script>'
    )
    return {"text/html": script, "text/plain": ""}


def figure_bundle(fig: go.Figure) -> dict[str, Any]:
    """The plotly mimetype (live) plus HTML without plotly.js (exports) plus a plain title."""
    import plotly.io as pio

    bundle = dict(pio.renderers["plotly_mimetype"].to_mimebundle(fig.to_dict()))
    bundle["text/html"] = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        default_width="100%",
        default_height=fig.layout.height or 525,
        validate=False,
    )
    title = html.unescape(fig.layout.title.text or "plotly figure")
    bundle["text/plain"] = f"<plotly figure: {title}>"
    return bundle




class FigureDisplay:
    """Displays figures in the notebook, plotly.js once per session."""

    def __init__(self) -> None:
        self.plotlyjs_shown = False

    def show(self, fig: go.Figure, renderer: str | None = None) -> None:
        from IPython.display import display

        if renderer is not None:
            fig.show(renderer=renderer)
            return
        if not self.plotlyjs_shown:
            display(_plotlyjs_bundle(), raw=True)
            self.plotlyjs_shown = True
        display(figure_bundle(fig), raw=True)
