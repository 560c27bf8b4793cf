"""Faithfulness of explain_pair on the real all-MiniLM-L6-v2 (paraphrase pairs).

Deleting the two words of text A with the largest attributions (the matrix summed over text B,
wordpieces merged into words) must lower the pair's similarity more than deleting two random
words (mean of 5 seeded draws) in at least 70% of the pairs, for cls and for mean pooling.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

PARAPHRASES = [
    ("The committee approved the new budget on Tuesday.", "On Tuesday the panel passed the new budget."),
    ("A young boy is riding a red bicycle down the hill.", "A child rides a red bike downhill."),
    ("The company reported record profits this quarter.", "This quarter the firm posted its highest earnings ever."),
    ("Heavy rain caused flooding in several villages.", "Several villages were flooded after torrential rain."),
    ("She forgot her umbrella at the train station.", "She left her umbrella behind at the railway station."),
    ("The doctor advised him to stop smoking immediately.", "His physician told him to quit smoking right away."),
    ("Scientists discovered a new species of frog in the rainforest.", "A previously unknown frog species was found in the jungle."),
    ("The museum will be closed for renovation until spring.", "Renovation work keeps the museum shut until spring."),
    ("He cooked pasta with tomato sauce for dinner.", "For dinner he made spaghetti in tomato sauce."),
    ("The flight was delayed because of a technical problem.", "A technical fault delayed the plane's departure."),
    ("Students protested against the rise in tuition fees.", "Students demonstrated against higher tuition costs."),
    ("The old bridge collapsed during the storm last night.", "Last night's storm brought down the old bridge."),
    ("My grandmother grows tomatoes in her garden.", "My grandma cultivates tomatoes in her backyard."),
    ("The police arrested two suspects after the robbery.", "Two suspects were detained by police following the robbery."),
    ("The concert was cancelled due to low ticket sales.", "Poor ticket sales led to the concert's cancellation."),
    ("The cat is sleeping on the warm windowsill.", "The kitten naps on the sunny window ledge."),
    ("Prices of fresh vegetables have risen sharply this winter.", "Fresh vegetable prices climbed steeply this winter."),
    ("The team won the championship after a tense final match.", "After a nerve-racking final, the team took the title."),
    ("The library offers free computer classes for seniors.", "Older adults can take free computer courses at the library."),
    ("He apologized for arriving late to the meeting.", "He said sorry for being late to the meeting."),
    ("The volcano erupted and covered the town in ash.", "Ash blanketed the town when the volcano erupted."),
    ("The new phone has a much better camera than the old one.", "The camera on the new phone is far superior to the previous model's."),
]
DRAWS = 5
SHARE = 0.7


def words_of(tokens, scores):
    """Merge wordpieces into words: (text, attribution) per word, [CLS]/[SEP] dropped."""
    words = []
    for token, score in zip(tokens[1:-1], scores[1:-1]):
        if token.startswith("##") and words:
            words[-1][0] += token[2:]
            words[-1][1] += score
        else:
            words.append([token, float(score)])
    return words


def similarity(model, a, b, pooling):
    u, v = model.embed([a, b], pooling=pooling).astype(np.float64)
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def without(words, drop):
    return " ".join(w for k, (w, _) in enumerate(words) if k not in drop)


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_top_attributed_words_matter_more_than_random_ones(minilm_model, pooling):
    from smallbert_viz.explain import explain_pair

    wins = 0
    for n, (a, b) in enumerate(PARAPHRASES):
        # Fixed steps keep the test short; faithfulness needs a good ranking, not 1e-3 sums.
        e = explain_pair(a, b, model=minilm_model, pooling=pooling, steps=16)
        words = words_of(e.tokens_a, e.matrix.sum(axis=1, dtype=np.float64))
        candidates = [k for k, (w, _) in enumerate(words) if any(c.isalnum() for c in w)]
        top = sorted(candidates, key=lambda k: words[k][1], reverse=True)[:2]
        rng = np.random.default_rng(n)
        randoms = [set(rng.choice(candidates, 2, replace=False).tolist()) for _ in range(DRAWS)]
        texts = [without(words, set(top))] + [without(words, d) for d in randoms]
        base = similarity(minilm_model, " ".join(w for w, _ in words), b, pooling)
        u = minilm_model.embed([*texts, b], pooling=pooling).astype(np.float64)
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        sims = u[:-1] @ u[-1]
        drop_top, drop_random = base - sims[0], float(np.mean(base - sims[1:]))
        wins += drop_top > drop_random
    print(f"{pooling}: top-2 deletion beat random in {wins} of {len(PARAPHRASES)} pairs")
    assert len(PARAPHRASES) >= 20
    assert wins >= SHARE * len(PARAPHRASES), f"{wins} of {len(PARAPHRASES)} pairs"
