"""near_duplicates: every pair above the threshold, against a brute-force numpy search."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

import smallbert_viz.analysis.duplicates as duplicates
from smallbert_viz.analysis.duplicates import NearDuplicates, near_duplicates, word_jaccard


def brute_force(x, threshold):
    unit = x.astype(np.float64) / np.linalg.norm(x, axis=1, keepdims=True)
    sims = unit @ unit.T
    i, j = np.nonzero(np.triu(sims >= threshold, k=1))
    return {(int(a), int(b)): float(sims[a, b]) for a, b in zip(i, j)}, sims


def planted(rng, sizes, dim=48, spread=0.05, n_background=300):
    """Background sentences plus groups of near copies of one vector (the given sizes)."""
    parts = [rng.normal(size=(n_background, dim))]
    for size in sizes:
        centre = rng.normal(size=dim)
        parts.append(centre + spread * rng.normal(size=(size, dim)))
    x = np.vstack(parts).astype(np.float32)
    return x[rng.permutation(len(x))]


def assert_same_as_brute_force(result, x, threshold):
    expected, sims = brute_force(x, threshold)
    # No pair sits within rounding of the threshold, or float32 vs float64 could disagree.
    assert not np.any(np.abs(sims[np.triu_indices(len(x), 1)] - threshold) < 1e-4)
    got = {(int(i), int(j)): float(s) for (i, j), s in zip(result.pairs, result.scores)}
    assert got.keys() == expected.keys()
    np.testing.assert_allclose([got[p] for p in expected], list(expected.values()), atol=1e-5)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_groups_larger_than_k_are_found_whole(k):
    rng = np.random.default_rng(0)
    x = planted(rng, sizes=[2, 2, 3, 5, 12, 30])
    texts = [f"sentence {i}" for i in range(len(x))]
    result = near_duplicates(x, texts, threshold=0.95, k=k, method="exact")
    assert isinstance(result, NearDuplicates) and result.method == "exact"
    assert len(result) == 1 + 1 + 3 + 10 + 66 + 435
    assert_same_as_brute_force(result, x, 0.95)


def test_a_given_neighbour_graph_replaces_the_first_search(monkeypatch):
    from smallbert_viz.analysis import nearest_neighbors

    rng = np.random.default_rng(1)
    x = planted(rng, sizes=[2, 3, 12, 30])
    texts = [f"sentence {i}" for i in range(len(x))]
    graph = nearest_neighbors(x, k=4, metric="cosine", method="exact")
    searched = []
    real = duplicates.nearest_neighbors
    monkeypatch.setattr(
        duplicates, "nearest_neighbors", lambda q, **kw: searched.append(len(q)) or real(q, **kw)
    )
    result = near_duplicates(x, texts, threshold=0.95, neighbors=graph)
    assert result.k == 4
    assert len(x) not in searched  # only saturated rows were searched again
    assert_same_as_brute_force(result, x, 0.95)
    with pytest.raises(ValueError, match="cosine Neighbors of all"):
        near_duplicates(x[:-1], texts[:-1], neighbors=graph)
    euclid = nearest_neighbors(x, k=4, metric="euclidean", method="exact")
    with pytest.raises(ValueError, match="cosine Neighbors of all"):
        near_duplicates(x, texts, neighbors=euclid)


def test_thirty_copies_of_one_sentence_give_all_435_pairs():
    rng = np.random.default_rng(1)
    x = np.vstack([rng.normal(size=(100, 16)), np.repeat(rng.normal(size=(1, 16)), 30, axis=0)])
    texts = [f"other {i}" for i in range(100)] + ["The same sentence."] * 30
    result = near_duplicates(x, texts, threshold=0.9, k=10, method="exact")
    assert len(result) == 435
    assert result.counts == {"lexical": 435, "semantic": 0}
    assert {tuple(p) for p in result.pairs} == {
        (i, j) for i in range(100, 130) for j in range(i + 1, 130)
    }
    np.testing.assert_allclose(result.scores, 1.0, atol=1e-6)


def split_group(rng, n_background=200, dim=64):
    """Two halves of 15 near copies: similarity ~0.999 inside a half, ~0.96 across.

    Each sentence's 10 nearest neighbours are all in its own half, so with k <= 10 the halves
    share no neighbour edge and only the search of saturated sentences joins them.
    """
    base = rng.normal(size=dim)
    base /= np.linalg.norm(base)
    offset = rng.normal(size=dim)
    offset -= offset @ base * base
    offset *= 0.2 / np.linalg.norm(offset)
    halves = [base + sign * offset for sign in (1, -1)]
    group = np.vstack([h + 0.005 * rng.normal(size=(15, dim)) for h in halves])
    x = np.vstack([rng.normal(size=(n_background, dim)), group]).astype(np.float32)
    knn = NearestNeighbors(n_neighbors=10, metric="cosine").fit(x).kneighbors()[1]
    first, second = knn[n_background : n_background + 15], knn[n_background + 15 :]
    assert not (first >= n_background + 15).any() and not (second < n_background + 15).any()
    return x


def test_a_group_split_into_tight_halves_keeps_its_cross_pairs():
    x = split_group(np.random.default_rng(2))
    texts = [f"t{i}" for i in range(len(x))]
    expected, _ = brute_force(x, 0.9)
    assert len(expected) == 435
    result = near_duplicates(x, texts, threshold=0.9, k=10, method="exact")
    assert_same_as_brute_force(result, x, 0.9)


def test_the_repeated_search_path_when_many_sentences_are_saturated(monkeypatch):
    # Above BRUTE_FORCE_MAX saturated sentences, they are searched again with 2k, 4k, ...
    monkeypatch.setattr(duplicates, "BRUTE_FORCE_MAX", 8)
    searched, search = [], duplicates.nearest_neighbors

    def spy(x, **kw):  # records each search, then runs the real one
        searched.append((len(x), kw["k"]))
        return search(x, **kw)

    monkeypatch.setattr(duplicates, "nearest_neighbors", spy)
    rng = np.random.default_rng(3)
    x = np.vstack([split_group(rng, n_background=150), planted(rng, [6, 9, 40], dim=64, n_background=0)])
    texts = [f"t{i}" for i in range(len(x))]
    result = near_duplicates(x, texts, threshold=0.9, k=2, method="exact")
    assert_same_as_brute_force(result, x, 0.9)
    assert [k for _, k in searched][:4] == [2, 4, 8, 16]  # then brute force or all neighbours


def test_identical_texts_with_distant_vectors_are_not_pairs():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 8))
    texts = ["same"] * 50
    result = near_duplicates(x, texts, threshold=0.99, k=5, method="exact")
    assert_same_as_brute_force(result, x, 0.99)


def test_kinds_follow_the_word_set_jaccard_rule():
    texts = [
        "The cat sat on the mat.",
        "the cat sat on the mat",  # same words: lexical
        "A feline was resting upon the rug.",  # different words: semantic
        "Stock prices fell sharply today.",
        "Stock prices fell very sharply today!",  # 5 of 6 words shared: 0.83, lexical
        "Stock prices fell.",  # 3 of 5: semantic at 0.8
    ]
    rng = np.random.default_rng(5)
    x = np.repeat(rng.normal(size=(2, 16)), 3, axis=0) + 1e-3 * rng.normal(size=(6, 16))
    result = near_duplicates(x, texts, threshold=0.9, k=2, method="exact")
    assert len(result) == 6
    def words(text):
        return set(text.lower().replace(".", "").replace("!", "").split())

    for (i, j), kind in zip(result.pairs, result.kinds):
        a, b = words(texts[i]), words(texts[j])
        expected = "lexical" if len(a & b) / len(a | b) >= 0.8 else "semantic"
        assert kind == expected, (texts[i], texts[j])
    assert result.counts == {"lexical": 2, "semantic": 4}
    loose = near_duplicates(x, texts, threshold=0.9, k=2, method="exact", jaccard=0.5)
    assert loose.counts["lexical"] == 4
    assert word_jaccard("", "!!") == 1.0 and word_jaccard("a", "") == 0.0


def test_rows_are_sorted_plain_tuples_and_columns_match():
    rng = np.random.default_rng(6)
    x = planted(rng, sizes=[3, 4], n_background=40)
    texts = [f"t{i}" for i in range(len(x))]
    result = near_duplicates(x, texts, threshold=0.95, k=3, method="exact")
    rows = result.rows
    assert len(rows) == len(result) == 9
    assert all(type(i) is int and type(j) is int and i < j for i, j, _, _ in rows)
    assert all(type(s) is float and kind == "semantic" for _, _, s, kind in rows)
    assert [s for _, _, s, _ in rows] == sorted((s for _, _, s, _ in rows), reverse=True)
    columns = result.to_columns()
    assert list(columns) == ["i", "j", "score", "kind"]
    assert list(zip(*(columns[c].tolist() for c in columns))) == [
        (i, j, pytest.approx(s), kind) for i, j, s, kind in rows
    ]
    none = near_duplicates(x, texts, threshold=0.9999, k=3, method="exact")
    assert len(none) == 0 and none.rows == [] and none.counts == {"lexical": 0, "semantic": 0}


@pytest.mark.slow  # the first approximate search in a session compiles pynndescent
def test_approximate_neighbours_find_nearly_all_pairs():
    rng = np.random.default_rng(7)
    x = planted(rng, sizes=[2] * 50 + [5] * 10 + [30] * 2, n_background=3000)
    texts = [f"t{i}" for i in range(len(x))]
    result = near_duplicates(x, texts, threshold=0.95, k=10, method="approximate")
    assert result.method == "approximate"
    expected, _ = brute_force(x, 0.95)
    got = {tuple(p) for p in result.pairs.tolist()}
    assert got <= expected.keys()  # every pair reported is real (scored exactly)
    assert len(got) / len(expected) >= 0.98


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda x, t: near_duplicates(x, t[:5]), ValueError, "'texts'.*one entry per row"),
        (lambda x, t: near_duplicates(x, t, threshold=1.5), ValueError, r"'threshold'.*\[-1"),
        (lambda x, t: near_duplicates(x, t, threshold="high"), TypeError, "'threshold'"),
        (lambda x, t: near_duplicates(x, t, k=20), ValueError, r"'k'.*\[1, 19\]"),
        (lambda x, t: near_duplicates(x, t, method="hnsw"), ValueError, "'method'"),
        (lambda x, t: near_duplicates(x, t, jaccard=-0.1), ValueError, "'jaccard'"),
        (lambda x, t: near_duplicates(x[:1], t[:1]), ValueError, "at least 2 rows"),
        (lambda x, t: near_duplicates(np.zeros((20, 4)), t), ValueError, "all-zero rows"),
    ],
)
def test_bad_input(call, exc, match):
    x = np.random.default_rng(8).normal(size=(20, 4))
    with pytest.raises(exc, match=match):
        call(x, [f"t{i}" for i in range(20)])
