"""Unit tests of the ``%embed`` line/cell parser: no IPython shell, no model.

``evaluate`` is backed by a dict keyed by the expression text, and records what it was asked,
so the tests also check which tokens are expanded and which stay plain text. The end-to-end
behaviour through IPython's test shell is in tests/test_magic.py.
"""

from __future__ import annotations

import pathlib
import shlex

import numpy as np
import pytest
from IPython.core.error import UsageError

from smallbert_viz.embedding import POOLINGS
from smallbert_viz.magic.parsing import (
    ARGUMENTS,
    PROJECTIONS,
    VIEWS,
    EmbedRequest,
    as_texts,
    build_parser,
    parse,
    parse_body,
    substitute_values,
)


class Namespace:
    """A dict-backed ``evaluate``: ``ns("xs")`` is ``values["xs"]``; the calls are recorded."""

    def __init__(self, **values):
        self.values = dict(values)
        self.calls: list[str] = []

    def __setitem__(self, expr: str, value) -> None:
        self.values[expr] = value

    def __call__(self, expr: str):
        self.calls.append(expr)
        if expr not in self.values:
            raise UsageError(f"Could not evaluate {{{expr}}}: not in the test namespace.")
        return self.values[expr]


def texts_of(line: str, ns: Namespace | None = None, cell: str | None = None) -> list[str]:
    return parse(line, cell, ns if ns is not None else Namespace()).texts


def usage_error(line: str, ns: Namespace | None = None, cell: str | None = None) -> str:
    with pytest.raises(UsageError) as info:
        parse(line, cell, ns if ns is not None else Namespace())
    return str(info.value)


# ---- quoting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "texts"),
    [
        ('"A cat sat on the mat." plain', ["A cat sat on the mat.", "plain"]),
        ("\"it's raining\" 'she said \"hi\"'", ["it's raining", 'she said "hi"']),
        (r'"a \"quoted\" word"', ['a "quoted" word']),
        (r"'back\slash' 'ends in\'", [r"back\slash", "ends in\\"]),  # POSIX: no escapes in '...'
        (r"two\ words three", ["two words", "three"]),
        ("\"glued\"'parts'", ["gluedparts"]),
        ("#hashtag 50% $5 a=b", ["#hashtag", "50%", "$5", "a=b"]),  # no comments, $5 is text
        ("  padded   line  ", ["padded", "line"]),
        ("tab\tseparated", ["tab", "separated"]),
    ],
)
def test_sentences_are_split_with_posix_shell_rules(line, texts):
    assert texts_of(line) == texts
    assert texts_of(line) == shlex.split(line)  # the independent reference


def test_no_closing_quotation_names_the_quote_and_the_fix():
    message = usage_error('"unclosed b')
    assert "No closing quotation (\")" in message and "matching quotes" in message
    message = usage_error("a 'unclosed")
    assert "No closing quotation (')" in message and "%%embed" in message


# ---- {expr} and $name -------------------------------------------------------------------------


def test_braces_and_dollar_expand_a_list_to_one_sentence_each():
    ns = Namespace(xs=["first one", "second, with {braces} and 'quotes'", 'third "x"'])
    assert texts_of("{xs}", ns) == ns.values["xs"]
    assert texts_of("$xs", ns) == ns.values["xs"]
    assert ns.calls == ["xs", "xs"]


def test_a_str_value_is_one_sentence_not_re_split():
    ns = Namespace(s="don't split me {please}")
    assert texts_of('"before" {s} after $s', ns) == [
        "before",
        "don't split me {please}",
        "after",
        "don't split me {please}",
    ]


def test_expressions_are_stripped_and_passed_verbatim():
    ns = Namespace(**{"xs": ["a"], "d['}']": ["b"], 'f"{x}"': "c", "café": "d"})
    assert texts_of("{ xs } {d['}']} {f\"{x}\"} $café", ns) == ["a", "b", "c", "d"]
    assert ns.calls == ["xs", "d['}']", 'f"{x}"', "café"]


