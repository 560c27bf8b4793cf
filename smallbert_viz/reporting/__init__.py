"""Standalone, offline HTML reports: one file with every view, linked, and its provenance.

``report(texts, labels=None, *, model=None, path="report.html", ...) -> Path`` embeds the texts,
computes the analyses (similarity, cluster order, neighbours, UMAP, attention for a few
sentences, one pair's token contributions), builds the figures with ``smallbert_viz.figures``
and writes a single HTML file: plotly.js inlined once, the page's own JavaScript and CSS read
from ``static/`` at build time, every figure and table as JSON data. The file makes no network
request and opens by double-click.

The package is called ``reporting`` (not ``report``) so that the function ``report`` can be
re-exported as ``smallbert_viz.report`` without clashing with a subpackage of that name.
"""

from smallbert_viz.reporting.build import build_content, report
from smallbert_viz.reporting.content import ReportContent

__all__ = ["ReportContent", "build_content", "report"]
