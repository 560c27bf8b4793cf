"""``ReportContent`` -> one HTML page: template, CSS and JavaScript from ``static/``, data as JSON.

What is trusted and what is not:

* User text (sentences, labels, titles, model names and paths) reaches the page in two ways
  only: through ``html.escape`` in the few server-rendered tables here, and as JSON data that
  ``static/report.js`` puts into the page with ``textContent`` (never ``innerHTML``). Plotly
  figures carry text already escaped by the figure builders.
* JSON blocks live in ``<script type="application/json">``; every ``<``, ``>`` and ``&`` in
  them is written as a ``\\u003c``-style escape, so no text can close the script element or
  open a comment inside it, and ``JSON.parse`` gives back the same strings.
* Large data (the texts, coordinates, neighbours, per-point colours and plotly.js itself) is
  packed: a little-endian typed array (or UTF-8 JSON for the texts), byte-shuffled for numbers,
  compressed with raw DEFLATE and written once as base64 in ``<script type="application/
  octet-stream">``. The page unpacks it with the browser's own ``DecompressionStream
  ("deflate-raw")`` (offline, from file://); plotly.js, once unpacked, is added as a ``<script>``
  element of our own code. User text is only ever ``JSON.parse``d, never evaluated.
* Per-point arrays never sit in the figures: each scatter trace keeps a reference to a packed
  block of row numbers and the page builds ``x``, ``y``, hover text and colours from the shared
  arrays, so the texts are written once whatever the number of points.
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np

from smallbert_viz.views.policy import NEIGHBOR_SCORE_STEP

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.reporting.build import ReportContent

#: Heatmap values are sent as uint16 codes: lo + code * step, with this code meaning "no value".
NAN_CODE = 65535
#: Rows of the sentence table per page (the page holds one page of rows, never all N).
TABLE_PAGE_ROWS = 100
#: zlib level of the packed blocks (6: most of level 9's ratio at a fraction of its time).
COMPRESS_LEVEL = 6
#: Traces with at least this many points are drawn with WebGL (``scattergl``) on the page.
WEBGL_MIN_POINTS = 2000


class Packer:
    """Packed data blocks of one page: ``add`` returns the reference the page's JSON holds.

    Numbers: little-endian bytes of ``dtype`` (``"i4"``, ``"u1"``, ``"f2"``, ``"f4"``...),
    byte-shuffled (all first bytes, then all second bytes...: neighbour indices below 2^24 then
    have a constant top byte plane that DEFLATE all but removes), then raw DEFLATE and base64.
    Text: UTF-8 JSON, raw DEFLATE, base64.
    """

    def __init__(self) -> None:
        self.blocks: dict[str, str] = {}

    def _put(self, name: str, raw: bytes) -> str:
        comp = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        payload = comp.compress(raw) + comp.flush()
        block = f"blob-{name}"
        if block in self.blocks:
            raise ValueError(f"Two packed blocks are named {block!r}.")
        self.blocks[block] = base64.b64encode(payload).decode("ascii")
        return block

    def array(self, name: str, values: Any, dtype: str) -> dict[str, Any]:
        arr = np.ascontiguousarray(np.asarray(values), dtype="<" + dtype)
        item = arr.dtype.itemsize
        raw = arr.reshape(-1).view(np.uint8).reshape(-1, item).T.tobytes() if item > 1 else (
            arr.tobytes()
        )
        return {
            "block": self._put(name, raw),
            "dtype": dtype,
            "shape": list(arr.shape),
            "shuffled": item > 1,
        }

    def codes(self, name: str, values: Any) -> dict[str, Any]:
        """Finite ``values`` in [lo, hi] as uint16 codes: ``lo + code * step`` is within
        ``step / 2`` of each (for similarities in [-1, 1], within 2e-5): float16's size, 20x
        its precision near 1."""
        v = np.asarray(values, dtype=np.float64)
        lo = float(v.min()) if v.size else 0.0
        hi = float(v.max()) if v.size else 0.0
        step = (hi - lo) / (NAN_CODE - 1) if hi > lo else 1.0
        ref = self.array(name, np.rint((v - lo) / step).astype(np.uint16), "u2")
        return ref | {"lo": lo, "step": step}

    def row_codes(self, name: str, values: Any, step: float) -> dict[str, Any]:
        """An (N, k) array of rows sorted in descending order (neighbour scores) on a grid of
        ``step``: ``lo + code * step`` is within ``step / 2`` of each value.

        Stored column by column: the first column's codes, then each next column's code
        *difference* from the one before (never negative in a descending row). Neighbour
        scores of one row lie close together, so the differences are small numbers that
        DEFLATE packs into about a byte each, where absolute uint16 codes take two.
        Rows that are not in descending order (none from ``nearest_neighbors``) fall back to
        absolute codes (``"delta": false``).
        """
        v = np.asarray(values, dtype=np.float64)
        if v.ndim != 2:
            raise ValueError(f"row_codes needs a 2-D array. Got shape {v.shape}.")
        lo = float(v.min()) if v.size else 0.0
        codes = np.rint((v - lo) / step).astype(np.int64)
        delta = bool(v.shape[1] > 1 and (np.diff(codes, axis=1) <= 0).all())
        stored = codes.copy()
        if delta:
            stored[:, 1:] = codes[:, :-1] - codes[:, 1:]
        dtype = "u2" if (stored.max(initial=0) < 65536) else "u4"
        ref = self.array(name, np.ascontiguousarray(stored.T), dtype)
        return ref | {"lo": lo, "step": step, "rowShape": list(v.shape), "delta": delta}

    def json(self, name: str, obj: Any) -> dict[str, Any]:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return {"block": self._put(name, text.encode("utf-8")), "kind": "json"}

    def text(self, name: str, text: str) -> dict[str, Any]:
        return {"block": self._put(name, text.encode("utf-8")), "kind": "text"}

    def html(self) -> str:
        """The blocks as script elements (base64 holds no character that could end them)."""
        return "\n".join(
            f'<script type="application/octet-stream" id="{name}">{payload}</script>'
            for name, payload in self.blocks.items()
        )


def unpack(ref: dict[str, Any], blocks: dict[str, str]) -> Any:
    """What a :class:`Packer` reference stands for, read back from the page's ``blocks``."""
    raw = zlib.decompress(base64.b64decode(blocks[ref["block"]]), -15)
    if ref.get("kind") == "json":
        return json.loads(raw.decode("utf-8"))
    if ref.get("kind") == "text":
        return raw.decode("utf-8")
    dtype = np.dtype("<" + ref["dtype"])
    if ref["shuffled"]:
        raw = np.frombuffer(raw, np.uint8).reshape(dtype.itemsize, -1).T.tobytes()
    out = np.frombuffer(raw, dtype).reshape(ref["shape"])
    if "rowShape" in ref:  # Packer.row_codes: column by column, differences along each row
        codes = out.T.astype(np.int64)
        if ref["delta"]:
            codes[:, 1:] = codes[:, :1] - np.cumsum(codes[:, 1:], axis=1)
        return ref["lo"] + codes * ref["step"]
    if "step" in ref:  # uint16 codes of Packer.codes
        return ref["lo"] + out * ref["step"]
    return out


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


