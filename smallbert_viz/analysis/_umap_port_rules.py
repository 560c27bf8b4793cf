"""Where :mod:`._umap_port` stands for umap-learn: constants only, importable without Numba (the
caller decides before the neighbour graph is found whether to import the port or umap-learn)."""

from __future__ import annotations

#: umap-learn's version the port was copied from (``project()`` uses it only with that version).
UMAP_VERSION = "0.5.12"
#: How ``project()``'s provenance spells an absent umap-learn (the port needs none).
UMAP_ABSENT = "not installed"
#: Below this many rows umap-learn ignores a precomputed graph and computes every pairwise
#: distance itself (``UMAP._small_data``), so its layout differs from one on the graph.
PRECOMPUTED_MIN_ROWS = 4096
#: The initialisations the port holds (a spectral one of a connected graph only).
INITS = ("spectral", "random")
#: ``UMAP(metric=...)``'s disconnection distance: neighbours this far apart are dropped.
DISCONNECTION_DISTANCES = {"cosine": 2.0}
