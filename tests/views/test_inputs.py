"""What every view accepts: model=, embeddings=, texts and labels, checked in one place."""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.provenance import Provenance
from smallbert_viz.views.inputs import resolve_corpus, resolve_model


def test_model_accepts_a_model_a_path_and_refuses_other_types(standin_model, standin_dirs):
    assert resolve_model(standin_model, "view") is standin_model
    encoder, pre = standin_dirs
    with pytest.raises(TypeError, match=r"'model' parameter of view must be a BertModel.*Got int"):
        resolve_model(3, "view")
    # A path goes to load_model (here without its preprocessor: a clear load error).
    from smallbert_viz.errors import ModelLoadError

    with pytest.raises((ModelLoadError, ValueError)):
        resolve_model(str(encoder) + "-missing", "view")


def test_embeddings_without_a_model_load_nothing(monkeypatch):
    import smallbert_viz.models.loader as loader

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded although embeddings were given")

    monkeypatch.setattr(loader, "load_model", refuse)
    x = np.random.default_rng(0).normal(size=(3, 8))
    corpus = resolve_corpus(
        ["a", "b", "c"], embeddings=x, provenance="my vectors", owner="view"
    )
    assert corpus.model is None and corpus.spec is None
    assert corpus.provenance == Provenance.from_text("my vectors")
    assert corpus.embeddings.dtype == np.float32 and not corpus.embeddings.flags.writeable
    with pytest.raises(ValueError, match="name where they came from with provenance="):
        resolve_corpus(["a", "b", "c"], embeddings=x, owner="view")


def test_embedding_spec_derives_the_provenance(standin_model):
    corpus = resolve_corpus(
        ["one sentence", "another one"], model=standin_model, pooling="mean", owner="view"
    )
    assert corpus.spec.pooling == "mean" and corpus.spec.max_length == 128
    assert corpus.provenance == standin_model.provenance("mean")
    np.testing.assert_allclose(
        corpus.embeddings, standin_model.embed(corpus.texts, pooling="mean"), atol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"texts": "one"}, TypeError, "single str"),
        ({"texts": 5}, TypeError, "must be a list of str"),
        ({"texts": []}, ValueError, "at least 1 sentence"),
        ({"texts": ["a", 3]}, TypeError, r"texts\[1\] is int"),
        ({"labels": ["x"]}, ValueError, "one entry per text"),
        ({"normalize": "yes"}, TypeError, "'normalize' parameter of view"),
        ({"provenance": 7}, TypeError, "'provenance' parameter of view"),
        ({"embeddings": np.zeros((2, 0))}, ValueError, "must have shape"),
    ],
)
def test_bad_inputs_are_named(kwargs, error, match):
    args = {"texts": ["a b", "c d"], "embeddings": np.ones((2, 4)), "provenance": "p"}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        resolve_corpus(args.pop("texts"), owner="view", **args)


def test_figure_builders_take_a_provenance_or_a_str(standin_model):
    from smallbert_viz.figures import projection_scatter

    prov = standin_model.provenance("mean").with_extra(seed=42)
    coords = np.arange(6, dtype=np.float32).reshape(3, 2)
    a = projection_scatter(coords, ["x", "y", "z"], provenance=prov)
    b = projection_scatter(coords, ["x", "y", "z"], provenance=prov.describe())
    assert a.layout.title.subtitle.text == b.layout.title.subtitle.text
    assert "seed: 42" in a.layout.title.subtitle.text
    with pytest.raises(TypeError, match="must be a Provenance or a str"):
        projection_scatter(coords, ["x", "y", "z"], provenance=3)
