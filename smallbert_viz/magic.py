"""The ``%embed`` / ``%%embed`` IPython magic: a compact view of a few sentences.

::

    %load_ext smallbert_viz
    %embed "A cat sat on the mat." "A dog lay on the rug." "Stocks fell sharply."
    %embed {sentences} --pooling mean -o res          # a Python list (or any sequence of str)
    %%embed --view similarity -o res
    animals<TAB>A cat sat on the mat.
    finance<TAB>Stocks fell sharply.

Shows the clustered similarity heatmap, the attention of the first sentence and, with at least
``PROJECTION_MIN_TEXTS`` sentences, a 2-D projection (``--projection auto``: the views' one rule,
:func:`smallbert_viz.analysis.default_method`: PCA below 10 sentences, UMAP from 10 on). Returns an :class:`~smallbert_viz.magic_result.EmbedResult` (``-o NAME`` also
stores it in the user namespace).

How the line is read
--------------------
Sentences are shell-quoted (``shlex``, POSIX rules: ``"it's"`` works). The magic expands
variables itself (it opts out of IPython's own expansion, which would hand it ``str(obj)``: a
truncated repr for a pandas Series or numpy array, and an unquoted, re-split string for a str):
an unquoted ``{expr}`` or ``$name`` token is evaluated in the user namespace and must give a
str (one sentence) or a sequence of str (one sentence each); a literal ``[...]`` / ``(...)`` of
str is read with ``ast.literal_eval``. Inside quotes, braces are plain text.

Figures are displayed as static plotly figures with two representations: the plotly mimetype
(JupyterLab, VS Code) and HTML for exports (nbconvert drops the plotly mimetype). The HTML needs
plotly.js in the page: the magic displays it once per session (about 4.9 MB, offline) before its
first figure. Global plotly renderers are never changed. ``--renderer NAME`` hands the figures
to ``fig.show(renderer=NAME)`` instead (e.g. ``colab``, whose outputs cannot share plotly.js).
"""

from __future__ import annotations

import ast
import html
import keyword
import os
import shlex
from collections.abc import Callable, Mapping
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

from .analysis.projection import DEFAULT_UMAP_MIN_ROWS
from .embedding import POOLINGS
from .magic_result import EmbedResult

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .models.model import BertModel

VIEWS = ("all", "similarity", "attention", "projection")
PROJECTIONS = ("auto", "pca", "umap")
#: A projection is shown from this many sentences on.
PROJECTION_MIN_TEXTS = 4
#: Above this many layer x head panels (e.g. 6 x 12 for MiniLM) the attention view is the
#: last layer averaged over heads instead of the full grid.
ATTENTION_GRID_MAX_PANELS = 32

_USAGE = (
    'Usage: %embed "first sentence" "second sentence" ... [options], %embed {list_of_str}, or '
    "%%embed [options] with one sentence per line (optionally label<TAB>sentence)."
)


# ---- reading the line ---------------------------------------------------------------------------