@pytest.mark.parametrize(
    "value",
    [
        ("a b", "c d"),
        ["a b", "c d"],
        np.array(["a b", "c d"]),  # items are np.str_, a str subclass
        (t for t in ["a b", "c d"]),
    ],
    ids=["tuple", "list", "ndarray", "generator"],
)
def test_sequences_of_str_give_one_sentence_each(value):
    texts = texts_of("{v}", Namespace(v=value))
    assert texts == ["a b", "c d"] and all(type(t) in (str, np.str_) for t in texts)


def test_expansions_keep_their_place_among_quoted_and_plain_sentences():
    ns = Namespace(xs=["x1", "x2"], ys=("y1",))
    assert texts_of('"q" {xs} plain $ys "q2"', ns) == ["q", "x1", "x2", "plain", "y1", "q2"]


@pytest.mark.parametrize(
    ("line", "texts"),
    [
        ('"set {undefined} here"', ["set {undefined} here"]),
        ("'$undefined' \"$undefined\"", ["$undefined", "$undefined"]),
        ('"[1, 2]" \'(3, 4)\'', ["[1, 2]", "(3, 4)"]),
        ("mid{word} x$name", ["mid{word}", "x$name"]),  # only a token's start expands
        (r"\{xs} \$xs", ["{xs}", "$xs"]),  # a backslash keeps the brace or dollar as text
        (r'"a \" {xs}" b', ['a " {xs}', "b"]),  # an escaped quote does not end the quoting
        ("a] b) c}", ["a]", "b)", "c}"]),  # closing brackets alone are text
    ],
)
def test_quoted_escaped_and_mid_word_braces_stay_text(line, texts):
    ns = Namespace()
    assert texts_of(line, ns) == texts
    assert ns.calls == []  # nothing was evaluated


def test_errors_of_evaluate_propagate_unchanged():
    message = usage_error("{missing}")
    assert message == "Could not evaluate {missing}: not in the test namespace."


@pytest.mark.parametrize("line", ["{}", "{   }"])
def test_empty_braces_are_an_error(line):
    assert usage_error(line).startswith("Empty {} in the line. Usage: %embed")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, "{v} is of type int, not a list of str. Pass a list"),
        (None, "{v} is of type NoneType, not a list of str"),
        ({"a": "b"}, "{v} is of type dict, not a list of str"),
        (b"bytes", "{v} is of type bytes, not a list of str"),
        (["a", 2], "{v} holds an item of type int at index 1 (2); every item must be a str"),
        ([["nested"]], "{v} holds an item of type list at index 0 (['nested'])"),
    ],
)
def test_values_that_are_not_str_or_sequences_of_str_are_errors(value, message):
    assert message in usage_error("{v}", Namespace(v=value))


def test_a_long_bad_item_is_shown_truncated():
    message = usage_error("{v}", Namespace(v=["ok", b"x" * 500]))
    assert "holds an item of type bytes at index 1 (b'xxx" in message
    assert "x" * 100 not in message


def test_as_texts_directly():
    assert as_texts("one", "{s}") == ["one"]
    assert as_texts(("a", "b"), "{t}") == ["a", "b"]
    assert as_texts([], "{e}") == []
    with pytest.raises(UsageError, match=r"^\$n is of type float"):
        as_texts(1.5, "$n")


# ---- literal lists ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "texts"),
    [
        ("['a b', \"c d\"]", ["a b", "c d"]),
        ("('a b', 'c d') e", ["a b", "c d", "e"]),
        ("[] e", ["e"]),  # an empty list adds nothing
        ('("one")', ["one"]),  # a parenthesised str literal is one sentence
        ("['it\\'s', \"]\"]", ["it's", "]"]),  # brackets and quotes inside the items
        ("[draft] (note) [a, b]", ["[draft]", "(note)", "[a,", "b]"]),  # not literals: text
    ],
)
def test_literal_lists_are_read_without_evaluate(line, texts):
    ns = Namespace()
    assert texts_of(line, ns) == texts
    assert ns.calls == []


