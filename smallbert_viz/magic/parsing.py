"""Reading an ``%embed`` line or ``%%embed`` cell: pure functions, no display, no model.

Sentences are shell-quoted (``shlex``, POSIX rules: ``"it's"`` works). The magic expands
variables itself (it opts out of IPython's own expansion, which would hand it ``str(obj)``: a
truncated repr for a pandas Series or numpy array, and an unquoted, re-split string for a str):
an unquoted ``{expr}`` or ``$name`` token is evaluated in the user namespace and must give a
str (one sentence) or a sequence of str (one sentence each); a literal ``[...]`` / ``(...)`` of
str is read with ``ast.literal_eval``. Inside quotes, braces are plain text.

:func:`parse` turns a line (and cell body) into an :class:`EmbedRequest`; errors are IPython
``UsageError`` with a message that says what to write instead.
"""

from __future__ import annotations

import ast
import keyword
import os
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import MagicArgumentParser

from smallbert_viz.analysis.projection import DEFAULT_UMAP_MIN_ROWS
from smallbert_viz.embedding import POOLINGS

VIEWS = ("all", "similarity", "attention", "projection", "pair")
PROJECTIONS = ("auto", "pca", "umap")

_USAGE = (
    'Usage: %embed "first sentence" "second sentence" ... [options], %embed {list_of_str}, or '
    "%%embed [options] with one sentence per line (optionally label<TAB>sentence)."
)

#: The options of ``%embed``: (flags, argparse keywords). Shared by the magic's help
#: (``%embed?``) and :func:`build_parser`.
ARGUMENTS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("sentences",),
        {
            "nargs": "*",
            "help": "Sentences (quote each), {expr} / $name giving a str or a list of str, or a "
            "literal ['...', '...']. In %%%%embed, the cell body gives one sentence per line.",
        },
    ),
    (
        ("--model",),
        {
            "default": None,
            "help": "Name, TF Hub/Kaggle handle or SavedModel directory for load_model. Default: "
            "the TF Hub small BERT L-8_H-128_A-2 if available, else the offline "
            "all-MiniLM-L6-v2 (a note says which).",
        },
    ),
    (("--preprocessor",), {"default": None, "help": "Preprocessor handle or directory."}),
    (("--pooling",), {"default": None, "help": "cls, pooled or mean. Default: the model's own."}),
    (("--normalize",), {"action": "store_true", "help": "Unit-length embeddings."}),
    (
        ("--view",),
        {
            "default": "all",
            "help": "all (default), similarity, attention, projection or pair (why the most "
            "similar pair matches, token by token).",
        },
    ),
    (
        ("--projection",),
        {
            "default": "auto",
            "help": f"auto (default: UMAP from {DEFAULT_UMAP_MIN_ROWS} sentences on, else PCA), "
            "pca or umap.",
        },
    ),
    (
        ("--labels",),
        {
            "default": None,
            "help": "{expr} giving one label per sentence (in %%%%embed use label<TAB>sentence "
            "lines).",
        },
    ),
    (
        ("--renderer",),
        {
            "default": None,
            "help": "Show figures with fig.show(renderer=NAME) instead of the export-safe "
            "default.",
        },
    ),
    (("-o", "--output"), {"default": None, "help": "Also store the result as this variable."}),
)


def build_parser() -> MagicArgumentParser:
    """The argument parser of ``%embed`` (raises ``UsageError`` on bad options)."""
    parser = MagicArgumentParser(prog="%embed", add_help=False)
    for flags, kwargs in ARGUMENTS:
        parser.add_argument(*flags, **kwargs)
    return parser


@dataclass(frozen=True)
class EmbedRequest:
    """What one ``%embed`` call asks for, checked."""

    texts: list[str]
    labels: list[str] | None
    model: str | None
    preprocessor: str | None
    pooling: str | None
    normalize: bool
    view: str
    projection: str
    renderer: str | None
    output: str | None



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




def parse(
    line: str,
    cell: str | None,
    evaluate: Callable[[str], Any],
    parser: MagicArgumentParser | None = None,
) -> EmbedRequest:
    """Read an ``%embed`` line (and ``%%embed`` cell body) into an :class:`EmbedRequest`.

    ``evaluate(expr)`` gives the value of a ``{expr}`` / ``$name`` token in the user's
    namespace.
    """
    line = line.strip()
    expanded, values = substitute_values(line, evaluate)
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
    args = (parser or build_parser()).parse_args(argv)  # raises UsageError on bad options

    def resolve(value: str | None, what: str) -> str | None:
        if value is None or value not in values:
            return value
        source, obj = values[value]
        if isinstance(obj, str):
            return obj
        if isinstance(obj, os.PathLike):
            return os.fspath(obj)
        raise UsageError(f"{what} {source} must be a str or path. Got {type(obj).__name__}.")

    model = resolve(args.model, "--model")
    preprocessor = resolve(args.preprocessor, "--preprocessor")
    output = resolve(args.output, "-o")
    renderer = resolve(args.renderer, "--renderer")
    chosen = {}
    for name, choices in (("view", VIEWS), ("pooling", POOLINGS), ("projection", PROJECTIONS)):
        value = chosen[name] = resolve(getattr(args, name), f"--{name}")
        if value is not None and value not in choices:
            listed = ", ".join(choices)
            raise UsageError(f"Unknown --{name} {value!r}. Choose one of: {listed}.")
    if output is not None and (not output.isidentifier() or keyword.iskeyword(output)):
        raise UsageError(f"-o {output!r} is not a valid Python variable name. Pass e.g. -o res.")

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
    return EmbedRequest(
        texts=texts,
        labels=labels,
        model=model,
        preprocessor=preprocessor,
        pooling=chosen["pooling"],
        normalize=bool(args.normalize),
        view=chosen["view"],
        projection=chosen["projection"],
        renderer=renderer,
        output=output,
    )