def _typed_array(spec: Any, dtypes: tuple[str, ...] = ("f4", "f8")) -> np.ndarray | None:
    """A plotly base64 typed array ({"dtype", "bdata", "shape"}) as numpy, else None."""
    if not (isinstance(spec, dict) and "bdata" in spec and spec.get("dtype") in dtypes):
        return None
    arr = np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<" + spec["dtype"])
    shape = spec.get("shape")
    if isinstance(shape, str):
        shape = [int(v) for v in shape.split(",")]
    return arr.reshape(shape) if shape else arr


_POINT_TRACES = ("scatter", "scattergl", "scatter3d")
_POINT_KEYS = ("x", "y", "z", "hovertext", "text", "customdata")


def _point_trace(trace: Any, packer: Packer, name: str) -> dict[str, Any] | None:
    """A scatter trace of sentences as a dict without its per-point arrays, or None.

    The trace's rows (``customdata``) go into a packed block and ``"points"`` says so; the page
    takes ``x``/``y``/``z`` from the shared coordinates and hover text from the shared texts.
    An array ``marker.color`` (trust) goes into its own block.
    """
    if trace.type not in _POINT_TRACES or trace.customdata is None:
        return None
    # A figure that went through pickle or JSON holds plotly's base64 form of the array.
    rows = _typed_array(trace.customdata, ("i1", "u1", "i2", "u2", "i4", "u4"))
    rows = np.asarray(trace.customdata) if rows is None else rows
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
        return None
    spec = trace.to_plotly_json()
    for key in _POINT_KEYS:
        spec.pop(key, None)
    points: dict[str, Any] = {"rows": packer.array(f"{name}-rows", rows, "i4")}
    color = spec.get("marker", {}).get("color")
    color = _typed_array(color) if isinstance(color, dict) else color
    if color is not None and not isinstance(color, str) and np.ndim(color) == 1:
        points["color"] = packer.array(f"{name}-color", np.asarray(color, np.float32), "f4")
        del spec["marker"]["color"]
    if trace.type == "scatter" and len(rows) >= WEBGL_MIN_POINTS:
        spec["type"] = "scattergl"
    spec["points"] = points
    return spec