def test_a_literal_list_of_non_str_is_an_error():
    assert "['x', 1] holds an item of type int at index 1" in usage_error("['x', 1]")


@pytest.mark.parametrize("line", ["a (b", "[a)", "{xs", "[it's]", "x ({xs} y"])
def test_unbalanced_brackets_give_the_fix(line):
    message = usage_error(line, Namespace(xs=["a"]))
    assert message.startswith("Unbalanced brackets in ")
    assert "close every {, [ and (" in message and "quote the sentence" in message


# ---- stray placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("{xs},", "{xs}"),
        ("{xs}{s}", "{xs}"),
        ('{xs}"tail"', "{xs}"),
        ("$s.upper()", "$s"),
        ("['a']x", "['a']"),
    ],
)
def test_a_value_glued_to_other_text_asks_for_spaces(line, source):
    message = usage_error(line, Namespace(xs=["a"], s="b"))
    assert message == f"Put spaces around {source}: it must stand alone to expand to sentences."


def test_substitute_values_marks_each_value_and_never_collides_with_the_text():
    ns = Namespace(xs=["a b"])
    line = '"__embed_value_0__" {xs} [\'c\'] "{not}"'
    expanded, values = substitute_values(line, ns)
    assert [(source, value) for source, value in values.values()] == [
        ("{xs}", ["a b"]),
        ("['c']", ["c"]),
    ]
    for key in values:
        assert key not in line and expanded.count(key) == 1
    assert expanded.startswith('"__embed_value_0__" ') and expanded.endswith(' "{not}"')
    # and the literal text that looks like a placeholder stays a sentence
    assert texts_of(line, ns) == ["__embed_value_0__", "a b", "c", "{not}"]


# ---- options --------------------------------------------------------------------------------


def test_defaults():
    assert parse("a b", None, Namespace()) == EmbedRequest(
        texts=["a", "b"],
        labels=None,
        model=None,
        preprocessor=None,
        pooling=None,
        normalize=False,
        view="all",
        projection="auto",
        renderer=None,
        output=None,
    )


def test_every_option():
    line = (
        "'a b' c --model 'my model' --preprocessor /p/pre --pooling mean --normalize "
        "--view similarity --projection umap --renderer png -o res"
    )
    assert parse(line, None, Namespace()) == EmbedRequest(
        texts=["a b", "c"],
        labels=None,
        model="my model",
        preprocessor="/p/pre",
        pooling="mean",
        normalize=True,
        view="similarity",
        projection="umap",
        renderer="png",
        output="res",
    )


def test_options_may_come_before_the_sentences():
    req = parse("--view attention --output r 'a' {xs}", None, Namespace(xs=["b"]))
    assert (req.texts, req.view, req.output) == (["a", "b"], "attention", "r")


def test_a_double_dash_lets_a_sentence_start_with_a_dash():
    assert texts_of("-o r -- -x '--not an option'") == ["-x", "--not an option"]


@pytest.mark.parametrize(
    ("name", "choices"), [("view", VIEWS), ("pooling", POOLINGS), ("projection", PROJECTIONS)]
)
def test_choices(name, choices):
    for choice in choices:
        assert getattr(parse(f"a --{name} {choice}", None, Namespace()), name) == choice
    message = usage_error(f"a --{name} bogus")
    assert message == f"Unknown --{name} 'bogus'. Choose one of: {', '.join(choices)}."


def test_the_choices_are_the_documented_ones():
    assert VIEWS == ("all", "similarity", "attention", "projection", "pair")
    assert PROJECTIONS == ("auto", "pca", "umap")
    assert POOLINGS == ("cls", "pooled", "mean")


@pytest.mark.parametrize("name", ["res", "_r2", "résultat", "Res_1"])
def test_output_names_that_are_identifiers(name):
    assert parse(f"a -o {name}", None, Namespace()).output == name


