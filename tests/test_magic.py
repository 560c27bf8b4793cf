"""%embed / %%embed through IPython's own test shell, on the real stand-in and MiniLM models."""

from __future__ import annotations

import html
import json
import shlex

import numpy as np
import pytest
from IPython.core.error import UsageError
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

PLOTLY_MIME = "application/vnd.plotly.v1+json"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def ip():
    """IPython's test shell with ``%load_ext smallbert_viz`` done (one magic instance)."""
    # start_ipython returns None when another test module started the global shell first.
    shell = globalipapp.start_ipython() or globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "smallbert_viz")
    return shell


@pytest.fixture
def magics(ip):
    """A fresh EmbedMagics instance (empty model cache, plotly.js not yet shown).

    The instance registered by ``%load_ext`` is put back afterwards, so that the other tests
    share its model cache.
    """
    from smallbert_viz.magic import EmbedMagics

    previous = ip.magics_manager.registry["EmbedMagics"]
    instance = EmbedMagics(ip)
    ip.register_magics(instance)
    yield instance
    ip.register_magics(previous)


@pytest.fixture(scope="module")
def opts(standin_dirs) -> str:
    encoder, pre = standin_dirs
    return f"--model {shlex.quote(str(encoder))} --preprocessor {shlex.quote(str(pre))}"


def plotly_outputs(cap) -> list[dict]:
    """The plotly figure dicts that were displayed, in order."""
    return [o.data[PLOTLY_MIME] for o in cap.outputs if PLOTLY_MIME in o.data]


def title_of(fig: dict) -> str:
    """The figure's title as one line (long titles are wrapped with <br>)."""
    return fig["layout"]["title"]["text"].replace("<br>", " ")


def subtitle_of(fig: dict) -> str:
    return fig["layout"]["title"]["subtitle"]["text"]


def decode(value) -> np.ndarray:
    """A plotly JSON array (a list or a base64 typed array) as numpy."""
    import base64

    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = tuple(int(k) for k in shape.split(","))
        return arr.reshape(shape) if shape is not None else arr
    return np.asarray(value, dtype=float)


# ---- parsing the line and the cell ------------------------------------------------------------


def test_quoted_sentences_give_embeddings_of_the_same_model(ip, opts, standin_model):
    texts = ["A cat sat on the mat.", "it's raining", 'she said "hi"', "plain"]
    line = f'"A cat sat on the mat." "it\'s raining" \'she said "hi"\' plain -o res {opts}'
    with capture_output():
        returned = ip.run_line_magic("embed", line)
    res = ip.user_ns["res"]
    assert returned is res
    assert res.texts == tuple(texts)
    assert res.labels is None
    assert res.embeddings.dtype == np.float32 and res.embeddings.shape == (4, 128)
    assert not res.embeddings.flags.writeable
    np.testing.assert_allclose(res.embeddings, standin_model.embed(texts), rtol=0, atol=1e-6)
    assert res.provenance == standin_model.provenance()
    assert res.pooling == standin_model.default_pooling


def test_braces_expand_a_list_variable_for_real(ip, opts):
    xs = ["first sentence", "second, with {braces} and 'quotes'", 'third "one"']
    ip.user_ns["xs"] = xs
    with capture_output():
        out = ip.run_cell(f"%embed {{xs}} -o r {opts}")
    assert out.success, out.error_in_exec
    assert ip.user_ns["r"].texts == tuple(xs)
    assert out.result is ip.user_ns["r"]


@pytest.mark.parametrize(
    ("setup", "token"),
    [
        ("v = ('a b', 'c d')", "{v}"),
        ("v = ['a b', 'c d']", "$v"),
        ("import numpy as np; v = np.array(['a b', 'c d'])", "{v}"),
        ("v = {'k': ['a b', 'c d']}", "{v['k']}"),
        ("", "['a b', 'c d']"),
        ("", "('a b', \"c d\")"),
    ],
)
def test_sequences_of_str_expand_to_one_sentence_each(ip, opts, setup, token):
    ip.run_cell(setup)
    with capture_output():
        out = ip.run_cell(f"%embed {token} -o r --view similarity {opts}")
    assert out.success, out.error_in_exec
    assert ip.user_ns["r"].texts == ("a b", "c d")


