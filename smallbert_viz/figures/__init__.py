"""Pure plotly figure builders: plain data in (numpy arrays, lists of str), ``go.Figure`` out.

They never display, never compute analyses and never import TensorFlow; plotly itself is imported
inside each builder, so importing this package is cheap.

Parameter names mean the same thing in every builder:

==================  ==========================================================================
``texts``           list of str, one sentence per row (shown escaped in hover / ticks)
``tokens``          list of str, one token per row/column of an attention or contribution map
``labels``          list of str, one group per row (e.g. a cluster)
``metric``          ``"cosine"`` or ``"dot"``: what a similarity number is
``provenance``      one line (``Provenance.describe()``) shown as the figure's subtitle
``title``           the figure title (each builder has a descriptive default)
==================  ==========================================================================

User text is always escaped (see ``smallbert_viz.figures._common.escape_text``): a sentence is
shown as the characters typed, never interpreted as HTML, a hover template or MathJax.
"""

from smallbert_viz.figures.attention import attention_grid, attention_heatmap
from smallbert_viz.figures.compare import comparison_scatter
from smallbert_viz.figures.duplicates import duplicates_table
from smallbert_viz.figures.explanation import explanation_heatmap
from smallbert_viz.figures.head_view import head_view
from smallbert_viz.figures.keywords import keyword_annotations, keyword_scatter
from smallbert_viz.figures.layers import cka_heatmap, layer_accuracy_chart
from smallbert_viz.figures.projection import projection_scatter
from smallbert_viz.figures.similarity import contribution_heatmap, similarity_heatmap
from smallbert_viz.figures.trust import trust_scatter

__all__ = [
    "attention_grid",
    "attention_heatmap",
    "cka_heatmap",
    "comparison_scatter",
    "contribution_heatmap",
    "duplicates_table",
    "explanation_heatmap",
    "head_view",
    "keyword_annotations",
    "keyword_scatter",
    "layer_accuracy_chart",
    "projection_scatter",
    "similarity_heatmap",
    "trust_scatter",
]