@pytest.mark.parametrize("name", ["1bad", "class", "None", "x-y", "a.b", "'with space'"])
def test_output_names_that_are_not_variables(name):
    shown = repr(shlex.split(name)[0])
    message = usage_error(f"a -o {name}")
    assert message == f"-o {shown} is not a valid Python variable name. Pass e.g. -o res."


@pytest.mark.parametrize("option", ["--model", "--preprocessor", "--renderer", "-o"])
def test_string_options_take_a_str_or_path_value(option):
    ns = Namespace(p=pathlib.Path("some/dir"), s="name1", n=3)
    attr = {"-o": "output"}.get(option, option[2:])
    assert getattr(parse(f"a {option} {{s}}", None, ns), attr) == "name1"
    if option != "-o":
        assert getattr(parse(f"a {option} $p", None, ns), attr) == str(pathlib.Path("some/dir"))
    message = usage_error(f"a {option} {{n}}", ns)
    assert message == f"{option} {{n}} must be a str or path. Got int."


@pytest.mark.parametrize(("option", "value"), [("view", "similarity"), ("pooling", "mean")])
def test_choice_options_given_as_a_variable(option, value):
    try:
        req = parse(f"a --{option} {{v}}", None, Namespace(v=value))
    except UsageError as exc:  # a clear refusal is fine too, as long as it names {v}
        assert "__embed_value" not in str(exc) and "{v}" in str(exc)
    else:
        assert getattr(req, option) == value


def test_unknown_options_are_usage_errors():
    assert "unrecognized arguments: --frobnicate" in usage_error("a --frobnicate")
    assert "expected one argument" in usage_error("a --model")


def test_build_parser_knows_every_argument_and_a_given_parser_is_reusable():
    parser = build_parser()
    defaults = vars(parser.parse_args([]))
    assert set(defaults) == {flags[-1].lstrip("-") for flags, _ in ARGUMENTS}
    assert defaults["view"] == "all" and defaults["projection"] == "auto"
    first = parse("a b --view similarity", None, Namespace(), parser)
    second = parse("c", None, Namespace(), parser)
    assert (first.texts, first.view) == (["a", "b"], "similarity")
    assert (second.texts, second.view) == (["c"], "all")  # no state kept between calls


# ---- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["{ls}", "$ls", "['p', 'q']", "('p', 'q')"])
def test_labels_option_takes_a_list(token):
    req = parse(f"a b --labels {token}", None, Namespace(ls=["p", "q"]))
    assert (req.texts, req.labels) == (["a", "b"], ["p", "q"])


def test_a_plain_labels_value_is_one_label():
    assert parse("only --labels 'the label'", None, Namespace()).labels == ["the label"]


@pytest.mark.parametrize(
    ("line", "n_labels", "n_texts"),
    [("a b --labels x", 1, 2), ("a --labels {ls}", 2, 1), ("{xs} --labels ['p']", 1, 3)],
)
def test_label_and_sentence_counts_must_match(line, n_labels, n_texts):
    message = usage_error(line, Namespace(ls=["p", "q"], xs=["1", "2", "3"]))
    assert message == (
        f"--labels has {n_labels} entries for {n_texts} sentences; give one label per sentence."
    )


def test_labels_that_are_not_str_are_errors():
    assert "{ls} holds an item of type int at index 0" in usage_error(
        "a --labels {ls}", Namespace(ls=[1])
    )


# ---- %%embed cell bodies ------------------------------------------------------------------------


def test_cell_body_with_labels():
    body = "animals\tA cat sat on the mat.\n\n  finance \t Stocks fell sharply.  \r\nx\ta\tb\n"
    req = parse("--view similarity -o r", body, Namespace())
    assert req.texts == ["A cat sat on the mat.", "Stocks fell sharply.", "a\tb"]
    assert req.labels == ["animals", "finance", "x"]
    assert (req.view, req.output) == ("similarity", "r")


def test_cell_body_without_labels_is_verbatim_one_sentence_per_line():
    lines = [
        "it's \"quoted\" {xs} $xs [1, 2]",
        "<img src=x onerror=alert(1)> &amp; </div>",
        "#not a comment",
    ]
    ns = Namespace(xs=["never used"])
    req = parse("", "\n".join(lines) + "\n\n", ns)
    assert req.texts == lines and req.labels is None
    assert ns.calls == []  # the body is not expanded


