"""The views layer: texts, labels, embeddings and a model -> the figures every view shows.

One policy for every view (the ``%embed`` magic, the report, the explorers, the CLI), so that
the same sentences give the same pictures wherever they are looked at:

* :mod:`~smallbert_viz.views.policy` -- the defaults: seed, heatmap sample size, projection
  rule, attention ``max_length``, grid/heatmap cut-over, titles;
* :mod:`~smallbert_viz.views.inputs` -- ``model=`` / ``embeddings=`` / ``texts`` / ``labels``
  checked once and turned into a :class:`~smallbert_viz.views.inputs.ViewCorpus`;
* :mod:`~smallbert_viz.views.similarity`, :mod:`~smallbert_viz.views.projection`,
  :mod:`~smallbert_viz.views.attention`, :mod:`~smallbert_viz.views.pair` -- analyses composed
  with figure builders.

Views compose; they compute nothing an analysis module owns. Importing this package is cheap
(no TensorFlow, plotly or umap until a function runs).
"""
