"""cluster_labels: spherical k-means ids for colouring unlabelled corpora."""

import numpy as np
import pytest


def test_cluster_labels_are_spherical_kmeans_numbered_by_size():
    from sklearn.cluster import MiniBatchKMeans

    from smallbert_viz.analysis import cluster_labels

    rng = np.random.default_rng(0)
    centers = rng.standard_normal((3, 16)) * 5
    x = np.concatenate([c + rng.standard_normal((n, 16)) for c, n in zip(centers, (50, 30, 10))])
    labels = cluster_labels(x, n_clusters=3, seed=0)
    assert labels.shape == (90,)
    assert list(np.unique(labels[:50])) == ["cluster 1"]
    assert list(np.unique(labels[50:80])) == ["cluster 2"]
    assert list(np.unique(labels[80:])) == ["cluster 3"]
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    ids = MiniBatchKMeans(n_clusters=3, random_state=0, n_init=3, batch_size=4096).fit_predict(unit)
    # same partition as sklearn's own spherical k-means (up to the numbering)
    pairs = {(a, b) for a, b in zip(labels, ids)}
    assert len(pairs) == 3
    with pytest.raises(ValueError, match="n_clusters"):
        cluster_labels(x, n_clusters=0)