def test_str_variable_is_one_sentence_and_mixes_with_quoted(ip, opts):
    ip.user_ns["s"] = "don't split me"
    with capture_output():
        out = ip.run_cell(f'%embed "before" {{s}} after -o r --view similarity {opts}')
    assert out.success, out.error_in_exec
    assert ip.user_ns["r"].texts == ("before", "don't split me", "after")


def test_braces_inside_quotes_are_text(ip, opts):
    with capture_output():
        out = ip.run_cell(f'%embed "set {{undefined_name}} here" "x" -o r --view similarity {opts}')
    assert out.success, out.error_in_exec
    assert ip.user_ns["r"].texts == ("set {undefined_name} here", "x")


def test_local_variables_of_a_function_expand(ip, opts):
    code = (
        "def f():\n"
        "    local_sentences = ['inside a function', 'second one']\n"
        f"    res = %embed {{local_sentences}} --view similarity {opts}\n"
        "    return res\n"
        "with __import__('IPython').utils.capture.capture_output():\n"
        "    from_f = f()\n"
    )
    out = ip.run_cell(code)
    assert out.success, out.error_in_exec
    assert ip.user_ns["from_f"].texts == ("inside a function", "second one")


def test_cell_body_with_labels(ip, opts, standin_model):
    body = (
        "animals\tA cat sat on the mat.\n"
        "animals\tA dog lay on the rug.\n"
        "\n"
        "finance\tStocks fell sharply.\n"
        "finance\tBonds rose\twith a tab inside.\n"
    )
    with capture_output() as cap:
        res = ip.run_cell_magic("embed", f"-o res {opts}", body)
    assert ip.user_ns["res"] is res
    texts = [
        "A cat sat on the mat.",
        "A dog lay on the rug.",
        "Stocks fell sharply.",
        "Bonds rose\twith a tab inside.",
    ]
    assert res.texts == tuple(texts)
    assert res.labels == ("animals", "animals", "finance", "finance")
    np.testing.assert_allclose(res.embeddings, standin_model.embed(texts), rtol=0, atol=1e-6)
    figs = plotly_outputs(cap)
    assert len(figs) == 4
    projection = figs[2]
    assert [t["name"] for t in projection["data"]] == ["animals", "finance"]


def test_cell_body_without_labels(ip, opts):
    with capture_output():
        res = ip.run_cell_magic("embed", f"--view similarity {opts}", "one\n  two  \n\nthree\n")
    assert res.texts == ("one", "two", "three")
    assert res.labels is None


def test_labels_option_with_a_variable(ip, opts):
    ip.user_ns["xs"] = ["a", "b", "c", "d"]
    ip.user_ns["ls"] = ["x", "x", "y", "y"]
    with capture_output() as cap:
        out = ip.run_cell(f"%embed {{xs}} --labels {{ls}} -o r {opts}")
    assert out.success, out.error_in_exec
    assert ip.user_ns["r"].labels == ("x", "x", "y", "y")
    assert [t["name"] for t in plotly_outputs(cap)[2]["data"]] == ["x", "y"]


# ---- what is displayed --------------------------------------------------------------------------


