"""``ReportContent`` -> one HTML page: template, CSS and JavaScript from ``static/``, data as JSON.

What is trusted and what is not:

* User text (sentences, labels, titles, model names and paths) reaches the page in two ways
  only: through ``html.escape`` in the few server-rendered tables here, and as JSON data that
  ``static/report.js`` puts into the page with ``textContent`` (never ``innerHTML``). Plotly
  figures carry text already escaped by the figure builders.
* JSON blocks live in ``<script type="application/json">``; every ``<``, ``>`` and ``&`` in
  them is written as a ``\\u003c``-style escape, so no text can close the script element or
  open a comment inside it, and ``JSON.parse`` gives back the same strings.
* plotly.js is inlined once in ``<head>``; nothing is loaded from the network.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.reporting.build import ReportContent

#: Heatmap values are sent as uint16 codes: lo + code * step, with this code meaning "no value".
NAN_CODE = 65535


def static_text(name: str) -> str:
    """The text of a file in ``smallbert_viz/reporting/static``."""
    return (resources.files("smallbert_viz.reporting") / "static" / name).read_text("utf-8")


def json_for_script(obj: Any) -> str:
    """Compact JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_block(element_id: str, obj: Any) -> str:
    return (
        f'<script type="application/json" id="{html.escape(element_id)}">'
        f"{json_for_script(obj)}</script>"
    )


def quantize(matrix: np.ndarray) -> dict[str, Any]:
    """uint16 codes of ``matrix`` (base64, little-endian) with ``lo`` and ``step`` to decode.

    The decoded value ``lo + code * step`` is within ``step / 2`` of the original; NaN cells
    get ``NAN_CODE``. Halves the float32 payload, which dominates the file at 1,000 sentences.
    """
    m = np.asarray(matrix, dtype=np.float64)
    finite = np.isfinite(m)
    lo = float(m[finite].min()) if finite.any() else 0.0
    hi = float(m[finite].max()) if finite.any() else 0.0
    step = (hi - lo) / (NAN_CODE - 1) if hi > lo else 1.0
    codes = np.full(m.shape, NAN_CODE, dtype="<u2")
    codes[finite] = np.rint((m[finite] - lo) / step).astype("<u2")
    return {
        "bdata": base64.b64encode(codes.tobytes()).decode("ascii"),
        "shape": list(m.shape),
        "lo": lo,
        "step": step,
        "nanCode": NAN_CODE,
    }


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plotly.js reads it (numpy arrays as base64 typed arrays)."""
    return json.loads(fig.to_json())


def _similarity_json(fig: go.Figure, matrix: np.ndarray) -> dict[str, Any]:
    spec = figure_json(fig)
    trace = spec["data"][0]
    # The heatmap's x and y categories are the same N hover strings: send them once.
    extra: dict[str, Any] = {"zQuantized": quantize(matrix)}
    trace.pop("z", None)
    if trace.get("x") == trace.get("y"):
        trace.pop("x", None)
        extra["xFromY"] = True
    spec["smallbertViz"] = extra
    return spec


def _table(rows: list[tuple[str, str]], cls: str) -> str:
    body = "".join(
        f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
    )
    return f"<table class='{cls}'>{body}</table>"


def _fmt_stats(stats: tuple[float, float, float, float]) -> str:
    lo, med, mean, hi = stats
    return f"min {lo:g}, median {med:g}, mean {mean:.1f}, max {hi:g}"


def _summary_html(content: ReportContent) -> str:
    s = content.summary
    rows = [
        (
            "sentences",
            f"{s.n_texts:,}" + (f" ({s.n_duplicates} duplicates)" if s.n_duplicates else ""),
        ),
        ("words per sentence", _fmt_stats(s.words)),
        ("wordpieces per sentence", _fmt_stats(s.wordpieces) + " (without [CLS]/[SEP])"),
        (
            "truncated",
            f"{s.truncated} sentence(s) longer than max_length={s.max_length} wordpieces were cut",
        ),
    ]
    if s.label_counts:
        rows.append(("labels", f"{len(s.label_counts)} distinct"))
    out = _table(rows, "kv")
    if s.label_counts:
        body = "".join(
            f"<tr><td>{html.escape(lab) or '<em>(empty)</em>'}</td><td class='num'>{c:,}</td></tr>"
            for lab, c in s.label_counts
        )
        out += (
            "<table class='labels'><thead><tr><th>label</th><th>count</th></tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
    return out


def page_data(content: ReportContent) -> dict[str, Any]:
    """The JSON the page's script reads (``<script id="report-data">``)."""
    return {
        "texts": content.texts,
        "labels": content.labels,
        "coords": np.round(content.coords.astype(np.float64), 4).tolist(),
        "neighbors": {
            "indices": content.neighbor_indices.astype(int).tolist(),
            "scores": np.round(content.neighbor_scores.astype(np.float64), 4).tolist(),
            "metric": "cosine",
        },
        "heatmapRows": content.heatmap_rows.astype(int).tolist(),
        "attention": {str(i): f"fig-attention-{i}" for i in content.attention_for},
        "initial": content.attention_for[0] if content.attention_for else content.pair[0],
        "pair": [content.pair[0], content.pair[1], round(content.pair[2], 6)],
    }


def render_html(content: ReportContent) -> str:
    """The whole page as one string."""
    import plotly.offline

    plotly_js = plotly.offline.get_plotlyjs()
    css = static_text("report.css")
    js = static_text("report.js")
    for name, text in (("plotly.js", plotly_js), ("report.js", js), ("report.css", css)):
        if "</script" in text.lower() or "</style" in text.lower():
            raise RuntimeError(f"{name} contains a closing tag and cannot be inlined.")

    blocks = [_script_block("report-data", page_data(content))]
    for name, fig in content.figures.items():
        spec = (
            _similarity_json(fig, content.heatmap_matrix)
            if name == "similarity"
            else figure_json(fig)
        )
        blocks.append(_script_block(f"fig-{name}", spec))

    note = (
        f"<p class='note' id='model-note'>{html.escape(content.note)}</p>" if content.note else ""
    )
    page = Template(static_text("template.html")).substitute(
        title=html.escape(content.title),
        plotly_js=plotly_js,
        css=css,
        report_js=js,
        note=note,
        provenance_line=html.escape(content.provenance_line),
        provenance_table=_table(content.provenance, "kv provenance"),
        corpus_summary=_summary_html(content),
        similarity_text=html.escape(content.sections.get("similarity", "")),
        contributions_text=html.escape(content.sections.get("contributions", "")),
        data_blocks="\n".join(blocks),
    )
    return page
