"""cluster_keywords (c-TF-IDF) against a plain-Python computation; keyword_table centres."""

import json
import math
import re
from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from smallbert_viz.analysis.keywords import cluster_keywords, keyword_table

TOPICS = {
    "pets": "cat dog kitten puppy purr bark leash vet".split(),
    "money": "stock bond market price bank loan interest trade".split(),
    "sport": "goal match team coach score league player ball".split(),
}
COMMON = "the a of and to is it was very really some new old good".split()


def make_corpus(rng, n=300):
    texts, groups = [], []
    names = list(TOPICS)
    for _ in range(n):
        g = names[rng.integers(0, 3)]
        words = list(rng.choice(TOPICS[g], size=rng.integers(1, 5)))
        words += list(rng.choice(COMMON, size=rng.integers(2, 8)))
        words += list(rng.choice(sum(TOPICS.values(), []), size=rng.integers(0, 2)))  # noise
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + ".")
        groups.append(g)
    return texts, groups


def reference_keywords(texts, groups, top, stop_words):
    """c-TF-IDF from its definition, with Counter and floats (no sparse matrices)."""
    counts = {}
    for text, g in zip(texts, groups):
        words = re.findall(r"(?u)\b\w\w+\b", text.lower())
        counts.setdefault(g, Counter()).update(w for w in words if w not in stop_words)
    total = Counter()
    for c in counts.values():
        total.update(c)
    mean_words = sum(sum(c.values()) for c in counts.values()) / len(counts)
    out = {}
    for g, c in counts.items():
        size = sum(c.values())
        score = {w: (n / size) * math.log(1 + mean_words / total[w]) for w, n in c.items()}
        out[g] = sorted(score, key=lambda w: (-score[w], w))[:top]
    return out


@pytest.mark.parametrize("top", [1, 5, 12])
def test_matches_definition(top):
    texts, groups = make_corpus(np.random.default_rng(0))
    got = cluster_keywords(texts, groups, top=top)
    assert got == reference_keywords(texts, groups, top, ENGLISH_STOP_WORDS)
    assert list(got) == list(dict.fromkeys(groups))  # first appearance order


def test_each_topic_gets_its_own_words():
    texts, groups = make_corpus(np.random.default_rng(1))
    got = cluster_keywords(texts, groups, top=5)
    for g, words in got.items():
        assert set(words) <= set(TOPICS[g]), (g, words)


def test_stop_words_none_or_a_custom_list():
    texts = ["The the THE cat", "the dog", "The bird"]
    groups = ["a", "b", "b"]
    assert "the" not in cluster_keywords(texts, groups)["a"]
    assert cluster_keywords(texts, groups, stop_words=None)["a"] == ["the", "cat"]  # 3x "the"
    assert cluster_keywords(texts, groups, stop_words=["CAT"])["a"] == ["the"]
    texts, groups = make_corpus(np.random.default_rng(2), n=120)
    assert cluster_keywords(texts, groups, stop_words=None, top=3) == reference_keywords(
        texts, groups, 3, frozenset()
    )


def test_numpy_groups_become_python_keys_and_empty_groups_get_no_words():
    texts = ["alpha beta", "gamma delta", "the of", "beta beta"]
    got = cluster_keywords(texts, np.array([3, 1, 2, 3]))
    assert list(got) == [3, 1, 2] and all(type(k) is int for k in got)
    assert got[2] == []  # stop words only
    assert got[3] == ["beta", "alpha"]
    assert cluster_keywords(["the a", "of"], ["x", "y"]) == {"x": [], "y": []}


def test_keyword_table_rows_have_median_centres_sizes_and_words():
    rng = np.random.default_rng(5)
    coords = rng.normal(size=(40, 2))
    groups = np.array(["b", "a"] * 20)
    groups[:3] = "c"
    table = keyword_table(coords, groups, {"a": ["x", "y"], "b": ["z"]})
    assert [row["group"] for row in table] == ["c", "a", "b"]
    for row in table:
        members = coords[groups == row["group"]]
        assert row["size"] == len(members)
        assert [row["x"], row["y"]] == pytest.approx(np.median(members, axis=0).tolist())
    assert [row["keywords"] for row in table] == [[], ["x", "y"], ["z"]]
    json.dumps(table)  # plain Python values
    table3 = keyword_table(rng.normal(size=(4, 3)), [0, 0, 1, 1], {0: ["w"]})
    assert set(table3[0]) == {"group", "x", "y", "z", "size", "keywords"}


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: cluster_keywords(["a b"], ["g", "h"]), ValueError, "'texts'.*one entry per"),
        (lambda: cluster_keywords("cat dog", ["g"]), TypeError, "'texts'.*single str"),
        (lambda: cluster_keywords(["cat"], "g"), TypeError, "'groups'.*sequence"),
        (lambda: cluster_keywords(["cat"], [["g"]]), TypeError, "hashable.*position 0"),
        (lambda: cluster_keywords([], []), ValueError, "at least one"),
        (lambda: cluster_keywords(["cat"], ["g"], top=0), ValueError, r"'top'.*\[1, inf\]"),
        (lambda: cluster_keywords(["cat"], ["g"], stop_words="french"), ValueError, "'english'"),
        (lambda: cluster_keywords(["cat"], ["g"], stop_words=[1]), TypeError, "'stop_words'"),
        (lambda: keyword_table(np.zeros((3, 2)), [1, 2], {}), ValueError, "one entry per row"),
        (lambda: keyword_table(np.zeros((2, 5)), [1, 2], {}), ValueError, "2 or 3 columns"),
        (lambda: keyword_table(np.zeros((2, 2)), [1, 2], [["w"]]), TypeError, "dict"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
