"""Layout trust, cluster keywords and near-duplicates in the explorers.

Each view must show what the analysis computed: colours, annotations and table rows are read
back from the widgets and compared with ``projection_trust``, ``cluster_keywords`` /
``keyword_table`` and ``near_duplicates`` called directly (and trust and duplicates with a
brute-force numpy reference).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from .events import EVIL, error_text


def _colour_by_row(fw, n):
    """The marker colour value drawn for each row (trust colouring: one trace, customdata)."""
    out = np.full(n, np.nan)
    trace = fw.data[0]
    out[np.asarray(trace.customdata, dtype=int)] = np.asarray(trace.marker.color, dtype=float)
    return out


def _numpy_trust(x, coords, k):
    """Reference: per row, |cosine k-NN in x  ∩  euclidean k-NN in coords| / k, brute force."""
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = unit @ unit.T
    np.fill_diagonal(sim, -np.inf)
    dist = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    high = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    low = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return np.array([len(set(a) & set(b)) / k for a, b in zip(high, low, strict=True)])


def _numpy_pairs(x, threshold):
    """Reference: every pair (i < j) with cosine >= threshold."""
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = unit @ unit.T
    i, j = np.nonzero(np.triu(sim >= threshold, k=1))
    return set(zip(i.tolist(), j.tolist(), strict=True))


@pytest.fixture
def explorer(corpus40, mean_embeddings):
    from smallbert_viz.widgets import ProjectionExplorer

    texts, labels = corpus40
    return ProjectionExplorer(
        texts,
        labels,
        embeddings=mean_embeddings,
        provenance="stand-in, mean pooling",
        method="pca",
        background=False,
    )


@pytest.fixture(scope="module")
def dup_corpus(corpus40, mean_embeddings):
    """corpus40 plus planted pairs: a lexical copy of the hostile sentence, a reworded one."""
    texts, labels = list(corpus40[0]), list(corpus40[1])
    x = mean_embeddings.copy()
    rng = np.random.default_rng(7)
    planted = [
        (39, EVIL + " and 50% off $5!", "hostile"),  # same words: lexical
        (0, "an entirely different wording of sentence zero", "reworded"),  # semantic
    ]
    for row, text, label in planted:
        texts.append(text)
        labels.append(label)
        noise = rng.normal(scale=1e-3 * np.linalg.norm(x[row]), size=x.shape[1])
        x = np.vstack([x, (x[row] + noise).astype(np.float32)])
    return texts, labels, x


def test_trust_colour_shows_projection_trust_of_the_layout(explorer, mean_embeddings):
    from smallbert_viz.analysis import neighbor_preservation, projection_trust

    explorer.colour_control.value = "trust"
    assert explorer.last_error is None, error_text(explorer)
    n = len(explorer.texts)
    coords = explorer.projection.coords
    expected = projection_trust(mean_embeddings, coords, k=10)
    np.testing.assert_allclose(_colour_by_row(explorer.figure_widget, n), expected, atol=1e-6)
    np.testing.assert_allclose(explorer.trust, expected)
    np.testing.assert_allclose(expected, _numpy_trust(mean_embeddings, coords, 10), atol=1e-12)
    assert 0.0 < expected.mean() < 1.0  # a 2-D PCA of 128-D vectors tears some neighbourhoods
    fig = explorer.figure
    trace = fig.data[0]
    assert trace.marker.colorbar.title.text == "trust"
    assert (trace.marker.cmin, trace.marker.cmax) == (0.0, 1.0)
    assert "trust %{marker.color:.2f}" in trace.hovertemplate
    mean = f"{expected.mean():.3f}"
    assert f"layout trust: mean {mean}" in explorer.provenance_text
    shown = re.search(r"mean trust (\d\.\d\d)", fig.layout.title.subtitle.text).group(1)
    assert abs(float(shown) - expected.mean()) <= 0.005 + 1e-6  # the figure rounds float32
    # Its mean is the layout's neighbour preservation (cosine, k = 10).
    preserved = neighbor_preservation(mean_embeddings, coords, k=10, metric="cosine")
    assert abs(expected.mean() - preserved) < 1e-9

    explorer.colour_control.value = "label"
    assert len(explorer.figure_widget.data) > 1 and "layout trust" not in explorer.provenance_text


def test_trust_is_recomputed_when_umap_replaces_pca(explorer, mean_embeddings):
    from smallbert_viz.analysis import projection_trust

    explorer.colour_control.value = "trust"
    pca_trust = explorer.trust.copy()
    explorer.method_control.value = "umap"
    explorer.recompute()  # background=False: UMAP is drawn on return
    assert explorer.wait_ready(300) and explorer.projection.method == "umap"
    assert explorer.last_error is None, error_text(explorer)
    expected = projection_trust(mean_embeddings, explorer.projection.coords, k=10)
    drawn = _colour_by_row(explorer.figure_widget, len(explorer.texts))
    np.testing.assert_allclose(drawn, expected, atol=1e-6)
    assert not np.allclose(expected, pca_trust)
    assert "UMAP of 40 points" in explorer.figure.layout.title.subtitle.text
    assert f"layout trust: mean {expected.mean():.3f}" in explorer.provenance_text


def test_highlight_on_trust_colours_keeps_both(explorer):
    explorer.colour_control.value = "trust"
    explorer.highlight([7, 3])
    names = [t.name for t in explorer.figure_widget.data]
    assert names == ["sentences", "highlighted"]
    assert sorted(explorer.figure_widget.data[1].customdata) == [3, 7]
    assert explorer.figure_widget.data[0].marker.colorbar.title.text == "trust"
    explorer.clear_query()
    assert [t.name for t in explorer.figure_widget.data] == ["sentences"]
    with pytest.raises(ValueError, match=r"The 'rows' parameter of ProjectionExplorer.highlight"):
        explorer.highlight([40])


def test_keywords_are_cluster_keywords_at_the_group_medians(explorer, corpus40):
    from smallbert_viz.analysis import cluster_keywords
    from smallbert_viz.views.policy import KEYWORDS_ON_PLOT, KEYWORDS_TOP

    texts, labels = corpus40
    assert not explorer.figure.layout.annotations
    explorer.keywords_control.value = True
    assert explorer.last_error is None, error_text(explorer)
    expected = cluster_keywords(texts, labels, top=KEYWORDS_TOP)
    assert explorer.keywords == expected
    coords = explorer.projection.coords
    notes = {a.text: (a.x, a.y) for a in explorer.figure.layout.annotations}
    lab = np.asarray(labels)
    for group, words in expected.items():
        if not words:
            continue
        text = ", ".join(words[:KEYWORDS_ON_PLOT])
        assert text in notes, (text, list(notes))
        centre = np.median(coords[lab == group], axis=0)
        np.testing.assert_allclose(notes[text], centre, rtol=1e-6)
    # The table a user exports: one row per label with the same words and centres.
    table = {row["group"]: row for row in explorer.keyword_table}
    assert set(table) == set(labels) and sum(r["size"] for r in table.values()) == len(texts)
    assert all(table[g]["keywords"] == w for g, w in expected.items())
    assert "keywords: top 5 words per group by c-TF-IDF" in explorer.provenance_text

    # Colouring by cluster: the keywords describe the clusters drawn.
    explorer.colour_control.value = "cluster"
    clusters = [str(c) for c in explorer.clusters]
    assert explorer.keywords == cluster_keywords(texts, clusters, top=KEYWORDS_TOP)
    assert "spherical k-means clusters" in explorer.provenance_text
    explorer.keywords_control.value = False
    assert not explorer.figure.layout.annotations


def test_keywords_follow_the_umap_layout_and_three_dimensions(corpus40, mean_embeddings):
    from smallbert_viz.analysis import cluster_keywords, keyword_table
    from smallbert_viz.figures import keyword_annotations
    from smallbert_viz.views.policy import KEYWORDS_ON_PLOT, KEYWORDS_TOP
    from smallbert_viz.widgets import ProjectionExplorer

    texts, _ = corpus40
    ex = ProjectionExplorer(
        texts,
        embeddings=mean_embeddings,
        provenance="stand-in, mean pooling",
        method="pca",
        n_components=3,
        background=False,
    )
    ex.keywords_control.value = True
    # No labels: the explorer's clusters are the groups.
    groups = [str(c) for c in ex.clusters]
    keywords = cluster_keywords(texts, groups, top=KEYWORDS_TOP)
    assert ex.keywords == keywords
    expected = keyword_annotations(
        keyword_table(ex.projection.coords, groups, keywords), max_words=KEYWORDS_ON_PLOT
    )
    drawn = ex.figure.layout.scene.annotations
    assert [a.text for a in drawn] == [e["text"] for e in expected]
    np.testing.assert_allclose(
        [(a.x, a.y, a.z) for a in drawn], [(e["x"], e["y"], e["z"]) for e in expected], rtol=1e-6
    )
    pca_centres = [(a.x, a.y, a.z) for a in drawn]
    ex.method_control.value = "umap"
    ex.recompute()
    assert ex.projection.method == "umap" and ex.last_error is None, error_text(ex)
    moved = [(a.x, a.y, a.z) for a in ex.figure.layout.scene.annotations]
    expected = keyword_table(ex.projection.coords, groups, keywords)
    np.testing.assert_allclose(
        moved, [(r["x"], r["y"], r["z"]) for r in expected if r["keywords"]], rtol=1e-6
    )
    assert not np.allclose(moved, pca_centres)


def test_duplicates_table_lists_every_pair_escaped(dup_corpus):
    from smallbert_viz.analysis import near_duplicates
    from smallbert_viz.widgets import ProjectionExplorer

    texts, labels, x = dup_corpus
    ex = ProjectionExplorer(
        texts, labels, embeddings=x, provenance="stand-in + planted", method="pca",
        background=False,
    )  # fmt: skip
    result = ex.duplicates(threshold=0.99)
    direct = near_duplicates(x, texts, threshold=0.99, k=10)
    assert result.rows == direct.rows
    found = {(i, j) for i, j, _, _ in result.rows}
    assert found == _numpy_pairs(x, 0.99) and {(39, 40), (0, 41)} <= found
    kinds = {(i, j): kind for i, j, _, kind in result.rows}
    assert kinds[(39, 40)] == "lexical" and kinds[(0, 41)] == "semantic"

    panel = ex.duplicates_panel
    assert ex.duplicates_box.selected_index == 0  # opened
    assert len(panel.pair_list.options) == len(result)
    html = panel.table.value
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<tr>") == len(result) + 1  # header + one row per pair
    assert f"<b>{len(result):,} pairs</b>" in panel.summary.value
    counts = result.counts
    assert f"{counts['lexical']:,} lexical" in panel.summary.value
    assert f"near-duplicates: cosine >= 0.99: {counts['lexical']:,} lexical" in (
        ex.provenance_text
    )
    fig = ex.figures["duplicates"]
    assert list(fig.data[0].cells.values[0]) == [i for i, _, _, _ in result.rows]

    # Picking a pair highlights both points.
    row = next(r for r, (i, j, _, _) in enumerate(result.rows) if (i, j) == (0, 41))
    panel.pair_list.value = row
    assert ex.last_error is None, error_text(ex)
    assert panel.picked == (0, 41) and sorted(ex.highlighted) == [0, 41]
    hl = next(t for t in ex.figure_widget.data if t.name == "highlighted")
    assert sorted(hl.customdata) == [0, 41]

    # The panel's own controls: a new threshold from the slider, then "find".
    panel.threshold_control.value = 0.5
    panel.find_button.click()
    assert ex.last_error is None, error_text(ex)
    assert {(i, j) for i, j, _, _ in panel.result.rows} == _numpy_pairs(x, 0.5)
    assert panel.picked is None

    with pytest.raises(ValueError, match=r"'threshold' parameter of ProjectionExplorer"):
        ex.duplicates(threshold=1.5)


def test_explorer_duplicates_tab_on_the_standin(standin_model):
    """The linked explorer embeds with the stand-in; the tab lists its duplicates and a picked
    pair lights up on the projection and opens in the attention view."""
    from smallbert_viz.analysis import near_duplicates
    from smallbert_viz.widgets import Explorer

    texts = [
        "The cat sat on the mat.",
        "the cat sat on the mat",
        "Stock prices fell sharply today.",
        "A storm is coming from the north.",
        "Dogs love long walks in the park.",
        "Interest rates rose again this year.",
        EVIL,
        "Heavy rain is expected tomorrow.",
    ]
    ex = Explorer(texts, model=standin_model, pooling="mean", projection={"method": "pca"})
    titles = [ex.tabs.get_title(i) for i in range(len(ex.tabs.children))]
    assert titles == ["projection", "similarity", "attention", "duplicates"]
    assert ex.tabs.children[3] is ex.duplicates_panel
    assert ex.projection_view.duplicates_box.layout.display == "none"

    vectors = np.asarray(standin_model.embed(texts, pooling="mean"), dtype=np.float32)
    result = ex.duplicates(threshold=0.95)
    assert ex.tabs.selected_index == 3
    assert result.rows == near_duplicates(vectors, texts, threshold=0.95, k=7).rows
    assert {(i, j) for i, j, _, _ in result.rows} == _numpy_pairs(vectors, 0.95)
    # Same words, different case and punctuation: a lexical pair.
    assert [kind for i, j, _, kind in result.rows if (i, j) == (0, 1)] == ["lexical"]
    row = next(r for r, (i, j, _, _) in enumerate(result.rows) if (i, j) == (0, 1))
    ex.duplicates_panel.pair_list.value = row
    assert ex.last_error is None and ex.projection_view.last_error is None
    assert sorted(ex.projection_view.highlighted) == [0, 1]
    shown = ex.attention_view.attention
    assert (shown.text, shown.text_pair) == (texts[0], texts[1])
    assert "duplicates" in ex.figures
