"""The report's issue-12 sections: layout trust, cluster keywords, near-duplicates, layers."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from smallbert_viz.views import policy

from .conftest import EVIL

pytestmark = pytest.mark.filterwarnings("ignore:.*longer than max_length:UserWarning")


def _prov_text(page: str) -> str:
    prov = re.search(r"<table class='kv provenance'>(.*?)</table>", page, re.DOTALL).group(1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", prov)).split())


def test_trust_is_projection_trust_of_the_page_coords(built_report, standin_model):
    from smallbert_viz.analysis import projection_trust

    data = built_report.data()
    emb = standin_model.embed(built_report.texts)
    coords = np.asarray(data["coords"])
    # An independent search (projection_trust's own) on the page's rounded coordinates.
    reference = projection_trust(emb, coords, k=policy.TRUST_K)
    trust = np.asarray(data["trust"])
    assert trust.shape == (len(built_report.texts),)
    assert np.mean(np.abs(trust - reference)) < 0.02  # only ties from rounding may differ
    assert f"layout_trust mean {trust.mean():.3f}" in _prov_text(built_report.html)
    # The projection toggles to a trust trace: hidden at first, one colour per row.
    fig = built_report.blocks()["fig-projection"]
    last = fig["data"][-1]
    assert last["name"] == "trust" and last["visible"] is False
    buttons = fig["layout"]["updatemenus"][0]["buttons"]
    assert [b["args"][0]["visible"][-1] for b in buttons] == [False, True]
    ids = _unpacked(built_report, last["points"]["rows"]).astype(int)
    assert sorted(ids.tolist()) == list(range(len(built_report.texts)))
    colour = _unpacked(built_report, last["points"]["color"])
    np.testing.assert_allclose(colour, trust[ids], atol=1e-4)


def _unpacked(built_report, ref) -> np.ndarray:
    """A packed block of the page (render.Packer) as numpy."""
    from smallbert_viz.reporting.render import unpack

    blocks = dict(re.findall(
        r'<script type="application/octet-stream" id="([^"]+)">([^<]*)</script>',
        built_report.html,
    ))
    return np.asarray(unpack(ref, blocks))


def test_keywords_are_ctfidf_at_the_label_medians(built_report):
    from sklearn.feature_extraction.text import CountVectorizer

    data = built_report.data()
    texts, labels = built_report.texts, built_report.labels
    rows = data["keywords"]["groups"]
    assert data["keywords"]["source"] == "labels"
    assert [r["group"] for r in rows] == list(dict.fromkeys(labels))
    coords = np.asarray(data["coords"])
    cv = CountVectorizer(stop_words="english")
    docs = [" ".join(t for t, g in zip(texts, labels) if g == r["group"]) for r in rows]
    counts = cv.fit_transform(docs).toarray().astype(float)
    words = cv.get_feature_names_out()
    # c-TF-IDF by hand: L1 tf per group times log(1 + mean words per group / word total).
    score = counts / counts.sum(1, keepdims=True) * np.log1p(counts.sum(1).mean() / counts.sum(0))
    for g, row in enumerate(rows):
        members = [i for i, lab in enumerate(labels) if lab == row["group"]]
        assert row["size"] == len(members)
        np.testing.assert_allclose([row["x"], row["y"]], np.median(coords[members], 0), atol=1e-3)
        best = sorted(range(len(words)), key=lambda w: (-score[g, w], words[w]))
        expected = [words[w] for w in best if score[g, w] > 0][: policy.KEYWORDS_TOP]
        assert row["keywords"] == expected, row["group"]
    # Drawn at the centres on the projection, escaped; listed in the page, escaped.
    notes = built_report.blocks()["fig-projection"]["layout"]["annotations"]
    with_words = [r for r in rows if r["keywords"]]
    assert len(notes) == len(with_words)
    for note, row in zip(notes, with_words, strict=True):
        assert (note["x"], note["y"]) == pytest.approx((row["x"], row["y"]))
        assert html.unescape(note["text"]) == ", ".join(row["keywords"][: policy.KEYWORDS_ON_PLOT])
    table = re.search(r"<table class='keywords'.*?</table>", built_report.html, re.DOTALL).group(0)
    assert html.escape(EVIL) in table and EVIL not in table


def test_near_duplicates_match_brute_force(built_report, standin_model):
    data = built_report.blocks()["report-data"]["duplicates"]
    texts = built_report.texts
    emb = standin_model.embed(texts).astype(np.float64)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sim = unit @ unit.T
    iu = np.triu_indices(len(texts), 1)
    above = sim[iu] >= policy.DUPLICATE_THRESHOLD
    assert sum(data["counts"].values()) == int(above.sum())
    shown = data["shown"]
    assert len(shown) == min(policy.DUPLICATES_SHOWN, int(above.sum()))
    scores = [s for _, _, s, _ in shown]
    assert scores == sorted(scores, reverse=True)
    for i, j, s, kind in shown:
        assert s == pytest.approx(sim[i, j], abs=1e-4)
        assert kind in ("lexical", "semantic")
    # The repeated sentence (row 0 and the last row) is the top, lexical pair.
    assert [shown[0][0], shown[0][1], shown[0][3]] == [0, len(texts) - 1, "lexical"]
    prov = _prov_text(built_report.html)
    assert f"{data['counts']['lexical']:,} lexical" in prov and "exact search" in prov
    table = re.search(r"<table class='sentences duplicates'.*?</table>", built_report.html, re.S)
    assert table is not None and "<img" not in table.group(0)


def test_layer_section_skipped_with_the_reason(built_report):
    # The XSS label has one sentence: fewer than the folds need.
    blocks = built_report.blocks()
    assert "fig-layer-accuracy" not in blocks and "fig-layer-cka" not in blocks
    text = re.search(r"<p class=\"explain\" id=\"layers-text\">(.*?)</p>", built_report.html)
    reason = html.unescape(text.group(1))
    assert reason.startswith("Skipped: the label") and repr(EVIL) in reason
    assert f"{policy.LAYER_FOLDS}-fold" in reason
    assert "<img" not in text.group(1)
    assert "layers skipped:" in _prov_text(built_report.html)


def test_layer_section_with_labels(standin_model):
    from smallbert_viz.corpus import sample_corpus
    from smallbert_viz.explain import layer_analysis
    from smallbert_viz.reporting import build as build_mod

    corpus = sample_corpus()
    keep = [i for i, lab in enumerate(corpus.labels) if lab in ("space", "music", "cooking")][:18]
    texts = [corpus.texts[i] for i in keep]
    labels = [corpus.labels[i] for i in keep]
    content = build_mod.build_content(
        texts, labels, model=standin_model, pooling="pooled", attention_for=[0]
    )
    assert content.layers_skipped is None
    acc, cka = content.figures["layer-accuracy"], content.figures["layer-cka"]
    # "pooled" has no per-layer form: each layer's [CLS] vector is analysed, and the page says so.
    ref = layer_analysis(texts, labels, model=standin_model, pooling="cls", k=5, folds=5)
    np.testing.assert_allclose(np.asarray(acc.data[0].y, float), ref.knn_accuracy, atol=1e-9)
    np.testing.assert_allclose(np.asarray(cka.data[0].z, float), ref.cka, atol=1e-6)
    prov = dict(content.provenance.rows())
    assert "cls pooling per layer" in prov["layers"]
    assert "'pooled'" in html.unescape(acc.layout.title.subtitle.text)


def test_duplicates_from_the_report_graph_equal_near_duplicates():
    """The report's near-duplicates read its one neighbour graph; the pairs equal a fresh
    near_duplicates search, also with a group larger than k (the saturated path)."""
    from smallbert_viz.analysis import near_duplicates, nearest_neighbors
    from smallbert_viz.provenance import Provenance
    from smallbert_viz.views.duplicates import duplicates_from_graph
    from smallbert_viz.views.inputs import ViewCorpus

    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    x[:40] = x[0] + rng.normal(scale=0.05, size=(40, 16))  # 40 copies: more than k = 10
    x[100:103] = x[100] + rng.normal(scale=0.05, size=(3, 16))
    texts = [f"sentence {i} words" for i in range(300)]
    texts[250] = texts[251]  # same text joined whatever the vectors
    corpus = ViewCorpus(texts, None, x, None, Provenance.from_text("synthetic"))
    graph = nearest_neighbors(x, k=10, metric="cosine", method="exact")
    got = duplicates_from_graph(corpus, graph, shown=5).result
    ref = near_duplicates(x, texts, threshold=policy.DUPLICATE_THRESHOLD, k=10, method="exact")
    assert len(ref) > 40 * 39 // 2  # the big group is found whole
    np.testing.assert_array_equal(got.pairs, ref.pairs)
    np.testing.assert_allclose(got.scores, ref.scores, atol=1e-6)
    np.testing.assert_array_equal(got.lexical, ref.lexical)
