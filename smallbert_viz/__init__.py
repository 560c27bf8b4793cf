"""smallbert-viz: see what a small BERT does with your sentences.

Light to import: TensorFlow, tensorflow_hub, plotly and umap load only when a model, a figure or
a projection is first needed. ``%load_ext smallbert_viz`` registers the ``%embed`` magic.
"""

from __future__ import annotations

from typing import Any

from smallbert_viz._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    # models and embeddings
    "load_model": "smallbert_viz.models.loader",
    "BertModel": "smallbert_viz.models.model",
    "EmbeddingSpec": "smallbert_viz.embedding_spec",
    "token_vectors": "smallbert_viz.embedding",
    "TokenVectors": "smallbert_viz.embedding",
    "embed_to_disk": "smallbert_viz.embed_to_disk",
    "EmbedToDiskResult": "smallbert_viz.embed_to_disk",
    "Provenance": "smallbert_viz.provenance",
    "ModelInfo": "smallbert_viz.provenance",
    # attention
    "Attention": "smallbert_viz.attention",
    "compute_attention": "smallbert_viz.attention",
    # analyses and their result types
    "project": "smallbert_viz.analysis",
    "Projection": "smallbert_viz.analysis",
    "similarity_matrix": "smallbert_viz.analysis",
    "SimilarityMatrix": "smallbert_viz.analysis",
    "cluster_order": "smallbert_viz.analysis",
    "cluster_labels": "smallbert_viz.analysis",
    "nearest_neighbors": "smallbert_viz.analysis",
    "query_neighbors": "smallbert_viz.analysis",
    "Neighbors": "smallbert_viz.analysis",
    "most_similar_pair": "smallbert_viz.analysis",
    "token_contributions": "smallbert_viz.analysis",
    "TokenContributions": "smallbert_viz.analysis",
    "projection_trust": "smallbert_viz.analysis",
    "cluster_keywords": "smallbert_viz.analysis",
    "near_duplicates": "smallbert_viz.analysis",
    "NearDuplicates": "smallbert_viz.analysis",
    # model-driven analyses
    "explain_pair": "smallbert_viz.explain",
    "PairExplanation": "smallbert_viz.explain",
    "layer_analysis": "smallbert_viz.explain",
    "LayerAnalysis": "smallbert_viz.explain",
    "compare": "smallbert_viz.explain",
    "ModelComparison": "smallbert_viz.explain",
    # figures
    "similarity_heatmap": "smallbert_viz.figures",
    "contribution_heatmap": "smallbert_viz.figures",
    "projection_scatter": "smallbert_viz.figures",
    "attention_grid": "smallbert_viz.figures",
    "attention_heatmap": "smallbert_viz.figures",
    "head_view": "smallbert_viz.figures",
    "explanation_heatmap": "smallbert_viz.figures",
    "trust_scatter": "smallbert_viz.figures",
    "keyword_scatter": "smallbert_viz.figures",
    "duplicates_table": "smallbert_viz.figures",
    "layer_accuracy_chart": "smallbert_viz.figures",
    "cka_heatmap": "smallbert_viz.figures",
    "comparison_scatter": "smallbert_viz.figures",
    # views
    "SimilarityExplorer": "smallbert_viz.widgets",
    "ProjectionExplorer": "smallbert_viz.widgets",
    "AttentionExplorer": "smallbert_viz.widgets",
    "Explorer": "smallbert_viz.widgets",
    "CompareExplorer": "smallbert_viz.widgets",
    "report": "smallbert_viz.reporting",
    "EmbedResult": "smallbert_viz.magic.result",
    "save": "smallbert_viz.views.export",
    "save_table": "smallbert_viz.views.export",
    # corpora
    "read_corpus": "smallbert_viz.corpus",
    "sample_corpus": "smallbert_viz.corpus",
    # errors
    "SmallBertVizError": "smallbert_viz.errors",
    "ModelLoadError": "smallbert_viz.errors",
    "ModelNotFoundError": "smallbert_viz.errors",
    "NotABertEncoderError": "smallbert_viz.errors",
    "AttentionMismatchError": "smallbert_viz.errors",
    "ResumeMismatchError": "smallbert_viz.embed_to_disk",
    "PrecisionMixError": "smallbert_viz.models.precision",
    "BrowserNotFoundError": "smallbert_viz.views.export",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, also=["load_ipython_extension"])


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext smallbert_viz``: register the ``%embed`` / ``%%embed`` magic."""
    from smallbert_viz.magic import load_ipython_extension as _load

    _load(ipython)