def _closing(line: str, start: int) -> int:
    """Index just after the bracket that closes ``line[start]``, skipping Python strings."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[line[start]]]
    i = start + 1
    quote = None
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if c != stack[-1]:
                break
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise UsageError(
        f"Unbalanced brackets in {line[start : start + 60]!r}: close every {{, [ and ( "
        "(or quote the sentence so that its brackets are plain text)."
    )


def _identifier_end(line: str, start: int) -> int:
    i = start
    while i < len(line) and (line[i].isalnum() or line[i] == "_"):
        i += 1
    return i


def substitute_values(
    line: str, evaluate: Callable[[str], Any]
) -> tuple[str, dict[str, tuple[str, Any]]]:
    """Replace each unquoted ``{expr}``, ``$name``, ``[...]`` or ``(...)`` token by a placeholder.

    Returns the new line and ``{placeholder: (source text, value)}``. ``{expr}`` and ``$name``
    are evaluated with ``evaluate(expr)``; ``[...]`` / ``(...)`` with ``ast.literal_eval`` (when
    that fails the text is left as it is: it is then an ordinary unquoted sentence).
    """
    tag = "__embed_value_"
    while tag in line:
        tag += "_"
    out: list[str] = []
    values: dict[str, tuple[str, Any]] = {}
    quote = None
    i, n = 0, len(line)

    def put(source: str, value: Any) -> None:
        key = f"{tag}{len(values)}__"
        values[key] = (source, value)
        out.append(key)

    while i < n:
        c = line[i]
        if quote:
            out.append(c)
            if c == "\\" and quote == '"' and i + 1 < n:
                out.append(line[i + 1])
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        at_start = i == 0 or line[i - 1].isspace()
        if c in "'\"":
            quote = c
        elif c == "\\" and i + 1 < n:
            out.append(line[i : i + 2])
            i += 2
            continue
        elif at_start and c == "{":
            end = _closing(line, i)
            source = line[i:end]
            expr = source[1:-1].strip()
            if not expr:
                raise UsageError(f"Empty {{}} in the line. {_USAGE}")
            put(source, evaluate(expr))
            i = end
            continue
        elif at_start and c == "$" and i + 1 < n and (line[i + 1].isalpha() or line[i + 1] == "_"):
            end = _identifier_end(line, i + 1)
            put(line[i:end], evaluate(line[i + 1 : end]))
            i = end
            continue
        elif at_start and c in "[(":
            end = _closing(line, i)
            source = line[i:end]
            try:
                value = ast.literal_eval(source)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                pass  # not a literal: plain text
            else:
                put(source, value)
                i = end
                continue
        out.append(c)
        i += 1
    if quote:
        raise UsageError(
            f"No closing quotation ({quote}) in the line. Put each sentence in matching quotes, "
            "or use %%embed with one sentence per line."
        )
    return "".join(out), values


def as_texts(value: Any, source: str) -> list[str]:
    """A str gives one sentence, a sequence of str one sentence each; else UsageError."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes | bytearray | Mapping) or not hasattr(value, "__iter__"):
        raise UsageError(
            f"{source} is of type {type(value).__name__}, not a list of str. Pass a list (or tuple, "
            "array, Series) of sentences, e.g. %embed {sentences} with sentences = ['a', 'b']."
        )
    texts = list(value)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise UsageError(
                f"{source} holds an item of type {type(text).__name__} at index {i} ({text!r:.60}); every "
                "item must be a str (one sentence)."
            )
    return texts


def parse_body(body: str) -> tuple[list[str], list[str] | None]:
    """Sentences (one per non-blank line) and labels (``label<TAB>text`` lines) of a cell."""
    texts: list[str] = []
    labels: list[str] = []
    numbers: list[int] = []
    for number, raw in enumerate(body.splitlines(), start=1):
        if not raw.strip():
            continue
        if "\t" in raw:
            label, text = raw.split("\t", 1)
            labels.append(label.strip())
        else:
            text = raw
            numbers.append(number)
        text = text.strip()
        if not text:
            raise UsageError(
                f"Line {number} of the cell has a label but no sentence after the TAB."
            )
        texts.append(text)
    if not labels:
        return texts, None
    if numbers:
        raise UsageError(
            f"Line {numbers[0]} of the cell has no label, but other lines have one "
            "(label<TAB>sentence). Label every line or none."
        )
    return texts, labels


# ---- display --------------------------------------------------------------------------------


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


# ---- the magic --------------------------------------------------------------------------------