def test_default_view_shows_heatmap_attention_and_pca(ip, opts, standin_model):
    from sklearn.metrics.pairwise import cosine_similarity

    texts = ["the cat sat", "a dog ran", "stocks fell", "bonds rose", "it rained"]
    with capture_output() as cap:
        res = ip.run_line_magic("embed", " ".join(shlex.quote(t) for t in texts) + f" {opts}")
    figs = plotly_outputs(cap)
    assert [title_of(f) for f in figs][:3] == [
        "Cosine similarity of 5 sentences, clustered order",
        "Attention of #0: the cat sat, every layer \u00d7 head",
        "Sentence embeddings, PCA projection",
    ]
    pair_title = title_of(figs[3])
    assert pair_title.startswith("Why #") and "cls pooling" in pair_title
    assert list(res.figures) == ["similarity", "attention", "projection", "pair"]
    describe = res.provenance.describe()
    for fig in (figs[0], figs[2]):
        assert "pooling: cls" in subtitle_of(fig)
        assert res.model_info.short().split(" (")[0] in subtitle_of(fig)
    assert describe.startswith("model: ")

    # Heatmap: the same multiset of numbers as sklearn's cosine matrix (rows are reordered).
    z = decode(figs[0]["data"][0]["z"])
    ref = cosine_similarity(standin_model.embed(texts))
    np.testing.assert_allclose(np.sort(z.ravel()), np.sort(ref.ravel()), atol=1e-5)

    # Attention: one panel per layer x head, panel (0, 0) is the model's own probabilities.
    att = standin_model.attention(texts[0])
    heatmaps = figs[1]["data"]
    assert len(heatmaps) == att.num_layers * att.num_heads == 16
    np.testing.assert_allclose(decode(heatmaps[0]["z"]), att.probs[0, 0], atol=1e-6)
    np.testing.assert_allclose(decode(heatmaps[-1]["z"]), att.probs[-1, -1], atol=1e-6)

    # PCA projection: same coordinates as sklearn up to the sign of each axis.
    from sklearn.decomposition import PCA

    ref_xy = PCA(n_components=2).fit_transform(res.embeddings.astype(np.float64))
    xy = np.stack([decode(figs[2]["data"][0]["x"]), decode(figs[2]["data"][0]["y"])], axis=1)
    for k in range(2):
        sign = np.sign(np.dot(xy[:, k], ref_xy[:, k]))
        np.testing.assert_allclose(sign * xy[:, k], ref_xy[:, k], atol=1e-4)
    assert res.projection is not None and res.projection.method == "pca"


@pytest.mark.parametrize(("n", "method"), [(9, "pca"), (10, "umap")])
def test_auto_projection_follows_the_views_rule(ip, opts, n, method):
    # The one rule for all views (analysis.default_method): PCA below 10 sentences, UMAP from 10.
    from smallbert_viz.analysis import default_method

    assert default_method(n) == method
    texts = [f"sentence number {i} about {'cats' if i % 2 else 'stocks'}" for i in range(n)]
    ip.user_ns["many"] = texts
    with capture_output() as cap:
        out = ip.run_cell(f"%embed {{many}} --view projection -o r {opts}")
    assert out.success, out.error_in_exec
    figs = plotly_outputs(cap)
    assert [title_of(f) for f in figs] == [f"Sentence embeddings, {method.upper()} projection"]
    assert method.upper() in subtitle_of(figs[0])
    assert ip.user_ns["r"].projection.method == method
    assert ip.user_ns["r"].projection.coords.shape == (n, 2)


def test_projection_choice_can_be_forced(ip, opts):
    with capture_output() as cap:
        res = ip.run_line_magic("embed", f"a b c d e --view projection --projection umap {opts}")
    assert res.projection.method == "umap"
    assert title_of(plotly_outputs(cap)[0]) == "Sentence embeddings, UMAP projection"


@pytest.mark.parametrize(
    ("view", "titles"),
    [
        ("similarity", ["Cosine similarity of 4 sentences, clustered order"]),
        ("attention", ["Attention of #0: a, every layer \u00d7 head"]),
        ("projection", ["Sentence embeddings, PCA projection"]),
    ],
)
def test_one_view(ip, opts, view, titles):
    with capture_output() as cap:
        res = ip.run_line_magic("embed", f"a b c d --view {view} {opts}")
    assert [title_of(f) for f in plotly_outputs(cap)] == titles
    assert list(res.figures) == [view]


def test_few_sentences_skip_the_projection_and_say_so(ip, opts):
    with capture_output() as cap:
        res = ip.run_line_magic("embed", f"one two three {opts}")
    assert len(plotly_outputs(cap)) == 3  # similarity, attention, pair
    assert "no projection" in cap.stdout and "at least 4" in cap.stdout
    assert res.projection is None


def test_plotlyjs_is_displayed_once_per_session_and_figures_carry_html(ip, magics, opts):
    from plotly.offline import get_plotlyjs

    with capture_output() as first:
        ip.run_line_magic("embed", f"a b --view similarity {opts}")
    with capture_output() as second:
        ip.run_line_magic("embed", f"c d --view similarity {opts}")
    scripts = [o for o in first.outputs if PLOTLY_MIME not in o.data]
    assert len(scripts) == 1 and get_plotlyjs()[:200] in scripts[0].data["text/html"]
    assert all(PLOTLY_MIME in o.data for o in second.outputs)
    for o in first.outputs[1:] + second.outputs:
        # The export-safe HTML: a plot div calling Plotly.newPlot, without its own plotly.js.
        assert "Plotly.newPlot" in o.data["text/html"]
        assert len(o.data["text/html"]) < 200_000
        assert "cdn" not in o.data["text/html"].lower()


