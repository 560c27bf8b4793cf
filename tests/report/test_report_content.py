"""build_content: sampled heatmap ids, contribution honesty, precomputed embeddings."""

from __future__ import annotations

import html

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from smallbert_viz.reporting import build as build_mod
from smallbert_viz.views import policy

from .conftest import corpus_with_traps

pytestmark = pytest.mark.filterwarnings("ignore:.*longer than max_length:UserWarning")


def _row_ids(fig) -> list[int]:
    """The sentence number each heatmap row names in hover ("#<id> [label]: text")."""
    return [int(name.split(":", 1)[0].split(" ", 1)[0].lstrip("#")) for name in fig.data[0].y]


def test_sampled_heatmap_hover_names_original_sentence_indices(standin_model, monkeypatch):
    texts, labels = corpus_with_traps(16)
    n = len(texts)
    monkeypatch.setattr(policy, "HEATMAP_MAX_ROWS", 7)  # sample 7 of 20 (the > 1,000 path)
    content = build_mod.build_content(texts, labels, model=standin_model, attention_for=[0], seed=3)
    rows = content.heatmap_rows
    assert len(rows) == 7 and len(set(rows.tolist())) == 7 and rows.max() < n
    assert not np.array_equal(np.sort(rows), np.arange(7))  # a real sample, not the first 7
    fig = content.figures["similarity"]
    assert _row_ids(fig) == rows.tolist()
    assert list(fig.data[0].x) == list(fig.data[0].y)
    # Each row's hover shows that sentence's label, and the cells are its similarities.
    for name, i in zip(fig.data[0].y, rows, strict=True):
        assert name.startswith(f"#{i} [{html.escape(labels[i])}]: ")
    emb = standin_model.embed(texts).astype(np.float64)
    reference = cosine_similarity(emb)[np.ix_(rows, rows)]
    np.testing.assert_allclose(fig.data[0].z, reference, atol=1e-4)
    assert "random sample of 7 of 20" in fig.layout.title.text


def test_unsampled_heatmap_ids_are_the_rows(standin_model):
    texts, labels = corpus_with_traps(6)
    content = build_mod.build_content(texts, labels, model=standin_model, attention_for=[0])
    assert _row_ids(content.figures["similarity"]) == content.heatmap_rows.tolist()
    assert sorted(content.heatmap_rows.tolist()) == list(range(len(texts)))


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_pair_explanation_says_how_it_adds_up(standin_model, pooling):
    texts, _ = corpus_with_traps(6)
    content = build_mod.build_content(
        texts, None, model=standin_model, pooling=pooling, pair=(0, 1), attention_for=[0]
    )
    fig = content.figures["contributions"]
    title = html.unescape(fig.layout.title.text).replace("<br>", " ")  # long titles wrap
    subtitle = html.unescape(fig.layout.title.subtitle.text)
    assert title.startswith("Why #0 (rows) and #1 (columns) match") and f"{pooling} pooling" in title
    assert f"pooling: {pooling}" in subtitle  # the embeddings' own provenance stays
    z = np.asarray(fig.data[0].z, dtype=np.float64)
    score = content.pair[2]
    text = content.sections["contributions"]
    if pooling == "mean":
        assert float(np.nansum(z)) == pytest.approx(score, abs=1e-3)
        assert "splits exactly" in text
    else:
        assert "integrated Jacobians" in text and "offset" in text
        assert "integrated Jacobians" in subtitle
    # The other figures keep the plain provenance line.
    sim_sub = html.unescape(content.figures["similarity"].layout.title.subtitle.text)
    assert "Jacobians" not in sim_sub


def test_precomputed_embeddings_give_the_same_report(standin_model):
    texts, labels = corpus_with_traps(10)
    emb = standin_model.embed(texts, pooling="mean", normalize=True)
    kwargs = {"pooling": "mean", "normalize": True, "attention_for": [0], "seed": 5}
    fresh = build_mod.build_content(texts, labels, model=standin_model, **kwargs)
    given = build_mod.build_content(texts, labels, model=standin_model, embeddings=emb, **kwargs)
    np.testing.assert_array_equal(given.heatmap_rows, fresh.heatmap_rows)
    np.testing.assert_allclose(given.heatmap_matrix, fresh.heatmap_matrix, atol=1e-6)
    np.testing.assert_array_equal(given.neighbor_indices, fresh.neighbor_indices)
    assert given.pair[:2] == fresh.pair[:2]


