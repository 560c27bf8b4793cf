"""The attention view every view shows: one text's heads, as a grid or one averaged map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smallbert_viz.views.policy import ATTENTION_MAX_LENGTH, attention_uses_grid

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.attention import Attention
    from smallbert_viz.models.model import BertModel


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def attention_title(att: Attention, grid: bool, what: str | None = None) -> str:
    """The one title of an attention view of ``att`` (``what`` names the text, e.g. "#3")."""
    text = f"{what}: {_short(att.text)}" if what else _short(att.text)
    if att.text_pair is not None:
        text += f" + {_short(att.text_pair, 40)}"
    if grid:
        return f"Attention of {text}, every layer \u00d7 head"
    last = att.num_layers - 1
    return f"Attention of {text}, layer {last} (mean of {att.num_heads} heads)"


def attention_figure(att: Attention, *, grid: bool | None = None, what: str | None = None) -> go.Figure:
    """The grid of every layer x head, or (above the cut-over) the last layer's head mean."""
    from smallbert_viz.figures import attention_grid, attention_heatmap

    if grid is None:
        grid = attention_uses_grid(att.num_layers, att.num_heads)
    title = attention_title(att, grid, what)
    if grid:
        return attention_grid(att.probs, list(att.tokens), provenance=att.provenance, title=title)
    return attention_heatmap(
        att.mean_over_heads(att.num_layers - 1),
        list(att.tokens),
        provenance=att.provenance,
        title=title,
    )


def attention_view(
    model: BertModel,
    text: str,
    text_pair: str | None = None,
    *,
    max_length: int = ATTENTION_MAX_LENGTH,
    what: str | None = None,
) -> tuple[Attention, go.Figure]:
    """Attention of ``text`` (and ``text_pair``) and its figure."""
    att = model.attention(text, text_pair, max_length=max_length)
    return att, attention_figure(att, what=what)