def test_renderer_option_uses_plotly_show(ip, opts):
    with capture_output() as cap:
        ip.run_line_magic("embed", f"a b --view similarity --renderer json {opts}")
    assert len(cap.outputs) == 1
    assert "application/json" in cap.outputs[0].data
    assert PLOTLY_MIME not in cap.outputs[0].data


def test_user_text_is_escaped_everywhere(ip, opts):
    ip.user_ns["evil"] = [XSS, "fine", "also <b>bold</b>", "four"]
    with capture_output() as cap:
        out = ip.run_cell(f"%embed {{evil}} --labels {{evil}} -o r {opts}")
    assert out.success, out.error_in_exec
    figs = [o.data for o in cap.outputs if PLOTLY_MIME in o.data]
    assert len(figs) == 4
    for data in figs:
        assert XSS not in json.dumps(data[PLOTLY_MIME])
        assert XSS not in data["text/html"]
        assert "<b>bold</b>" not in data["text/html"]
    page = ip.user_ns["r"]._repr_html_()
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert ip.user_ns["r"].texts[0] == XSS  # the data itself is the text as typed


# ---- options, model choice and the cache --------------------------------------------------------


def test_pooling_and_normalize(ip, opts, standin_model):
    texts = ["a cat", "a dog"]
    with capture_output():
        res = ip.run_line_magic(
            "embed", f"'a cat' 'a dog' --pooling mean --normalize --view similarity {opts}"
        )
    ref = standin_model.embed(texts, pooling="mean", normalize=True)
    np.testing.assert_allclose(res.embeddings, ref, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(res.embeddings, axis=1), 1.0, atol=1e-5)
    assert res.provenance == standin_model.provenance("mean", normalize=True)
    assert "pooling='mean'" in repr(res) and "normalized=True" in repr(res)


def test_models_are_cached_per_model_and_preprocessor(ip, magics, opts):
    with capture_output():
        r1 = ip.run_line_magic("embed", f"a b --view similarity {opts}")
        r2 = ip.run_line_magic("embed", f"c d --view similarity {opts}")
    assert r1.model is r2.model
    assert len(magics._models) == 1


def test_default_model_falls_back_and_prints_the_note(ip, magics, minilm_model):
    texts = ["A man is playing a guitar.", "Someone plays an instrument."]
    with capture_output() as cap:
        res = ip.run_line_magic(
            "embed", "'A man is playing a guitar.' 'Someone plays an instrument.'"
        )
    # TFHUB_CACHE_DIR is an empty folder and tfhub.dev is unreachable in tests: the fallback.
    assert res.note is not None and res.note in cap.stdout
    assert "all-MiniLM-L6-v2" in res.note
    assert res.model_info.name == minilm_model.info.name
    np.testing.assert_allclose(res.embeddings, minilm_model.embed(texts), rtol=0, atol=1e-5)
    # 6 layers x 12 heads is too many panels: the last layer's head average instead.
    titles = [title_of(f) for f in plotly_outputs(cap)]
    assert titles[1] == "Attention of #0: A man is playing a guitar., layer 5 (mean of 12 heads)"
    att = minilm_model.attention(texts[0])
    z = decode(plotly_outputs(cap)[1]["data"][0]["z"])
    np.testing.assert_allclose(z, att.probs[5].mean(axis=0), atol=1e-6)
    with capture_output() as again:
        res2 = ip.run_line_magic("embed", "'x y' 'z'")
    assert res2.model is res.model and res.note in again.stdout