def test_precomputed_embeddings_are_used(standin_model):
    # Different (but valid-shaped) embeddings must change the heatmap: they are not ignored.
    texts, _ = corpus_with_traps(6)
    rng = np.random.default_rng(0)
    other = rng.normal(size=(len(texts), standin_model.hidden_size)).astype(np.float32)
    content = build_mod.build_content(
        texts,
        None,
        model=standin_model,
        embeddings=other,
        pooling="cls",
        provenance="random vectors, named by the test",
        pair=(0, 1),
    )
    assert content.provenance_line == "random vectors, named by the test"
    rows = content.heatmap_rows
    reference = cosine_similarity(other.astype(np.float64))[np.ix_(rows, rows)]
    np.testing.assert_allclose(content.heatmap_matrix, reference, atol=1e-5)


@pytest.mark.parametrize(
    ("make", "normalize", "match"),
    [
        (lambda n, h: np.zeros((n, h + 1)), False, "another model"),
        (lambda n, h: np.zeros((n - 1, h)), False, r"must have shape .* = \(3, H\): one row"),
        (lambda n, h: np.full((n, h), np.nan), False, "must hold finite numbers"),
        (lambda n, h: np.full((n, h), 2.0), True, "normalize=True.*length ratio"),
        (lambda n, h: [["x"] * h] * n, False, "must hold finite numbers. Got dtype <U1"),
    ],
)
def test_bad_embeddings_raise_with_the_fix(tmp_path, standin_model, make, normalize, match):
    from smallbert_viz.reporting import report

    texts = ["A cat sat.", "A dog ran.", "Stocks fell."]
    bad = make(len(texts), standin_model.hidden_size)
    with pytest.raises(ValueError, match=match) as err:
        report(
            texts,
            None,
            model=standin_model,
            path=tmp_path / "r.html",
            embeddings=bad,
            pooling="cls",
            normalize=normalize,
        )
    assert "embeddings" in str(err.value)
    assert not (tmp_path / "r.html").exists()


def test_coords_dataframe_is_shown_as_given(standin_model):
    """spark.project's output read back (text, x, y, label): no projection is computed."""
    import pandas as pd

    texts, labels = corpus_with_traps(8)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"text": texts, "x": rng.normal(size=len(texts)), "y": rng.normal(size=len(texts)),
         "label": labels}
    )
    content = build_mod.build_content(None, coords=frame, model=standin_model, attention_for=[0])
    assert content.texts == texts and content.labels == labels
    np.testing.assert_array_equal(
        content.coords, frame[["x", "y"]].to_numpy().astype(np.float32)
    )
    prov = dict(content.provenance.rows())
    assert prov["projection"].startswith(f"Coordinates given for {len(texts)} points")
    assert "coordinates given" in content.figures["projection"].layout.title.text
    # Neighbours still come from the embeddings (exact at this size).
    emb = standin_model.embed(texts).astype(np.float64)
    sim = cosine_similarity(emb)
    np.fill_diagonal(sim, -np.inf)
    np.testing.assert_array_equal(content.neighbor_indices[:, 0], sim.argmax(1))


def test_coords_of_another_length_raise_before_any_work(tmp_path):
    from smallbert_viz.reporting import report

    with pytest.raises(ValueError, match=r"'coords' parameter of report has 3 rows but there are 4"):
        report(["a", "b", "c", "d"], model=object(), coords=np.zeros((3, 2)),
               path=tmp_path / "r.html")


