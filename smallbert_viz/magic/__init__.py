"""The ``%embed`` / ``%%embed`` IPython magic: a compact view of a few sentences.

::

    %load_ext smallbert_viz
    %embed "A cat sat on the mat." "A dog lay on the rug." "Stocks fell sharply."
    %embed {sentences} --pooling mean -o res          # a Python list (or any sequence of str)
    %%embed --view similarity -o res
    animals<TAB>A cat sat on the mat.
    finance<TAB>Stocks fell sharply.

Shows what the report and the explorers show for the same sentences (the views layer,
:mod:`smallbert_viz.views`): the clustered similarity heatmap, the attention of the first
sentence, from ``PROJECTION_MIN_TEXTS`` sentences on a 2-D projection (PCA below 10
sentences, UMAP from 10, seeded), and why the most similar pair matches, token by token. Returns an :class:`EmbedResult` (``-o NAME`` also stores it).

* :mod:`~smallbert_viz.magic.parsing` -- reading the line and the cell (pure functions);
* :mod:`~smallbert_viz.magic.display` -- showing figures live and in exports;
* :mod:`~smallbert_viz.magic.magics` -- the ``Magics`` class;
* :mod:`~smallbert_viz.magic.result` -- :class:`EmbedResult`.
"""

from __future__ import annotations

from typing import Any

from smallbert_viz._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {"EmbedMagics": "smallbert_viz.magic.magics", "EmbedResult": "smallbert_viz.magic.result"},
    also=["load_ipython_extension"],
)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%embed`` / ``%%embed`` (called by ``%load_ext smallbert_viz``)."""
    from smallbert_viz.magic.magics import EmbedMagics

    ipython.register_magics(EmbedMagics)
