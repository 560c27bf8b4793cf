"""Long analysis steps say what they compute: neighbours and projections print stage lines."""

from __future__ import annotations

import numpy as np

from smallbert_viz.analysis import nearest_neighbors, project


def test_neighbours_and_projection_print_stage_lines_when_asked(capsys):
    x = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    nearest_neighbors(x, k=5, progress=True)
    project(x, method="pca", progress=True, cache="off")
    err = capsys.readouterr().err
    assert "finding the 5 nearest neighbours of 60 rows (exact)" in err
    assert "projecting 60 points with PCA" in err and "done in" in err


def test_small_inputs_are_quiet_by_default(capsys):
    x = np.random.default_rng(1).normal(size=(40, 8)).astype(np.float32)
    nearest_neighbors(x, k=5)
    project(x, method="pca", cache="off")
    assert capsys.readouterr().err == ""
