"""A report built once per session with the stand-in model, and helpers to take it apart."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Would run script if any part of the page let user text through as HTML.
EVIL = "<img src=x onerror=alert(1)>"
#: Would end the JSON script element early if '</' were not escaped.
#: Its quotes must show as typed in hover text (plotly.js does not decode &quot;).
BREAKOUT = "</script><script>alert(\"2\")</script><!-- it's a comment opener"
LONG = " ".join(["supercalifragilistic"] * 60)  # well over 128 wordpieces

_JSON_BLOCK = re.compile(
    r'<script type="application/json" id="([^"]+)">(.*?)</script>', flags=re.DOTALL
)


@dataclass(frozen=True)
class BuiltReport:
    path: Path
    html: str
    texts: list[str]
    labels: list[str]
    attention_for: tuple[int, ...]
    #: What building it printed as warnings, and whether it left the warning filters changed.
    warned: tuple[str, ...] = ()
    filters_changed: bool = False

    def blocks(self) -> dict[str, object]:
        """Every JSON block of the page, parsed."""
        return {m.group(1): json.loads(m.group(2)) for m in _JSON_BLOCK.finditer(self.html)}

    def data(self) -> dict[str, object]:
        """The page data with its packed arrays unpacked (``render.read_page_data``)."""
        from smallbert_viz.reporting.render import read_page_data

        return read_page_data(self.html)


def corpus_with_traps(n_sample: int = 40) -> tuple[list[str], list[str]]:
    """Sample-corpus sentences plus the XSS, script-breakout, long and duplicate sentences."""
    from smallbert_viz.corpus import sample_corpus

    corpus = sample_corpus()
    texts = list(corpus.texts[:n_sample]) + [EVIL, BREAKOUT, LONG, corpus.texts[0]]
    labels = list(corpus.labels[:n_sample]) + [EVIL, "traps", "traps", corpus.labels[0]]
    return texts, labels


@pytest.fixture(scope="session")
def built_report(standin_model, tmp_path_factory) -> BuiltReport:
    """A report of 44 sentences (UMAP path) with the default-size stand-in."""
    from smallbert_viz.reporting import report

    texts, labels = corpus_with_traps()
    attention_for = (1, len(texts) - 4)  # a plain sentence and the XSS sentence
    # plotly adds a warning filter of its own in each of these modules when first imported
    import plotly.graph_objs._deprecations  # noqa: F401
    import plotly.tools  # noqa: F401

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filters = list(warnings.filters)
        path = report(
            texts,
            labels,
            model=standin_model,
            path=tmp_path_factory.mktemp("report") / "sub" / "report.html",
            attention_for=attention_for,
            title="Test report " + EVIL,
        )
        changed = list(warnings.filters) != filters
    warned = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    return BuiltReport(
        path, path.read_text("utf-8"), texts, labels, attention_for, warned, changed
    )