@magics_class
class EmbedMagics(Magics):
    """``%embed`` / ``%%embed``. Loaded models are cached per (model, preprocessor)."""

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self._models: dict[tuple[str | None, str | None], tuple[BertModel, str | None]] = {}
        self._plotlyjs_shown = False

    # -- model cache -------------------------------------------------------------------------

    def get_model(
        self, model: str | None, preprocessor: str | None
    ) -> tuple[BertModel, str | None]:
        """The loaded model and, for the default choice, the note saying which one it is."""
        from .errors import ModelLoadError
        from .models.loader import load_model_or_fallback

        key = (model, preprocessor)
        if key not in self._models:
            try:
                loaded, note = load_model_or_fallback(model, preprocessor=preprocessor)
            except (ModelLoadError, ValueError, TypeError) as exc:
                raise UsageError(f"Could not load the model: {exc}") from exc
            self._models[key] = (loaded, note)
        return self._models[key]

    # -- display -----------------------------------------------------------------------------

    def _show(self, fig: go.Figure, renderer: str | None) -> None:
        from IPython.display import display

        if renderer is not None:
            fig.show(renderer=renderer)
            return
        if not self._plotlyjs_shown:
            display(_plotlyjs_bundle(), raw=True)
            self._plotlyjs_shown = True
        display(figure_bundle(fig), raw=True)

    # -- %embed ------------------------------------------------------------------------------

    @magic_arguments()
    @argument(
        "sentences",
        nargs="*",
        help="Sentences (quote each), {expr} / $name giving a str or a list of str, or a "
        "literal ['...', '...']. In %%%%embed, the cell body gives one sentence per line.",
    )
    @argument(
        "--model",
        default=None,
        help="Name, TF Hub/Kaggle handle or SavedModel directory for load_model. Default: the "
        "TF Hub small BERT L-8_H-128_A-2 if available, else the offline all-MiniLM-L6-v2 "
        "(a note says which).",
    )
    @argument("--preprocessor", default=None, help="Preprocessor handle or directory.")
    @argument(
        "--pooling",
        default=None,
        help="cls, pooled or mean. Default: the model's own.",
    )
    @argument("--normalize", action="store_true", help="Unit-length embeddings.")
    @argument(
        "--view",
        default="all",
        help="all (default), similarity, attention or projection.",
    )
    @argument(
        "--projection",
        default="auto",
        help=f"auto (default: UMAP from {DEFAULT_UMAP_MIN_ROWS} sentences on, else PCA), pca or umap.",
    )
    @argument(
        "--labels",
        default=None,
        help="{expr} giving one label per sentence (in %%%%embed use label<TAB>sentence lines).",
    )
    @argument(
        "--renderer",
        default=None,
        help="Show figures with fig.show(renderer=NAME) instead of the export-safe default.",
    )
    @argument("-o", "--output", default=None, help="Also store the result as this variable.")
    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def embed(self, line: str, cell: str | None = None, local_ns: Any = None) -> EmbedResult:
        """Embed sentences with a small BERT and show similarity, attention and a projection.

        ``%embed "first" "second" ...`` or ``%embed {list_of_str}``; ``%%embed`` reads one
        sentence per line of the cell body (``label<TAB>sentence`` lines give labels).
        Returns an EmbedResult: ``texts``, ``labels``, ``embeddings`` (float32 [N, H]),
        ``provenance``, ``figures``, ``.similarity()`` and ``.report(path)``.
        """
        args, texts, labels = self._parse(line, cell, local_ns)
        model, note = self.get_model(args.model, args.preprocessor)
        if note:
            print(note)
        return self._run(model, note, texts, labels, args)

    # -- steps -------------------------------------------------------------------------------

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

    def _parse(self, line: str, cell: str | None, local_ns: Any):
        line = line.strip()
        expanded, values = substitute_values(line, self._evaluate(local_ns))
        try:
            argv = shlex.split(expanded, posix=True)
        except ValueError as exc:
            raise UsageError(f"Could not split the line ({exc}). {_USAGE}") from exc
        for token in argv:
            stray = next((k for k in values if k in token and k != token), None)
            if stray is not None:
                raise UsageError(
                    f"Put spaces around {values[stray][0]}: it must stand alone to expand to "
                    "sentences."
                )
        args = self.embed.parser.parse_args(argv)  # raises UsageError on bad options

        def resolve(value: str | None, what: str) -> str | None:
            if value is None or value not in values:
                return value
            source, obj = values[value]
            if isinstance(obj, str):
                return obj
            if isinstance(obj, os.PathLike):
                return os.fspath(obj)
            raise UsageError(f"{what} {source} must be a str or path. Got {type(obj).__name__}.")

        args.model = resolve(args.model, "--model")
        args.preprocessor = resolve(args.preprocessor, "--preprocessor")
        args.output = resolve(args.output, "-o")
        args.renderer = resolve(args.renderer, "--renderer")
        for name, choices in (("view", VIEWS), ("pooling", POOLINGS), ("projection", PROJECTIONS)):
            value = getattr(args, name)
            if value is not None and value not in choices:
                listed = ", ".join(choices)
                raise UsageError(f"Unknown --{name} {value!r}. Choose one of: {listed}.")
        if args.output is not None and (
            not args.output.isidentifier() or keyword.iskeyword(args.output)
        ):
            raise UsageError(
                f"-o {args.output!r} is not a valid Python variable name. Pass e.g. -o res."
            )

        texts: list[str] = []
        for token in args.sentences:
            if token in values:
                texts.extend(as_texts(values[token][1], values[token][0]))
            else:
                texts.append(token)
        labels: list[str] | None = None
        if args.labels is not None:
            if args.labels in values:
                labels = as_texts(values[args.labels][1], values[args.labels][0])
            else:
                labels = [args.labels]
        if cell is not None:
            if texts:
                raise UsageError(
                    "%%embed reads its sentences from the cell body; remove the sentences from "
                    "the %%embed line (or use %embed on one line)."
                )
            texts, body_labels = parse_body(cell)
            if body_labels is not None:
                if labels is not None:
                    raise UsageError("Give labels either with --labels or as label<TAB> lines.")
                labels = body_labels
        if not texts:
            raise UsageError(f"No sentences given. {_USAGE}")
        for i, text in enumerate(texts):
            if not text.strip():
                raise UsageError(f"Sentence {i} is empty; every sentence needs some text.")
        if labels is not None and len(labels) != len(texts):
            raise UsageError(
                f"--labels has {len(labels)} entries for {len(texts)} sentences; give one label "
                "per sentence."
            )
        return args, texts, labels

    def _run(
        self,
        model: BertModel,
        note: str | None,
        texts: list[str],
        labels: list[str] | None,
        args: Any,
    ) -> EmbedResult:
        from .analysis import cluster_order, default_method, project, similarity_matrix
        from .figures import (
            attention_grid,
            attention_heatmap,
            projection_scatter,
            similarity_heatmap,
        )

        try:
            embeddings = model.embed(texts, pooling=args.pooling, normalize=args.normalize)
        except ValueError as exc:  # e.g. a pooling this model does not have
            raise UsageError(str(exc)) from exc
        provenance = model.provenance(args.pooling, normalize=args.normalize)
        line = provenance.describe()
        n = len(texts)
        views = {"similarity", "attention", "projection"} if args.view == "all" else {args.view}
        figures: dict[str, go.Figure] = {}
        projection = None

        method = args.projection
        if method == "auto":
            method = default_method(n)
        if "projection" in views and n < PROJECTION_MIN_TEXTS:
            if args.view == "projection":
                raise UsageError(
                    f"--view projection needs at least {PROJECTION_MIN_TEXTS} sentences. Got {n}."
                )
            print(f"(no projection: it needs at least {PROJECTION_MIN_TEXTS} sentences, got {n})")
            views.discard("projection")

        if "similarity" in views:
            sim = similarity_matrix(embeddings, metric="cosine")
            figures["similarity"] = similarity_heatmap(
                sim.matrix,
                texts,
                labels=labels,
                order=cluster_order(sim),
                provenance=line,
                title="Sentence similarity (cosine, clustered order)",
            )
        if "attention" in views:
            att = model.attention(texts[0])
            if att.num_layers * att.num_heads <= ATTENTION_GRID_MAX_PANELS:
                fig = attention_grid(
                    att.probs,
                    att.tokens,
                    provenance=att.provenance,
                    title="Attention of the first sentence, every layer x head",
                )
            else:
                last = att.num_layers - 1
                fig = attention_heatmap(
                    att.mean_over_heads(last),
                    att.tokens,
                    provenance=att.provenance,
                    title=f"Attention of the first sentence, layer {last} "
                    f"(mean of {att.num_heads} heads)",
                )
            figures["attention"] = fig
        if "projection" in views:
            params = {"seed": 0} if method == "umap" else {}
            try:
                projection = project(embeddings, method=method, n_components=2, **params)
            except ValueError as exc:  # e.g. UMAP on too few points
                raise UsageError(str(exc)) from exc
            figures["projection"] = projection_scatter(
                projection.coords,
                texts,
                labels=labels,
                provenance=line,
                title=f"Sentence embeddings, {method.upper()} projection",
                method_description=projection.describe(),
            )

        result = EmbedResult(
            texts=tuple(texts),
            labels=None if labels is None else tuple(labels),
            embeddings=embeddings,
            provenance=provenance,
            model=model,
            note=note,
            projection=projection,
            figures=figures,
        )
        for fig in figures.values():
            self._show(fig, args.renderer)
        if args.output is not None:
            self.shell.user_ns[args.output] = result
        return result


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%embed`` / ``%%embed`` (called by ``%load_ext smallbert_viz``)."""
    ipython.register_magics(EmbedMagics)


__all__ = ["EmbedMagics", "EmbedResult", "load_ipython_extension"]
