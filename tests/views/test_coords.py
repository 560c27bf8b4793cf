"""coords= readers: every accepted form gives the same layout; bad forms say what to fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smallbert_viz.analysis import Projection
from smallbert_viz.views.coords import resolve_coords

TEXTS = ["a cat", "a dog", "<b>bold</b>"]
XY = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])


def test_array_dataframe_and_projection_agree():
    from_array = resolve_coords(XY, TEXTS, owner="t")
    frame = pd.DataFrame({"text": TEXTS, "x": XY[:, 0], "y": XY[:, 1], "label": [1, 2, 1]})
    from_frame = resolve_coords(frame, owner="t")
    given = Projection(coords=XY.astype(np.float32), method="umap", params={"seed": 1})
    from_projection = resolve_coords(given, TEXTS, owner="t")
    for layout in (from_array, from_frame, from_projection):
        np.testing.assert_array_equal(np.asarray(layout.projection), XY.astype(np.float32))
        assert layout.texts == TEXTS
    assert from_frame.labels == ["1", "2", "1"]
    assert from_array.labels is None
    assert from_projection.projection is given  # its own provenance is kept
    assert from_array.projection.method == "given"
    assert "Coordinates given for 3 points" in from_array.projection.describe()


def test_three_dimensional_frame_uses_z():
    frame = pd.DataFrame({"text": TEXTS, "x": [0, 1, 2], "y": [0, 1, 2], "z": [5, 6, 7]})
    assert resolve_coords(frame, owner="t").projection.n_components == 3


@pytest.mark.parametrize(
    ("coords", "texts", "message"),
    [
        (np.zeros((3, 4)), TEXTS, "shape (N, 2) or (N, 3)"),
        (np.zeros((2, 2)), TEXTS, "has 2 rows but there are 3 texts"),
        ([[0, 1], [np.nan, 1], [0, 0]], TEXTS, "NaN or infinite values (first: row 1)"),
        ("xy", TEXTS, "must be a Projection"),
        (XY, None, "without texts"),
        (pd.DataFrame({"x": [0], "y": [1]}), None, "without a 'text' column"),
        (pd.DataFrame({"text": ["a"], "x": [0]}), None, "Missing ['y']"),
    ],
)
def test_bad_coords_name_the_fix(coords, texts, message):
    with pytest.raises((TypeError, ValueError)) as err:
        resolve_coords(coords, texts, owner="report")
    assert message in str(err.value)
    assert "report" in str(err.value)


def test_embedding_column_is_read_like_spark_writes_it():
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    frame = pd.DataFrame(
        {"text": TEXTS, "x": XY[:, 0], "y": XY[:, 1], "embedding": [list(v) for v in vectors]}
    )
    layout = resolve_coords(frame, owner="t")
    np.testing.assert_array_equal(layout.embeddings, vectors)
    assert resolve_coords(XY, TEXTS, owner="t").embeddings is None
    frame.loc[1, "embedding"] = None
    with pytest.raises(ValueError, match="nulls are not allowed"):
        resolve_coords(frame, owner="t")
