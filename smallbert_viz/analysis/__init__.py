"""Numpy analyses of embeddings: similarity, neighbours, token contributions, projections.

No plotting and no TensorFlow here; umap-learn and scipy are imported inside the functions
that need them.
"""

from smallbert_viz.analysis.clusters import cluster_labels
from smallbert_viz.analysis.contributions import TokenContributions, token_contributions
from smallbert_viz.analysis.duplicates import NearDuplicates, near_duplicates
from smallbert_viz.analysis.keywords import cluster_keywords, keyword_table
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
from smallbert_viz.analysis.representation import (
    cka_matrix,
    knn_accuracy,
    linear_cka,
    neighbor_overlap,
    procrustes_align,
)
from smallbert_viz.analysis.similarity import SimilarityMatrix, cluster_order, similarity_matrix
from smallbert_viz.analysis.trust import projection_trust

__all__ = [
    "NearDuplicates",
    "Neighbors",
    "Projection",
    "SimilarityMatrix",
    "TokenContributions",
    "clear_projection_cache",
    "cka_matrix",
    "cluster_keywords",
    "cluster_labels",
    "cluster_order",
    "default_method",
    "keyword_table",
    "knn_accuracy",
    "linear_cka",
    "most_similar_pair",
    "near_duplicates",
    "nearest_neighbors",
    "neighbor_overlap",
    "neighbor_preservation",
    "procrustes_align",
    "project",
    "projection_trust",
    "query_neighbors",
    "similarity_matrix",
    "token_contributions",
]
