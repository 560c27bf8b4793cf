"""Shared inputs of the widget tests: a small labelled corpus with a hostile sentence."""

from __future__ import annotations

import numpy as np
import pytest

from .events import EVIL


@pytest.fixture(scope="session")
def corpus40():
    """40 sentences of the sample corpus, every label represented, plus one hostile one."""
    from smallbert_viz.corpus import sample_corpus

    corpus = sample_corpus()
    step = max(1, len(corpus) // 39)
    texts = corpus.texts[::step][:39] + [EVIL + " and 50% off $5"]
    labels = corpus.labels[::step][:39] + [EVIL]
    assert len(set(labels)) >= 4
    return texts, labels


@pytest.fixture(scope="session")
def mean_embeddings(standin_model, corpus40):
    """Mean-pooled stand-in embeddings of corpus40, computed once, float32 (40, 128)."""
    return np.asarray(standin_model.embed(corpus40[0], pooling="mean"), dtype=np.float32)
