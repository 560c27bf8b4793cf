"""Numpy analyses of embeddings: similarity, neighbours, token contributions, projections.

No plotting and no TensorFlow here; umap-learn and scipy are imported inside the functions
that need them.
"""

from smallbert_viz.analysis.clusters import cluster_labels
from smallbert_viz.analysis.contributions import TokenContributions, token_contributions
from smallbert_viz.analysis.neighbors import (
    Neighbors,
    most_similar_pair,
    nearest_neighbors,
    neighbor_preservation,
    query_neighbors,
)
from smallbert_viz.analysis.projection import (
    Projection,
    clear_projection_cache,
    default_method,
    project,
)
from smallbert_viz.analysis.similarity import SimilarityMatrix, cluster_order, similarity_matrix

__all__ = [
    "Neighbors",
    "Projection",
    "SimilarityMatrix",
    "TokenContributions",
    "clear_projection_cache",
    "cluster_labels",
    "cluster_order",
    "default_method",
    "most_similar_pair",
    "nearest_neighbors",
    "neighbor_preservation",
    "project",
    "query_neighbors",
    "similarity_matrix",
    "token_contributions",
]
