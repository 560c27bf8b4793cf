"""The report file: self-contained, provenance stamped, user text inert, data equal to references."""

from __future__ import annotations

import base64
import html
import importlib.metadata
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from smallbert_viz.reporting.render import dequantize, json_for_script, quantize

from .conftest import BREAKOUT, EVIL

pytestmark = pytest.mark.filterwarnings("ignore:.*longer than max_length:UserWarning")


class _Tags(HTMLParser):
    """Collects start tags with their attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_plotly_js_packed_exactly_once(built_report):
    """plotly.js travels once, compressed, and unpacks to the very file plotly.py ships."""
    import json

    import plotly.offline

    from smallbert_viz.reporting.render import unpack

    page = built_report.html
    plotly_js = plotly.offline.get_plotlyjs()
    assert plotly_js[:2000] not in page  # not also written in clear
    blocks = {m.group(1): m.group(2) for m in re.finditer(
        r'<script type="application/octet-stream" id="([^"]+)">([^<]*)</script>', page)}
    scripts = json.loads(re.search(
        r'<script type="application/json" id="report-scripts">(.*?)</script>', page).group(1))
    code = [unpack(ref, blocks) for ref in scripts]
    assert code[0] == plotly_js
    assert code[1].startswith("/* smallbert-viz standalone report")
    packed = len(blocks[scripts[0]["block"]])
    assert packed < 0.45 * len(plotly_js.encode())  # DEFLATE + base64: well under half


def test_no_network_resources(built_report):
    tags = _tags(built_report.html)
    for tag, attrs in tags:
        for attr in ("src", "href", "data", "action", "srcset"):
            value = (attrs.get(attr) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        if tag == "script":
            assert "src" not in attrs, attrs  # every script is inline
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
    # CSS may not fetch either (fonts, images).
    style = re.search(r"<style>(.*?)</style>", built_report.html, re.DOTALL).group(1)
    assert "url(" not in style and "@import" not in style


def test_script_elements_are_only_ours(built_report):
    """User text cannot open or close a script element: the count is fixed by the template."""
    tags = _tags(built_report.html)
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    json_blocks = [a for a in scripts if a.get("type") == "application/json"]
    packed = [a for a in scripts if a.get("type") == "application/octet-stream"]
    code = [a for a in scripts if a.get("type") is None]
    assert len(code) == 1  # the loader; it runs plotly.js and report.js from packed blocks
    n_figures = 3 + len(built_report.attention_for)
    assert len(json_blocks) == 2 + n_figures
    assert {a["id"] for a in json_blocks} == {
        "report-data",
        "report-scripts",
        "fig-similarity",
        "fig-projection",
        "fig-contributions",
        *(f"fig-attention-{i}" for i in built_report.attention_for),
    }
    assert len(scripts) == len(json_blocks) + len(packed) + len(code)
    assert all(a["id"].startswith("blob-") for a in packed)
    # Packed blocks are base64 only: nothing in them can end the element.
    for m in re.finditer(r'<script type="application/octet-stream" id="[^"]+">([^<]*)</script>',
                         built_report.html):
        assert re.fullmatch(r"[A-Za-z0-9+/=]*", m.group(1))


def test_user_text_never_raw_html(built_report):
    page = built_report.html
    assert EVIL not in page
    assert "<script>alert(2)" not in page
    # Server-rendered tables escape it (the label table, the title) ...
    assert html.escape(EVIL) in page
    assert "<title>Test report &lt;img src=x onerror=alert(1)&gt;</title>" in page
    # ... and the packed blocks carry the exact characters back to the page's script.
    data = built_report.data()
    assert data["texts"] == built_report.texts
    assert data["labels"] == built_report.labels
    assert EVIL in data["texts"] and BREAKOUT in data["texts"]


def test_json_for_script_round_trips_and_hides_markup():
    import json

    obj = {"a": EVIL, "b": BREAKOUT, "c": "x & y <!-- -->", "d": [1.5, None]}
    text = json_for_script(obj)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == obj


def test_provenance_fields(built_report, standin_model):
    page = built_report.html
    prov = re.search(r"<table class='kv provenance'>(.*?)</table>", page, re.DOTALL).group(1)
    text = html.unescape(re.sub(r"<[^>]+>", " ", prov))
    info = standin_model.info
    for needle in (
        info.name,
        info.encoder_handle,
        info.preprocessor_handle,
        f"{info.num_parameters:,}",
        f"{info.num_layers} layers, hidden size {info.hidden_size}, {info.num_heads} heads",
        f"pooling {info.default_pooling} (model default)",
        "normalization none",
        "n_neighbors=15",
        "min_dist=0.1",
        "seed=42",
        "seed 42",
        "UMAP of 44 points",
    ):
        assert needle in " ".join(text.split()), needle
    for dist in ("smallbert-viz", "tensorflow", "tensorflow-hub", "plotly", "umap-learn", "numpy"):
        assert f"{dist} {importlib.metadata.version(dist)}" in text, dist
    assert re.search(r"created \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", " ".join(text.split()))
    # Every figure carries the provenance line as its subtitle.
    line = standin_model.provenance().describe()
    blocks = built_report.blocks()
    for name, spec in blocks.items():
        if name.startswith("fig-") and not name.startswith("fig-attention"):
            subtitle = html.unescape(spec["layout"]["title"]["subtitle"]["text"])
            assert line.split(" | ")[0] in subtitle.replace("<br>", " "), name


def test_corpus_summary(built_report, standin_model):
    page = built_report.html
    summary = re.search(r'<section id="corpus">(.*?)</section>', page, re.DOTALL).group(1)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", summary)).split())
    texts, labels = built_report.texts, built_report.labels
    assert f"sentences {len(texts)} (1 duplicates)" in text
    pieces = [len(p) for p in standin_model.tokenize(texts)]
    words = [len(t.split()) for t in texts]
    assert f"min {min(words)}, median {np.median(words):g}" in text
    assert f"max {max(pieces)} (without [CLS]/[SEP])" in text
    truncated = sum(p + 2 > 128 for p in pieces)
    assert truncated == 1
    assert "truncated 1 sentence(s) longer than max_length=128" in text
    # ... counted there, so no truncation warning (nor any other) from any of the report's
    # threads, and the process-wide warning filters as they were.
    assert built_report.warned == ()
    assert not built_report.filters_changed
    counts = {lab: labels.count(lab) for lab in set(labels)}
    for lab, count in counts.items():
        assert f"{lab} {count}" in text


def test_heatmap_payload_is_the_clustered_cosine_matrix(built_report, standin_model):
    blocks = built_report.blocks()
    data = blocks["report-data"]
    trace = blocks["fig-similarity"]["data"][0]
    q = trace["z"]["quantized"]
    n = len(built_report.texts)
    assert q["triangle"] is True  # symmetric: only the upper triangle is sent
    assert len(base64.b64decode(q["bdata"])) == 2 * n * (n + 1) // 2
    decoded = dequantize(q)
    rows = np.array(data["heatmapRows"])
    assert sorted(rows.tolist()) == list(range(n))
    emb = standin_model.embed(built_report.texts)
    reference = cosine_similarity(emb.astype(np.float64))[np.ix_(rows, rows)]
    np.fill_diagonal(reference, 1.0)
    assert np.abs(decoded - reference).max() <= q["step"] / 2 + 1e-5
    # x categories are sent once (as y) and restored by the page.
    assert "x" not in trace and trace["xFromY"] is True
    # Attention and contribution heatmaps are quantized too (not symmetric: full matrices).
    attn = blocks[f"fig-attention-{built_report.attention_for[0]}"]["data"][0]["z"]["quantized"]
    assert attn["triangle"] is False and attn["lo"] >= 0.0


@pytest.mark.parametrize("triangle", [False, True])
def test_quantize_round_trip_bounds_the_error_and_keeps_nan(triangle):
    rng = np.random.default_rng(3)
    m = rng.uniform(-0.3, 1.0, size=(50, 50))
    if triangle:
        m = (m + m.T) / 2
    m[3, 4] = np.nan
    if triangle:
        m[4, 3] = np.nan
    q = quantize(m, triangle=triangle)
    codes = np.frombuffer(base64.b64decode(q["bdata"]), dtype="<u2")
    assert codes.size == (50 * 51 // 2 if triangle else 50 * 50)
    assert (codes == q["nanCode"]).sum() == 1
    decoded = dequantize(q)
    assert np.isnan(decoded[3, 4])
    assert np.isnan(decoded[4, 3]) == triangle
    ok = np.isfinite(m)
    assert np.abs(decoded[ok] - m[ok]).max() <= q["step"] / 2 * (1 + 1e-9)
    assert q["step"] == pytest.approx((np.nanmax(m) - np.nanmin(m)) / 65534)


def test_neighbors_and_pair_match_brute_force(built_report, standin_model):
    data = built_report.data()
    texts = built_report.texts
    emb = standin_model.embed(texts).astype(np.float64)
    sim = cosine_similarity(emb)
    np.fill_diagonal(sim, -np.inf)
    idx = np.array(data["neighbors"]["indices"])
    scores = np.array(data["neighbors"]["scores"])
    assert idx.shape == (len(texts), 10)
    expected = np.take_along_axis(sim, idx, axis=1)
    np.testing.assert_allclose(scores, expected, atol=1e-4)
    assert np.all(scores[:, 0] >= np.sort(sim, axis=1)[:, -1] - 1e-4)
    # The contribution pair: the most similar pair of different texts.
    different = np.array([[a != b for b in texts] for a in texts])
    best = np.where(different, sim, -np.inf).max()
    i, j, score = data["pair"]
    assert texts[i] != texts[j]
    assert score == pytest.approx(best, abs=1e-4)


def test_attention_figures_are_the_stored_sentences(built_report, standin_model):
    blocks = built_report.blocks()
    data = blocks["report-data"]
    assert data["attention"] == {str(i): f"fig-attention-{i}" for i in built_report.attention_for}
    info = standin_model.info
    for i in built_report.attention_for:
        spec = blocks[f"fig-attention-{i}"]
        assert len(spec["data"]) == info.num_layers * info.num_heads
        assert f"Attention of #{i}" in html.unescape(spec["layout"]["title"]["text"])


def test_data_sizes_are_compact(built_report):
    """Per-sentence arrays are packed typed arrays; figures hold no per-point arrays."""
    data = built_report.data()
    n = len(built_report.texts)
    raw = built_report.blocks()["report-data"]
    assert raw["coords"]["dtype"] == "f4" and raw["coords"]["shape"] == [n, 2]
    assert raw["neighbors"]["indices"]["dtype"] == "i4"
    assert raw["neighbors"]["scores"]["dtype"] == "u2"  # codes: lo + code * step
    assert data["coords"].dtype == np.float32 and data["coords"].shape == (n, 2)
    assert data["neighbors"]["indices"].shape == (n, 10)
    # The texts are written once: no sentence appears in clear in the page.
    page = built_report.html
    for text in built_report.texts[:20]:
        assert text not in page and html.escape(text) not in page
    for trace in built_report.blocks()["fig-projection"]["data"]:
        assert not {"x", "y", "hovertext", "customdata"} & set(trace)
        assert trace["points"]["rows"]["dtype"] == "i4"


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "labels", "kwargs", "error", "match"),
    [
        ([], None, {}, ValueError, "at least 2 sentences. Got 0"),
        ("one sentence", None, {}, TypeError, "single str"),
        (["a", None], None, {}, TypeError, r"texts\[1\] is NoneType"),
        (["a b", "c d", "e f"], ["x", "y"], {}, ValueError, r"one entry per text \(3\). Got 2"),
        (["a b", "c d"], None, {"attention_for": [5]}, ValueError, "attention_for"),
        (["a b", "c d"], None, {"seed": -1}, ValueError, "'seed'"),
        (["a b", "c d"], None, {"pair": (1, 1)}, ValueError, "two different sentence indices"),
    ],
)
def test_bad_input_raises_before_any_work(tmp_path, texts, labels, kwargs, error, match):
    from smallbert_viz.reporting import report

    # model=object() would fail on use: input errors must be raised first.
    with pytest.raises(error, match=match):
        report(texts, labels, model=object(), path=tmp_path / "r.html", **kwargs)
    assert not (tmp_path / "r.html").exists()


def test_bad_model_and_path(tmp_path, standin_model):
    from smallbert_viz.reporting import report

    with pytest.raises(TypeError, match="must be a BertModel, a model name"):
        report(["a b", "c d"], None, model=42, path=tmp_path / "r.html")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        report(["a b", "c d"], None, model=standin_model, path=tmp_path)
    with pytest.raises(TypeError, match="'path' parameter of report"):
        report(["a b", "c d"], None, model=standin_model, path=3)


@pytest.mark.parametrize("descending", [True, False])
def test_row_codes_round_trip_within_half_a_step(descending):
    """Packer.row_codes: differences along sorted rows (or absolute codes), error <= step / 2."""
    from smallbert_viz.reporting.render import Packer, unpack

    rng = np.random.default_rng(0)
    values = rng.uniform(-0.3, 1.0, size=(500, 10))
    if descending:
        values = -np.sort(-values, axis=1)
    packer = Packer()
    ref = packer.row_codes("s", values, 1e-4)
    assert ref["delta"] is descending and ref["rowShape"] == [500, 10]
    back = unpack(ref, packer.blocks)
    assert back.shape == values.shape
    assert np.abs(back - values).max() <= 0.5e-4 + 1e-12
    # Against absolute uint16 codes of the same values (Packer.codes), never larger when sorted.
    plain = Packer()
    plain.codes("s", values)
    if descending:
        assert len(packer.blocks["blob-s"]) < len(plain.blocks["blob-s"])