# ---- usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "No sentences given"),
        ("-o r", "No sentences given"),
        ("a b --view bogus", "Unknown --view 'bogus'. Choose one of: all, similarity"),
        ("a b --pooling max", "Unknown --pooling 'max'. Choose one of: cls, pooled, mean"),
        ("a b --projection tsne", "Unknown --projection 'tsne'"),
        ("a b --frobnicate", "unrecognized arguments: --frobnicate"),
        ('"unclosed b', "No closing quotation"),
        ("a b -o 1bad", "not a valid Python variable name"),
        ("a b -o class", "not a valid Python variable name"),
        ("{an_int}", "{an_int} is of type int, not a list of str"),
        ("{a_dict}", "{a_dict} is of type dict, not a list of str"),
        ("{mixed}", "{mixed} holds an item of type int at index 1"),
        ("{no_such_name}", "Could not evaluate {no_such_name}: NameError"),
        ("{xs},", "Put spaces around {xs}"),
        ("a (b", "Unbalanced brackets"),
        ("'' b", "Sentence 0 is empty"),
        ("a b c --view projection", "--view projection needs at least 4 sentences. Got 3."),
        ("a b --labels {one_label}", "--labels has 1 entries for 2 sentences"),
        ("a b --model /no/such/dir", "Could not load the model: The encoder directory"),
    ],
)
def test_usage_errors(ip, opts, line, message):
    ip.user_ns.update(an_int=5, a_dict={"a": 1}, mixed=["a", 2], xs=["a"], one_label=["x"])
    full = line if "--model" in line else f"{line} {opts}"
    with pytest.raises(UsageError) as info, capture_output():
        ip.run_line_magic("embed", full)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("line", "body", "message"),
    [
        ("", "\n  \n", "No sentences given"),
        ("extra", "a\nb\n", "%%embed reads its sentences from the cell body"),
        ("", "x\ta\nb\n", "Line 2 of the cell has no label"),
        ("", "x\t  \n", "Line 1 of the cell has a label but no sentence"),
        ("--labels {ls}", "x\ta\ny\tb\n", "either with --labels or as label<TAB> lines"),
    ],
)
def test_cell_usage_errors(ip, opts, line, body, message):
    ip.user_ns["ls"] = ["p", "q"]
    with pytest.raises(UsageError) as info, capture_output():
        ip.run_cell_magic("embed", f"{line} {opts}", body)
    assert message in str(info.value)


def test_usage_error_in_a_cell_is_reported_not_raised(ip, opts):
    ip.user_ns["n"] = 3
    with capture_output():
        out = ip.run_cell(f"%embed {{n}} {opts}")
    assert isinstance(out.error_in_exec, UsageError)
    assert "{n} is of type int" in str(out.error_in_exec)


# ---- the result ---------------------------------------------------------------------------------


def test_result_summary_and_similarity(ip, opts):
    from sklearn.metrics.pairwise import cosine_similarity

    with capture_output():
        res = ip.run_line_magic("embed", f"'a cat' 'a dog' 'stocks' --view similarity {opts}")
    text = repr(res)
    assert "3 texts x 128 dims" in text and "pooling='cls'" in text
    assert res.model_info.name in text
    page = res._repr_html_()
    assert res.model_info.name in page and "cls" in page
    np.testing.assert_allclose(
        res.similarity().matrix, cosine_similarity(res.embeddings), atol=1e-5
    )
    assert len(res) == 3


def test_report_writes_a_file_with_the_same_texts(ip, opts, tmp_path):
    body = "a\tA cat sat on the mat.\na\tA dog lay on the rug.\nb\tStocks fell.\nb\tBonds rose.\n"
    with capture_output():
        res = ip.run_cell_magic("embed", f"--pooling mean {opts}", body)
    path = res.report(tmp_path / "r.html")
    assert path == tmp_path / "r.html" and path.is_file()
    page = path.read_text(encoding="utf8")
    from smallbert_viz.reporting.render import read_page_data

    data = read_page_data(page)  # the texts are packed once in the page data
    assert data["texts"] == list(res.texts) and "Bonds rose." in data["texts"]
    assert data["labels"] == list(res.labels)
    # The report names the same model and pooling as the magic's result.
    assert html.escape(res.describe()) in page
    assert "pooling: mean" in res.describe()


def test_explore_opens_the_linked_explorers_on_the_same_embeddings(ip, opts):
    body = "a\tA cat sat on the mat.\na\tA dog lay on the rug.\nb\tStocks fell.\nb\tBonds rose.\n"
    with capture_output():
        res = ip.run_cell_magic("embed", f"--pooling mean --normalize {opts}", body)
    ex = res.explore(projection={"method": "pca"})
    view = ex.projection_view
    assert view.texts == list(res.texts) and view.labels == list(res.labels)
    np.testing.assert_array_equal(view.embeddings, res.embeddings)
    assert view.pooling == "mean" and view.normalize
    assert ex.provenance_text.splitlines()[0] == res.describe() and "normalized: yes" in ex.provenance_text
    assert ex.attention_view is not None