def figure_json(fig: go.Figure, packer: Packer | None = None, name: str = "fig") -> dict[str, Any]:
    """The figure as plotly.js reads it, heatmap values as uint16 codes, points by reference.

    Each heatmap's float ``z`` becomes ``{"quantized": quantize(z)}`` (the page's script
    decodes it before drawing); a heatmap whose x and y categories are equal sends them once
    (``"xFromY": true``). With a ``packer``, each scatter trace of sentences (``customdata``
    holding row numbers) keeps only a reference to its packed rows (:func:`_point_trace`).
    Other arrays stay plotly's base64 typed arrays.
    """
    import plotly.graph_objects as go

    if packer is None:
        spec = json.loads(fig.to_json())
    else:
        traces, points = [], {}
        for t, trace in enumerate(fig.data):
            light = _point_trace(trace, packer, f"{name}-{t}")
            if light is not None:
                points[t] = light.pop("points")
            traces.append(trace.to_plotly_json() if light is None else light)
        # Through a Figure again so that the other arrays become plotly's base64 typed arrays.
        spec = json.loads(go.Figure({"data": traces, "layout": fig.layout}).to_json())
        for t, ref in points.items():
            spec["data"][t]["points"] = ref
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


def sentence_categories(
    spec: dict[str, Any], rows: np.ndarray, labelled: bool
) -> dict[str, Any]:
    """``spec`` with heatmap categories and tick labels naming sentences made by reference.

    The similarity heatmap's categories are ``"#<row> [label]: <text>"`` and its tick labels
    the texts cut short: a second copy of up to ``HEATMAP_MAX_ROWS`` texts. When the figure's
    categories are those of ``rows`` (checked by their ``#<row>`` prefix), they become
    ``{"sentenceRows": ...}`` and the page builds them from its one copy of the texts.
    """
    rows = [int(r) for r in rows]
    changed = False
    for trace in spec["data"]:
        y = trace.get("y")
        if trace.get("type") != "heatmap" or not isinstance(y, list) or len(y) != len(rows):
            continue
        if all(isinstance(c, str) and re.match(rf"#{r}\b", c) for c, r in zip(y, rows)):
            trace["y"] = {"sentenceRows": True, "labelled": labelled}
            changed = True
    if changed:
        for axis in ("xaxis", "yaxis"):
            ax = spec["layout"].get(axis, {})
            if isinstance(ax.get("ticktext"), list) and len(ax["ticktext"]) == len(rows):
                ax["ticktext"] = {"sentenceRows": True, "maxChars": 40}
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
    """The near-duplicate table; rows carry the pair, the page's script fills in the texts.

    The texts are not written here: the page holds them once, in the packed texts block.
    """
    if not content.duplicates:
        return ""
    body = "".join(
        f"<tr data-index='{i}' data-pair='{j}' data-score='{score:.6f}'>"
        f"<td class='num'>#{i}</td><td class='text' data-text='{i}'></td>"
        f"<td class='num'>#{j}</td><td class='text' data-text='{j}'></td>"
        f"<td class='num'>{score:.4f}</td><td>{html.escape(kind)}</td></tr>"
        for i, j, score, kind in content.duplicates
    )
    return (
        "<table class='sentences duplicates' id='duplicate-table'><thead><tr><th>#</th>"
        "<th>sentence</th><th>#</th><th>sentence</th><th>cosine</th><th>kind</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _analyses_data(content: ReportContent, packer: Packer) -> dict[str, Any]:
    """Page data of the trust, keyword and near-duplicate sections (exportable as JSON)."""
    trust = None
    if content.trust is not None:
        trust = packer.codes("trust", content.trust)
    return {
        "trust": trust,
        "keywords": {"source": content.keyword_source, "groups": content.keywords},
        "duplicates": {
            "counts": content.duplicate_counts,
            "shown": [[i, j, round(s, 6), kind] for i, j, s, kind in content.duplicates],
        },
    }


def _labels_data(labels: list[str] | None, packer: Packer) -> dict[str, Any] | None:
    """Labels as their distinct names (first appearance order) and one code per sentence."""
    if labels is None:
        return None
    names, codes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    dtype = "u1" if len(names) <= 256 else "u2" if len(names) <= 65536 else "i4"
    return {"names": names.tolist(), "codes": packer.array("label-codes", codes, dtype)}


def page_data(content: ReportContent, packer: Packer) -> dict[str, Any]:
    """The JSON the page's script reads (``<script id="report-data">``).

    The per-sentence arrays are references into ``packer``'s blocks (see :func:`unpack`,
    :func:`read_page_data`): texts (JSON, once), label codes, float32 coordinates, int32
    neighbour indices (N x k), neighbour scores on a grid of ``NEIGHBOR_SCORE_STEP``
    (:meth:`Packer.row_codes`) and trust as uint16 codes (:meth:`Packer.codes`).
    """
    from smallbert_viz.figures.projection import HOVER_MAX_CHARS, HOVER_MAX_CHARS_LARGE, LARGE_N

    n = len(content.texts)
    return {
        "n": n,
        "texts": packer.json("texts", content.texts),
        "labels": _labels_data(content.labels, packer),
        "coords": packer.array("coords", content.coords, "f4"),
        "neighbors": {
            "indices": packer.array("neighbor-indices", content.neighbor_indices, "i4"),
            "scores": packer.row_codes(
                "neighbor-scores", content.neighbor_scores, NEIGHBOR_SCORE_STEP
            ),
            "metric": "cosine",
            "step": NEIGHBOR_SCORE_STEP,
        },
        "heatmapRows": content.heatmap_rows.astype(int).tolist(),
        "attention": {str(i): f"fig-attention-{i}" for i in content.attention_for},
        "initial": content.attention_for[0] if content.attention_for else content.pair[0],
        "pair": [content.pair[0], content.pair[1], round(content.pair[2], 6)],
        "pageRows": TABLE_PAGE_ROWS,
        "hoverMaxChars": HOVER_MAX_CHARS if n <= LARGE_N else HOVER_MAX_CHARS_LARGE,
    } | _analyses_data(content, packer)


_BLOCK = re.compile(r'<script type="application/(json|octet-stream)" id="([^"]+)">(.*?)</script>',
                    flags=re.DOTALL)


def read_page_data(page: str) -> dict[str, Any]:
    """The page data of a written report, unpacked: what its script sees, as Python objects.

    ``texts`` and ``labels`` as lists of str, ``coords``, ``neighbors["indices"]`` /
    ``["scores"]`` and ``trust`` as ndarrays; the other entries as in the page's JSON.
    """
    blocks = {m.group(2): m.group(3) for m in _BLOCK.finditer(page)}
    data = json.loads(blocks["report-data"])
    data["texts"] = unpack(data["texts"], blocks)
    if data["labels"] is not None:
        names = data["labels"]["names"]
        data["labels"] = [names[c] for c in unpack(data["labels"]["codes"], blocks)]
    data["coords"] = unpack(data["coords"], blocks)
    for key in ("indices", "scores"):
        data["neighbors"][key] = unpack(data["neighbors"][key], blocks)
    if data["trust"] is not None:
        data["trust"] = unpack(data["trust"], blocks)
    return data


def _neighbors_text(content: ReportContent) -> str:
    """What the page stores of the neighbour graph (k and the precision of the cosines)."""
    k = content.neighbor_indices.shape[1]
    return (
        f"The page stores each sentence's {k} nearest neighbours, their cosines on a grid of "
        f"{NEIGHBOR_SCORE_STEP:g} (within {NEIGHBOR_SCORE_STEP / 2:g} of the computed value)."
    )


def render_html(content: ReportContent) -> str:
    """The whole page as one string."""
    import plotly.offline

    plotly_js = plotly.offline.get_plotlyjs()
    css = static_text("report.css")
    js = static_text("report.js")
    loader = static_text("loader.js")
    for name, text in (
        ("plotly.js", plotly_js),
        ("report.js", js),
        ("loader.js", loader),
        ("report.css", css),
    ):
        if "</script" in text.lower() or "</style" in text.lower():
            raise RuntimeError(f"{name} contains a closing tag and cannot be inlined.")

    packer = Packer()
    # Our own scripts, packed like the data; the loader unpacks and runs them in order.
    scripts = [packer.text("plotly-js", plotly_js), packer.text("report-js", js)]
    blocks = [_script_block("report-data", page_data(content, packer))]
    for name, fig in content.figures.items():
        spec = figure_json(fig, packer, name)
        if name == "similarity":
            spec = sentence_categories(spec, content.heatmap_rows, content.labels is not None)
        blocks.append(_script_block(f"fig-{name}", spec))
    blocks.append(_script_block("report-scripts", scripts))

    note = (
        f"<p class='note' id='model-note'>{html.escape(content.note)}</p>" if content.note else ""
    )
    page = Template(static_text("template.html")).substitute(
        title=html.escape(content.title),
        css=css,
        loader_js=loader,
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
        neighbors_text=html.escape(_neighbors_text(content)),
        data_blocks="\n".join(blocks) + "\n" + packer.html(),
    )
    return page
