"""``AttentionExplorer``: every head of one text (or text pair), as a grid, one map or lines."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smallbert_viz._validation import check_choice, check_int
from smallbert_viz.views.inputs import resolve_model
from smallbert_viz.views.policy import ATTENTION_MAX_LENGTH, attention_uses_grid
from smallbert_viz.widgets._base import (
    ExplorerBase,
    escape,
    figure_widget,
    static_copy,
    sync_figure,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.attention import Attention
    from smallbert_viz.provenance import Provenance

VIEWS: tuple[str, ...] = ("grid", "single head", "head view")
UNITS: tuple[str, ...] = ("wordpieces", "words")
#: The head selector's entry for the average of a layer's heads.
MEAN = "mean"
CACHE_SIZE = 8  # attention results kept per explorer (least recently used dropped)


class AttentionExplorer(ExplorerBase):
    """Attention maps of a model for a text and an optional second text.

    Parameters
    ----------
    text : str, optional
        Shown at once; else type one in the text box.
    text_pair : str, optional
        A second text, packed as ``[CLS] text [SEP] text_pair [SEP]``.
    model : BertModel, str, path or None
        A loaded model, a name, handle or path, or None for the default model (with the
        offline fallback).
    view : {"grid", "single head", "head view"}, optional
        Every layer x head, one map large, or bertviz-like lines. Default: the views' rule,
        the grid up to 32 panels, else the last layer's mean over heads as one map.
    layer, head : int, optional
        The map of the single-head and head views (``head="mean"`` averages the layer's heads).
        Default: the last layer's mean when the grid is too big, else layer 0, head 0.
    units : {"wordpieces", "words"}
        ``"words"`` merges ``##`` pieces (``Attention.merge_wordpieces``).
    hide_special : bool
        Drop [CLS]/[SEP] rows and columns, rows renormalised (``Attention.mask_special``).
    max_length : int
        Wordpieces per input including [CLS]/[SEP] (at most 512); the views' default is the
        embeddings' limit.

    Attributes
    ----------
    attention : Attention or None
        What is drawn (after merging / masking).
    """

    def __init__(
        self,
        text: str | None = None,
        text_pair: str | None = None,
        *,
        model: Any = None,
        view: str | None = None,
        layer: int | None = None,
        head: int | str | None = None,
        units: str = "wordpieces",
        hide_special: bool = False,
        max_length: int = ATTENTION_MAX_LENGTH,
    ) -> None:
        owner = "AttentionExplorer"
        super().__init__()
        for name, value in (("text", text), ("text_pair", text_pair)):
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"The {name!r} parameter of {owner} must be a str or None. Got "
                    f"{type(value).__name__} instead."
                )
        self.max_length = check_int("max_length", max_length, owner, low=2, high=512)
        model = resolve_model(model, owner)
        info = model.info
        grid = attention_uses_grid(info.num_layers, info.num_heads)
        if view is None:
            view = "grid" if grid else "single head"
        if layer is None:
            layer = 0 if grid else info.num_layers - 1
        if head is None:
            head = 0 if grid else MEAN
        view = check_choice("view", view, VIEWS, owner)
        units = check_choice("units", units, UNITS, owner)
        layers = list(range(info.num_layers))
        heads: list[Any] = [MEAN, *range(info.num_heads)]
        check_choice("layer", layer, layers, owner)
        check_choice("head", head, heads, owner)
        self.model = model
        # Least recently used first; each entry is 16-75 MB at 512 tokens, so keep a few.
        self._cache: OrderedDict[tuple[str, str | None], Attention] = OrderedDict()
        self.raw_attention: Attention | None = None
        self.attention: Attention | None = None
        self._fw: go.FigureWidget | None = None
        self._suspended = False

        self.text_control = widgets.Textarea(
            value=text or "",
            placeholder="a sentence",
            description="text",
            layout=widgets.Layout(width="520px", height="48px"),
        )
        self.pair_control = widgets.Textarea(
            value=text_pair or "",
            placeholder="optional second sentence (pair input)",
            description="pair",
            layout=widgets.Layout(width="520px", height="48px"),
        )
        self.run_button = widgets.Button(description="show attention", icon="eye")
        self.run_button.on_click(self._guard(lambda _b: self._compute(), "show attention"))
        self.view_control = widgets.ToggleButtons(
            options=list(VIEWS), value=view, description="view"
        )
        self.layer_control = widgets.Dropdown(options=layers, value=layer, description="layer")
        self.head_control = widgets.Dropdown(options=heads, value=head, description="head")
        self.units_control = widgets.ToggleButtons(
            options=list(UNITS), value=units, description="tokens"
        )
        self.special_control = widgets.Checkbox(
            value=bool(hide_special), description="hide [CLS]/[SEP]", indent=False
        )
        for control in (
            self.view_control,
            self.layer_control,
            self.head_control,
            self.units_control,
            self.special_control,
        ):
            control.observe(self._guard(self._on_control, "AttentionExplorer controls"), "value")

        self.status = widgets.HTML()
        self.plot_box = widgets.Box(
            [widgets.HTML("<i>Type a sentence and press \u201cshow attention\u201d.</i>")]
        )
        self.children = [
            widgets.VBox([self.text_control, self.pair_control, self.run_button]),
            widgets.HBox(
                [self.view_control, self.units_control, self.special_control],
                layout=widgets.Layout(flex_flow="row wrap"),
            ),
            widgets.HBox([self.layer_control, self.head_control]),
            self.provenance_html,
            self.status,
            self.plot_box,
            self.errors,
        ]
        self.add_class("smallbert-viz-attention")
        self._set_provenance(*self._provenance_lines())
        if text is not None:
            self._compute()

    # -- public ------------------------------------------------------------------------------

    def show(self, text: str, text_pair: str | None = None) -> None:
        """Show the attention of ``text`` (and ``text_pair``)."""
        self._suspended = True
        try:
            self.text_control.value = text
            self.pair_control.value = text_pair or ""
        finally:
            self._suspended = False
        self._compute()

    @property
    def figures(self) -> dict[str, go.Figure]:
        return {} if self._fw is None else {"attention": static_copy(self._fw)}

    @property
    def figure(self) -> go.Figure | None:
        """A static copy of the attention figure, or None before a text was given."""
        return None if self._fw is None else static_copy(self._fw)

    @property
    def figure_widget(self) -> go.FigureWidget | None:
        return self._fw

    def _provenance_lines(self) -> list[str]:
        if self.attention is None:
            return [f"model: {self.model.info.short()}"]
        return [self.attention.provenance.describe()]

    @property
    def provenance(self) -> Provenance | None:
        """The provenance of the attention drawn (None before a text was given)."""
        return None if self.attention is None else self.attention.provenance

    # -- computing and drawing ---------------------------------------------------------------

    def _compute(self) -> None:
        text = self.text_control.value
        pair = self.pair_control.value or None
        key = (text, pair)
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            self._set_status("computing attention\u2026")
            self._cache[key] = self.model.attention(text, pair, max_length=self.max_length)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self.raw_attention = self._cache[key]
        self.refresh()

    def _on_control(self, change: dict) -> None:
        if self._suspended or self.raw_attention is None:
            return
        self.refresh()

    def _transformed(self) -> Attention:
        att = self.raw_attention
        if self.units_control.value == "words":
            att = att.merge_wordpieces()
        if self.special_control.value:
            att = att.mask_special()
        return att

    def _build_figure(self, att: Attention) -> go.Figure:
        from smallbert_viz.figures import attention_heatmap, head_view
        from smallbert_viz.views.attention import attention_figure

        view = self.view_control.value
        if att.num_tokens == 0:
            raise ValueError(
                "No tokens left to show: the text is empty and [CLS]/[SEP] are hidden. Type a "
                "sentence or untick 'hide [CLS]/[SEP]'."
            )
        if view == "grid":
            return attention_figure(att, grid=True)
        layer, head = self.layer_control.value, self.head_control.value
        if view == "single head" and head == MEAN and layer == att.num_layers - 1:
            return attention_figure(att, grid=False)  # the views' own averaged map
        if head == MEAN:
            matrix = att.mean_over_heads(layer)
            what = f"layer {layer}, mean over {att.num_heads} heads"
        else:
            matrix = att.head(layer, head)
            what = f"layer {layer}, head {head}"
        if view == "single head":
            return attention_heatmap(
                matrix, list(att.tokens), provenance=att.provenance, title=f"Attention, {what}"
            )
        return head_view(
            matrix, list(att.tokens), provenance=att.provenance, title=f"Head view, {what}"
        )

    def refresh(self) -> None:
        """Redraw from the current controls."""
        att = self._transformed()
        fig = self._build_figure(att)
        self.attention = att
        with self._lock:
            if self._fw is None or not sync_figure(self._fw, fig):
                old = self._fw
                self._fw = figure_widget(fig)
                self.plot_box.children = [self._fw]
                if old is not None:
                    old.close()
            fw = self._fw
            fw.on_point_click(self._guard(lambda t, _p: self._on_panel_click(fw, t), "click"))
        single = self.view_control.value != "grid"
        self.layer_control.disabled = self.head_control.disabled = not single
        pair = "" if att.text_pair is None else f" + pair: {att.text_pair}"
        self._set_status(
            f"{att.num_tokens} {escape(self.units_control.value)}; text: "
            f"{escape(att.text)}{escape(pair)}"
        )
        self._set_provenance(*self._provenance_lines())

    def _on_panel_click(self, fw: go.FigureWidget, trace: int) -> None:
        """A click on a grid panel opens that layer and head as the single-head view."""
        with self._lock:
            if fw is not self._fw or self.view_control.value != "grid":
                return
            meta = fw.data[trace].meta if 0 <= trace < len(fw.data) else None
        if not isinstance(meta, dict) or "layer" not in meta or "head" not in meta:
            return
        self.open_head(int(meta["layer"]), int(meta["head"]))

    def open_head(self, layer: int, head: int | str) -> None:
        """Show one layer's head (or ``"mean"``) large, as the single-head view."""
        check_choice("layer", layer, list(self.layer_control.options), "AttentionExplorer.open_head")
        check_choice("head", head, list(self.head_control.options), "AttentionExplorer.open_head")
        self._suspended = True
        try:
            self.layer_control.value = layer
            self.head_control.value = head
            self.view_control.value = "single head"
        finally:
            self._suspended = False
        self.refresh()

    def _set_status(self, markup: str) -> None:
        self.status.value = f"<span style='font-size:12px'>{markup}</span>"
