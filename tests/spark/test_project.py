"""smallbert_viz.spark.project: x/y for every row; neighbours kept about as well as a full fit."""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.spark import project

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")

N, H, CLUSTERS = 1500, 24, 6


@pytest.fixture(scope="module")
def blobs():
    """Labelled clusters of different spreads in 24-D (an independent structure to recover)."""
    from sklearn.datasets import make_blobs

    x, labels = make_blobs(
        n_samples=N,
        n_features=H,
        centers=CLUSTERS,
        cluster_std=np.linspace(0.5, 2.0, CLUSTERS),
        random_state=3,
    )
    return x.astype(np.float32), labels


@pytest.fixture(scope="module")
def projected(spark, blobs):
    x, labels = blobs
    rows = [(i, x[i].tolist()) for i in range(N)] + [(N, None), (N + 1, None)]
    df = spark.createDataFrame(rows, "id long, embedding array<float>").repartition(3)
    out = project(df, sample_size=400, n_neighbors=15, seed=42, metric="euclidean")
    return out, out.collect()


def test_every_row_gets_x_and_y(projected):
    out, rows = projected
    assert out.columns == ["id", "embedding", "x", "y"]
    assert dict(out.dtypes)["x"] == "double"
    assert len(rows) == N + 2
    placed = [r for r in rows if r["id"] < N]
    assert all(np.isfinite(r["x"]) and np.isfinite(r["y"]) for r in placed)
    assert all(r["x"] is None and r["y"] is None for r in rows if r["id"] >= N)


def test_neighbours_kept_about_as_well_as_umap_on_all_points(projected, blobs):
    import umap
    from sklearn.manifold import trustworthiness
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    _, rows = projected
    x, labels = blobs
    coords = np.zeros((N, 2))
    for r in rows:
        if r["id"] < N:
            coords[r["id"]] = (r["x"], r["y"])
    # Reference: umap-learn fitted on every point (what the sample approximates).
    full = umap.UMAP(n_neighbors=15, random_state=42, n_jobs=1).fit_transform(x)
    trust = trustworthiness(x, coords, n_neighbors=10)
    trust_full = trustworthiness(x, full, n_neighbors=10)
    assert trust > 0.85 and trust >= trust_full - 0.05, (trust, trust_full)
    # Clusters stay apart: a 5-NN classifier on x/y recovers the cluster of (almost) every row.
    knn = cross_val_score(KNeighborsClassifier(5), coords, labels, cv=3).mean()
    assert knn > 0.97, knn
    # Not trivially true: a random layout keeps neither.
    rng = np.random.default_rng(0).normal(size=(N, 2))
    assert trustworthiness(x, rng, n_neighbors=10) < 0.6


def test_bad_input_is_refused_before_any_job(spark):
    df = spark.createDataFrame([(1, "a")], "id long, text string")
    with pytest.raises(TypeError, match="type string; project needs array<float>"):
        project(df, "text")
    with pytest.raises(ValueError, match="'nope' is not in the DataFrame"):
        project(df, "nope")
    with pytest.raises(ValueError, match="'sample_size' parameter"):
        project(df, "text", sample_size=2)