def _report_heatmap(path):
    """(rows, decoded matrix) of a written report's similarity heatmap."""
    import json
    import re

    from smallbert_viz.reporting.render import dequantize

    page = path.read_text(encoding="utf8")
    blocks = {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(
            r'<script type="application/json" id="([^"]+)">(.*?)</script>', page, re.DOTALL
        )
    }
    rows = np.array(blocks["report-data"]["heatmapRows"])
    return rows, dequantize(blocks["fig-similarity"]["data"][0]["z"]["quantized"])


def test_report_reuses_the_result_embeddings(ip, opts, tmp_path):
    import dataclasses

    from sklearn.metrics.pairwise import cosine_similarity

    texts = ["A cat sat.", "A dog lay down.", "Stocks fell.", "Bonds rose."]
    with capture_output():
        res = ip.run_line_magic("embed", " ".join(shlex.quote(t) for t in texts) + f" {opts}")
    # A result holding other (valid-shaped) vectors: the report must show those, not re-embed.
    other = np.random.default_rng(1).normal(size=res.embeddings.shape).astype(np.float32)
    swapped = dataclasses.replace(res, embeddings=other)
    rows, z = _report_heatmap(swapped.report(tmp_path / "reused.html"))
    ref = cosine_similarity(other.astype(np.float64))[np.ix_(rows, rows)]
    np.fill_diagonal(ref, 1.0)
    assert np.abs(z - ref).max() < 1e-3
    # Changing the pooling means new embeddings: the report embeds again with that pooling.
    rows, z = _report_heatmap(swapped.report(tmp_path / "mean.html", pooling="mean"))
    ref = cosine_similarity(res.model.embed(texts, pooling="mean").astype(np.float64))
    ref = ref[np.ix_(rows, rows)]
    np.fill_diagonal(ref, 1.0)
    assert np.abs(z - ref).max() < 1e-3


# ---- a real kernel, nbconvert and a browser -----------------------------------------------------

from .chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium  # noqa: E402


@pytest.mark.slow
@pytest.mark.browser
def test_figures_survive_nbconvert_export_offline(standin_dirs, tmp_path):
    """In a real kernel, two %embed cells; the HTML export draws all five figures offline."""

    require_chromium()
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter
    from playwright.sync_api import sync_playwright

    encoder, pre = standin_dirs
    setup = (
        "%load_ext smallbert_viz\n"
        f"ENC, PRE = {str(encoder)!r}, {str(pre)!r}\n"
        f"xs = [{XSS!r}, 'a dog ran', 'stocks fell', 'bonds rose']"
    )
    cells = [
        setup,
        "%embed {xs} --model {ENC} --preprocessor {PRE} -o res",
        "%%embed --model {ENC} --preprocessor {PRE} --view similarity\nx\tone\ny\ttwo",
        "print('n figures', len(res.figures), res.projection.method)",
    ]
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert "n figures 4 pca" in nb.cells[3].outputs[0]["text"]
    body, _ = HTMLExporter().from_notebook_node(nb)
    page_path = tmp_path / "export.html"
    page_path.write_text(body, encoding="utf-8")
    assert body.count('class="plotly-graph-div"') == 5
    # plotly.js (about 4.8 MB) is in the page exactly once, from the first %embed.
    from plotly.offline import get_plotlyjs

    assert body.count(get_plotlyjs()[:300]) == 1
    assert XSS not in body

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        pg.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        pg.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort(),
        )
        pg.goto(page_path.as_uri())
        pg.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4", timeout=60_000
        )
        drawn = pg.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        titles = pg.evaluate(
            "[...document.querySelectorAll('.js-plotly-plot .gtitle')].map(e => e.textContent)"
        )
        browser.close()
    assert drawn == 5
    assert titles[:3] == [
        "Cosine similarity of 4 sentences, clustered order",
        f"Attention of #0: {XSS}, every layer \u00d7 head",
        "Sentence embeddings, PCA projection",
    ]
    assert problems == []