def test_projection_fitted_on_a_sample_above_the_views_threshold(standin_model, monkeypatch):
    """The > PROJECTION_SAMPLE_ABOVE path: UMAP fitted on a seeded sample, said in provenance."""
    from smallbert_viz.analysis import project

    texts, labels = corpus_with_traps(36)  # 40 sentences
    n = len(texts)
    monkeypatch.setattr(policy, "PROJECTION_SAMPLE_ABOVE", 30)
    monkeypatch.setattr(policy, "PROJECTION_SAMPLE_SIZE", 25)
    emb = standin_model.embed(texts)
    content = build_mod.build_content(
        texts, labels, model=standin_model, embeddings=emb, provenance="test", attention_for=[0],
        pooling=standin_model.info.default_pooling,
    )
    row = dict(content.provenance.rows())["projection"]
    assert "fitted on a sample of 25" in row and "above 30" in row, row
    # The very layout project() gives for the same sample rule, called independently.
    ref = project(
        emb, method="umap", sample_size=25, seed=policy.DEFAULT_SEED, cache="off",
        n_neighbors=policy.UMAP_N_NEIGHBORS, min_dist=policy.UMAP_MIN_DIST,
    )
    assert ref.sample_size == 25
    np.testing.assert_allclose(content.coords, ref.coords, atol=1e-5)
    # The graph is then only as wide as the tables need (UMAP searches its sample's own).
    assert content.neighbor_indices.shape == (n, policy.NEIGHBORS_SHOWN)
    assert "also UMAP's" not in dict(content.provenance.rows())["neighbours"]


def test_fewer_neighbours_stored_above_the_entry_budget(standin_model, monkeypatch):
    """The 10^6-sentence path (views.policy.neighbors_stored), reached by a small budget."""
    from smallbert_viz.analysis import nearest_neighbors
    from smallbert_viz.reporting.render import _neighbors_text

    texts, labels = corpus_with_traps(16)  # 20 sentences
    n = len(texts)
    monkeypatch.setattr(policy, "NEIGHBOR_ENTRIES_MAX", 7 * n)  # 7 per sentence fit
    assert policy.neighbors_stored(n) == 7
    assert policy.neighbors_stored(10 * n) == policy.NEIGHBORS_STORED_MIN
    emb = standin_model.embed(texts)
    content = build_mod.build_content(
        texts, labels, model=standin_model, embeddings=emb, provenance="test", attention_for=[0],
        pooling=standin_model.info.default_pooling,
    )
    ref = nearest_neighbors(emb, k=policy.NEIGHBORS_SHOWN, metric="cosine", method="exact")
    assert content.neighbor_indices.shape == (n, 7)
    np.testing.assert_array_equal(content.neighbor_indices, ref.indices[:, :7])
    np.testing.assert_allclose(content.neighbor_scores, ref.scores[:, :7], atol=1e-6)
    # Trust still compares TRUST_K neighbours: only the page stores fewer.
    assert f"{policy.TRUST_K} nearest" in content.sections["trust"]
    assert "the page stores 7 per sentence" in dict(content.provenance.rows())["neighbours"]
    assert "each sentence's 7 nearest neighbours" in _neighbors_text(content)


def test_neighbors_stored_default_budget():
    assert policy.neighbors_stored(100_000) == policy.NEIGHBORS_SHOWN
    assert policy.neighbors_stored(500_000) == policy.NEIGHBORS_SHOWN
    assert policy.neighbors_stored(1_000_000) == 5


def test_cut_sentences_are_counted_not_warned_in_any_thread(standin_model):
    # The long sentence is embedded in the main thread, and again in the worker thread for
    # the layer analysis and the explained pair (both pick it here); the summary counts it.
    import warnings

    from smallbert_viz.corpus import sample_corpus

    from .conftest import LONG

    corpus = sample_corpus()
    pairs = [(t, lab) for t, lab in zip(corpus.texts, corpus.labels, strict=True)
             if lab in ("cooking", "football")][:23]  # fmt: skip
    texts = [LONG] + [t for t, _ in pairs]
    labels = ["cooking"] + [lab for _, lab in pairs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        content = build_mod.build_content(texts, labels, model=standin_model, pair=(0, 1))
    assert content.summary.truncated == 1
    assert content.pair[:2] == (0, 1)
    assert content.layers_skipped is None  # the layer analysis ran
    assert [str(w.message) for w in caught] == []
    # Outside the report the same calls warn as before.
    with pytest.warns(UserWarning, match="1 of 2 texts were longer than max_length=128"):
        standin_model.layer_embeddings([LONG, "short"], "mean")
