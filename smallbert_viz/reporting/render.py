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


def quantize(matrix: np.ndarray, *, triangle: bool = False) -> dict[str, Any]:
    """uint16 codes of a 2-D ``matrix`` (base64, little-endian) with ``lo`` and ``step``.

    The decoded value ``lo + code * step`` is within ``step / 2`` of the original (for values
    in [-1, 1], within 2e-5); NaN cells get ``NAN_CODE``. With ``triangle`` (a symmetric
    matrix) only the upper triangle is sent, row by row (``i <= j``), and the page mirrors it.
    Heatmap values dominate the file at 1,000 sentences; this sends a quarter of float32.
    """
    m = np.asarray(matrix, dtype=np.float64)
    values = m[np.triu_indices(m.shape[0])] if triangle else m.ravel()
    finite = np.isfinite(values)
    lo = float(values[finite].min()) if finite.any() else 0.0
    hi = float(values[finite].max()) if finite.any() else 0.0
    step = (hi - lo) / (NAN_CODE - 1) if hi > lo else 1.0
    codes = np.full(values.shape, NAN_CODE, dtype="<u2")
    codes[finite] = np.rint((values[finite] - lo) / step).astype("<u2")
    return {
        "bdata": base64.b64encode(codes.tobytes()).decode("ascii"),
        "shape": list(m.shape),
        "triangle": bool(triangle),
        "lo": lo,
        "step": step,
        "nanCode": NAN_CODE,
    }


def dequantize(q: dict[str, Any]) -> np.ndarray:
    """The float64 matrix a :func:`quantize` payload stands for (what the page draws)."""
    codes = np.frombuffer(base64.b64decode(q["bdata"]), dtype="<u2")
    values = np.where(codes == q["nanCode"], np.nan, q["lo"] + codes * q["step"])
    n_rows, n_cols = q["shape"]
    if not q["triangle"]:
        return values.reshape(n_rows, n_cols)
    out = np.empty((n_rows, n_cols))
    iu = np.triu_indices(n_rows)
    out[iu] = values
    out.T[iu] = values
    return out


def _typed_array(spec: Any) -> np.ndarray | None:
    """A plotly base64 typed array ({"dtype", "bdata", "shape"}) as numpy, else None."""
    if not (isinstance(spec, dict) and "bdata" in spec and spec.get("dtype") in ("f4", "f8")):
        return None
    arr = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<" + spec["dtype"])
    shape = spec.get("shape")
    if isinstance(shape, str):
        shape = [int(v) for v in shape.split(",")]
    return arr.reshape(shape) if shape else arr


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plotly.js reads it, heatmap values as uint16 codes.

    Each heatmap's float ``z`` becomes ``{"quantized": quantize(z)}`` (the page's script
    decodes it before drawing); a heatmap whose x and y categories are equal sends them once
    (``"xFromY": true``). Other arrays stay plotly's base64 typed arrays.
    """
    spec = json.loads(fig.to_json())
    for trace in spec["data"]:
        if trace.get("type") != "heatmap":
            continue
        z = _typed_array(trace.get("z"))
        if z is not None and z.ndim == 2:
            square = z.shape[0] == z.shape[1]
            symmetric = square and np.array_equal(z, z.T, equal_nan=True)
            trace["z"] = {"quantized": quantize(z, triangle=bool(symmetric))}
        if "x" in trace and trace.get("x") == trace.get("y"):
            del trace["x"]
            trace["xFromY"] = True
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


def _keywords_html(content: ReportContent) -> str:
    """The keyword table: group, sentences, words (escaped)."""
    if not content.keywords:
        return ""
    head = "label" if content.keyword_source == "labels" else "cluster"
    body = "".join(
        f"<tr><td>{html.escape(str(row['group'])) or '<em>(empty)</em>'}</td>"
        f"<td class='num'>{int(row['size']):,}</td>"
        f"<td>{html.escape(', '.join(row['keywords'])) or '<em>(no words)</em>'}</td></tr>"
        for row in content.keywords
    )
    return (
        f"<table class='keywords' id='keyword-table'><thead><tr><th>{head}</th>"
        f"<th>sentences</th><th>keywords</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _duplicates_html(content: ReportContent) -> str:
    """The near-duplicate table (escaped text); rows carry the pair for the page's script."""
    if not content.duplicates:
        return ""
    texts = content.texts
    body = "".join(
        f"<tr data-index='{i}' data-pair='{j}' data-score='{score:.6f}'>"
        f"<td class='num'>#{i}</td><td class='text'>{html.escape(texts[i])}</td>"
        f"<td class='num'>#{j}</td><td class='text'>{html.escape(texts[j])}</td>"
        f"<td class='num'>{score:.4f}</td><td>{html.escape(kind)}</td></tr>"
        for i, j, score, kind in content.duplicates
    )
    return (
        "<table class='sentences duplicates' id='duplicate-table'><thead><tr><th>#</th>"
        "<th>sentence</th><th>#</th><th>sentence</th><th>cosine</th><th>kind</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _analyses_data(content: ReportContent) -> dict[str, Any]:
    """Page data of the trust, keyword and near-duplicate sections (exportable as JSON)."""
    trust = None if content.trust is None else np.round(content.trust, 4).tolist()
    return {
        "trust": trust,
        "keywords": {"source": content.keyword_source, "groups": content.keywords},
        "duplicates": {
            "counts": content.duplicate_counts,
            "shown": [[i, j, round(s, 6), kind] for i, j, s, kind in content.duplicates],
        },
    }


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
    } | _analyses_data(content)


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
        blocks.append(_script_block(f"fig-{name}", figure_json(fig)))

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
        provenance_table=_table(content.provenance.rows(), "kv provenance"),
        corpus_summary=_summary_html(content),
        similarity_text=html.escape(content.sections.get("similarity", "")),
        contributions_text=html.escape(content.sections.get("contributions", "")),
        trust_text=html.escape(content.sections.get("trust", "")),
        keywords_text=html.escape(content.sections.get("keywords", "")),
        keywords_table=_keywords_html(content),
        duplicates_text=html.escape(content.sections.get("duplicates", "")),
        duplicates_table=_duplicates_html(content),
        layers_text=html.escape(content.sections.get("layers", "")),
        data_blocks="\n".join(blocks),
    )
    return page
