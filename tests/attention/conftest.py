"""Models for the attention tests: stand-ins of several sizes and the converted MiniLM."""

from __future__ import annotations

import pytest

#: (num_layers, hidden_size, num_heads): the default size, two more TF Hub sizes, and an
#: unusual head count (5 heads of size 24) that no TF Hub small BERT has.
STANDIN_SIZES = {
    "L-2_H-128_A-2": (2, 128, 2),
    "L-4_H-256_A-4": (4, 256, 4),
    "L-8_H-128_A-2": (8, 128, 2),
    "L-2_H-120_A-5": (2, 120, 5),
}
MODEL_IDS = [*STANDIN_SIZES, "all-MiniLM-L6-v2"]


@pytest.fixture(scope="session")
def attention_models(request, standin_factory):
    """Load (once per session) a model by id: a stand-in size or 'all-MiniLM-L6-v2'."""
    from smallbert_viz import load_model

    loaded = {}

    def get(model_id: str):
        if model_id not in loaded:
            if model_id == "all-MiniLM-L6-v2":
                loaded[model_id] = request.getfixturevalue("minilm_model")
            elif model_id == "L-8_H-128_A-2":
                loaded[model_id] = request.getfixturevalue("standin_model")
            else:
                encoder, pre = standin_factory(*STANDIN_SIZES[model_id])
                loaded[model_id] = load_model(encoder, preprocessor=pre)
        return loaded[model_id]

    return get


@pytest.fixture(params=MODEL_IDS)
def any_model(request, attention_models):
    """Each stand-in size and the converted all-MiniLM-L6-v2 in turn."""
    return attention_models(request.param)