def test_cell_labels_from_the_option():
    req = parse("--labels {ls}", "a\nb\n", Namespace(ls=["p", "q"]))
    assert (req.texts, req.labels) == (["a", "b"], ["p", "q"])
    message = usage_error("--labels {ls}", Namespace(ls=["p", "q"]), cell="a\nb\nc\n")
    assert message.startswith("--labels has 2 entries for 3 sentences")


@pytest.mark.parametrize(
    ("line", "body", "message"),
    [
        ("", "", "No sentences given. Usage: %embed"),
        ("", "\n   \n\t\n", "No sentences given."),
        ("extra", "a\n", "%%embed reads its sentences from the cell body; remove the sentences"),
        ("{xs}", "a\n", "%%embed reads its sentences from the cell body"),
        ("--labels {ls}", "x\ta\ny\tb\n", "Give labels either with --labels or as label<TAB>"),
        ("", "x\ta\n\nplain\ny\tb", "Line 3 of the cell has no label, but other lines have one"),
        ("", "plain\nx\ta", "Line 1 of the cell has no label"),
        ("", "x\ta\ny\t  \n", "Line 2 of the cell has a label but no sentence after the TAB."),
    ],
)
def test_cell_usage_errors(line, body, message):
    assert message in usage_error(line, Namespace(xs=["s"], ls=["p", "q"]), cell=body)


def test_mixed_labelled_lines_say_how_to_fix():
    message = usage_error("", cell="x\ta\nb\n")
    assert message.endswith("(label<TAB>sentence). Label every line or none.")


def test_parse_body_directly():
    assert parse_body("a\n b \n") == (["a", "b"], None)
    assert parse_body("p\ta\nq\tb") == (["a", "b"], ["p", "q"])
    assert parse_body("") == ([], None)


# ---- empty sentences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "index"),
    [("'' b", 0), ("a '   '", 1), ("a {xs}", 2), ("[''] b", 0)],
)
def test_empty_sentences_are_errors(line, index):
    message = usage_error(line, Namespace(xs=["ok", "\t"]))
    assert message == f"Sentence {index} is empty; every sentence needs some text."


@pytest.mark.parametrize("line", ["", "   ", "-o r --view similarity", "{empty}", "[]"])
def test_no_sentences(line):
    assert usage_error(line, Namespace(empty=[])).startswith("No sentences given. Usage:")


# ---- odd text is kept verbatim ------------------------------------------------------------------

ODD = [
    "👩‍👩‍👧 family emoji with ZWJ",
    "مرحبا بالعالم (RTL)",
    "e\u0301 combining accent vs \u00e9",
    "日本語の文です。",
    "zero\u200bwidth and non\u00a0breaking",
    "<img src=x onerror=alert(1)>",
    '<script>alert("x")</script> &amp; &lt;b&gt;',
    "it's {not} $an [expansion] (at all)",
    "back\\slash \\n and a\ttab",
    "\U0001f600\ufe0f \u202eRLO override",
]


def test_odd_text_is_kept_verbatim_when_quoted():
    line = " ".join(shlex.quote(t) for t in ODD)
    ns = Namespace()
    assert texts_of(line, ns) == ODD
    assert ns.calls == []


def test_odd_text_is_kept_verbatim_from_a_variable():
    assert texts_of("{odd}", Namespace(odd=ODD)) == ODD


def test_odd_text_is_kept_verbatim_in_a_cell_body():
    body = "\n".join(t.replace("\t", " ") for t in ODD)
    assert texts_of("", cell=body) == [t.replace("\t", " ") for t in ODD]
    labelled = "\n".join(f"lab{i} <&>\t{t}" for i, t in enumerate(ODD))
    req = parse("", labelled, Namespace())
    assert req.texts == ODD and req.labels == [f"lab{i} <&>" for i in range(len(ODD))]
