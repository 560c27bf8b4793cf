/* smallbert-viz standalone report: draws the figures from the page's JSON blocks and links them.
 *
 * Read and inlined by smallbert_viz/reporting/render.py at build time. Every piece of user text
 * goes into the page through textContent, never innerHTML. Nothing is fetched.
 */
(function () {
  "use strict";

  var PLOT_CONFIG = { displaylogo: false, responsive: false };
  var figureCache = {};

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  /* Heatmap values travel as little-endian uint16 codes: value = lo + code * step (see
   * render.quantize). A symmetric matrix sends only its upper triangle, row by row. */
  function decodeQuantized(q) {
    var raw = atob(q.bdata);
    var bytes = new Uint8Array(raw.length);
    for (var b = 0; b < raw.length; b++) bytes[b] = raw.charCodeAt(b);
    var view = new DataView(bytes.buffer);
    var nRows = q.shape[0];
    var nCols = q.shape[1];
    var rows = new Array(nRows);
    var r, c, code;
    for (r = 0; r < nRows; r++) rows[r] = new Float32Array(nCols);
    var k = 0;
    for (r = 0; r < nRows; r++) {
      for (c = q.triangle ? r : 0; c < nCols; c++) {
        code = view.getUint16(2 * k, true);
        k++;
        var value = code === q.nanCode ? NaN : q.lo + code * q.step;
        rows[r][c] = value;
        if (q.triangle) rows[c][r] = value;
      }
    }
    return rows;
  }

  function loadFigure(id) {
    if (figureCache[id]) return figureCache[id];
    var spec = readJSON(id);
    if (!spec) return null;
    spec.data.forEach(function (trace) {
      if (trace.z && trace.z.quantized) trace.z = decodeQuantized(trace.z.quantized);
      if (trace.xFromY) {
        trace.x = trace.y;
        delete trace.xFromY;
      }
    });
    figureCache[id] = spec;
    return spec;
  }

  function draw(div, figureId) {
    var spec = loadFigure(figureId);
    if (!spec) return Promise.resolve(null);
    return Plotly.react(div, spec.data, spec.layout, PLOT_CONFIG);
  }

  var data = readJSON("report-data");
  var texts = data.texts;
  var labels = data.labels;
  var n = texts.length;
  var state = { selected: null, lasso: [] };

  function labelOf(i) {
    return labels ? labels[i] : "";
  }

  /* ---- the linked view ------------------------------------------------------------------- */

  function fillNeighbors(i) {
    var body = document.querySelector("#neighbor-table tbody");
    body.replaceChildren();
    var idx = data.neighbors.indices[i];
    var scores = data.neighbors.scores[i];
    for (var k = 0; k < idx.length; k++) {
      var j = idx[k];
      var tr = el("tr");
      tr.dataset.index = String(j);
      tr.appendChild(el("td", "#" + j, "num"));
      tr.appendChild(el("td", scores[k].toFixed(4), "num"));
      tr.appendChild(el("td", labelOf(j)));
      tr.appendChild(el("td", texts[j], "text"));
      tr.addEventListener("click", onRowClick);
      body.appendChild(tr);
    }
  }

  function showAttention(i) {
    var message = document.getElementById("attention-message");
    var side = document.getElementById("selected-attention");
    var plot = document.getElementById("plot-attention");
    var select = document.getElementById("attention-select");
    var figureId = data.attention[String(i)];
    if (figureId) {
      message.hidden = true;
      side.textContent = "Attention of #" + i + " is shown below the projection.";
      plot.hidden = false;
      select.value = String(i);
      return draw(plot, figureId);
    }
    var stored = Object.keys(data.attention).map(function (s) { return "#" + s; });
    var text =
      "Attention was not precomputed for #" + i + ". " +
      (stored.length ? "It is stored for " + stored.join(", ") + ". " : "") +
      "Rebuild the report with attention_for including " + i +
      " (command line: --attention-for " + i + ").";
    message.textContent = text;
    message.hidden = false;
    side.textContent = text;
    select.value = "";
    Plotly.purge(plot);
    plot.hidden = true;
    return Promise.resolve(null);
  }

  function markProjection(i) {
    var gd = document.getElementById("plot-projection");
    if (!gd || !gd.layout) return;
    var xy = data.coords[i];
    // Keep the figure's own annotations (the cluster keywords); replace only the marker.
    var own = (gd.layout.annotations || []).filter(function (a) { return a.name !== "selected"; });
    Plotly.relayout(gd, {
      annotations: own.concat([{
        name: "selected", x: xy[0], y: xy[1], xref: "x", yref: "y", text: "#" + i,
        showarrow: true, arrowhead: 2, ax: 30, ay: -30,
        bgcolor: "rgba(255,255,255,0.85)", bordercolor: "#333",
      }]),
    });
  }

  function markTable(i) {
    var rows = document.querySelectorAll("#sentence-table tbody tr.current");
    for (var r = 0; r < rows.length; r++) rows[r].classList.remove("current");
    var row = document.querySelector('#sentence-table tbody tr[data-index="' + i + '"]');
    if (row) row.classList.add("current");
  }

  function select(i, pairWith, pairValue) {
    if (!(i >= 0 && i < n)) return Promise.resolve(null);
    state.selected = i;
    var aside = document.getElementById("selected");
    aside.dataset.selected = String(i);
    document.getElementById("selected-title").textContent =
      "#" + i + (labels ? " \u00b7 label: " + labelOf(i) : "");
    document.getElementById("selected-text").textContent = texts[i];
    var pairNode = document.getElementById("selected-pair");
    if (pairWith !== undefined && pairWith !== null && pairWith !== i) {
      pairNode.textContent =
        "Heatmap cell: #" + i + " \u00d7 #" + pairWith +
        (typeof pairValue === "number" ? ", cosine " + pairValue.toFixed(4) : "") +
        " \u2014 #" + pairWith + ": " + texts[pairWith];
      pairNode.hidden = false;
    } else {
      pairNode.hidden = true;
    }
    fillNeighbors(i);
    markProjection(i);
    markTable(i);
    return showAttention(i);
  }

  function onRowClick(event) {
    var i = Number(event.currentTarget.dataset.index);
    select(i);
  }

  /* ---- the sentence table ---------------------------------------------------------------- */

  function fillTable() {
    var body = document.querySelector("#sentence-table tbody");
    var frag = document.createDocumentFragment();
    for (var i = 0; i < n; i++) {
      var j = data.neighbors.indices[i][0];
      var tr = el("tr");
      tr.dataset.index = String(i);
      tr.appendChild(el("td", "#" + i, "num"));
      tr.appendChild(el("td", labelOf(i)));
      tr.appendChild(el("td", texts[i], "text"));
      tr.appendChild(el("td", "#" + j + " " + texts[j], "text"));
      tr.appendChild(el("td", data.neighbors.scores[i][0].toFixed(4), "num"));
      tr.addEventListener("click", onRowClick);
      frag.appendChild(tr);
    }
    body.appendChild(frag);
    var filter = document.getElementById("table-filter");
    filter.addEventListener("input", function () {
      var q = filter.value.toLowerCase();
      var rows = body.children;
      for (var r = 0; r < rows.length; r++) {
        var k = Number(rows[r].dataset.index);
        var hit = !q || texts[k].toLowerCase().indexOf(q) >= 0 ||
          labelOf(k).toLowerCase().indexOf(q) >= 0;
        rows[r].hidden = !hit;
      }
    });
  }

  function fillAttentionSelect() {
    var sel = document.getElementById("attention-select");
    sel.appendChild(el("option", "\u2014", null)).value = "";
    Object.keys(data.attention).forEach(function (key) {
      var opt = el("option", "#" + key + ": " + texts[Number(key)].slice(0, 60));
      opt.value = key;
      sel.appendChild(opt);
    });
    sel.addEventListener("change", function () {
      if (sel.value !== "") select(Number(sel.value));
    });
  }

  function fillPair() {
    var box = document.getElementById("pair-texts");
    [data.pair[0], data.pair[1]].forEach(function (i, k) {
      var p = el("p");
      p.appendChild(el("strong", (k === 0 ? "A" : "B") + " = #" + i + ": "));
      p.appendChild(el("span", texts[i]));
      p.dataset.index = String(i);
      p.addEventListener("click", onRowClick);
      box.appendChild(p);
    });
  }

  /* ---- CSV downloads (offline: a Blob URL and a.download) ---------------------------------- */

  /* One CSV field (RFC 4180): text is always quoted with inner quotes doubled, so commas,
   * quotes and newlines stay inside it. Text that a spreadsheet would run as a formula (starting
   * with = + - @, a tab or a carriage return) gets a leading apostrophe (CSV injection; OWASP).
   * Numbers are written as they are. */
  function csvField(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return String(value);
    var text = String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return '"' + text.replace(/"/g, '""') + '"';
  }

  function csvText(header, rows) {
    var lines = [header.map(csvField).join(",")];
    rows.forEach(function (row) { lines.push(row.map(csvField).join(",")); });
    // A byte-order mark so that spreadsheets read the file as UTF-8; CRLF as RFC 4180 says.
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function downloadCSV(filename, header, rows) {
    var blob = new Blob([csvText(header, rows)], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function downloadTable() {
    var rows = [];
    for (var i = 0; i < n; i++) {
      var j = data.neighbors.indices[i][0];
      rows.push([i, labelOf(i), texts[i], j, texts[j], Number(data.neighbors.scores[i][0].toFixed(6))]);
    }
    downloadCSV("sentences.csv",
      ["row", "label", "sentence", "nearest_row", "nearest_sentence", "cosine"], rows);
  }

  function downloadSelection() {
    var rows = state.lasso.map(function (i) { return [i, labelOf(i), texts[i]]; });
    downloadCSV("selection.csv", ["row", "label", "sentence"], rows);
  }

  /* ---- figures and their events ---------------------------------------------------------- */

  function wireProjection(gd) {
    gd.on("plotly_click", function (ev) {
      var p = ev && ev.points && ev.points[0];
      if (p && p.customdata !== undefined && p.customdata !== null) select(Number(p.customdata));
    });
    gd.on("plotly_selected", function (ev) {
      var box = document.getElementById("lasso-selection");
      box.replaceChildren();
      var pts = (ev && ev.points) || [];
      if (!pts.length) { state.lasso = []; box.hidden = true; return; }
      var ids = pts.map(function (p) { return Number(p.customdata); });
      state.lasso = ids.slice();
      var head = el("p", ids.length + " sentence(s) selected (click one to select it) ");
      var button = el("button", "Download CSV", "download");
      button.type = "button";
      button.id = "download-selection";
      button.addEventListener("click", downloadSelection);
      head.appendChild(button);
      box.appendChild(head);
      var list = el("ol");
      ids.slice(0, 200).forEach(function (i) {
        var li = el("li", "#" + i + " " + texts[i]);
        li.dataset.index = String(i);
        li.addEventListener("click", onRowClick);
        list.appendChild(li);
      });
      box.appendChild(list);
      if (ids.length > 200) box.appendChild(el("p", "\u2026 and " + (ids.length - 200) + " more"));
      box.hidden = false;
    });
  }

  function wireSimilarity(gd) {
    gd.on("plotly_click", function (ev) {
      var p = ev && ev.points && ev.points[0];
      if (!p) return;
      var idx = Array.isArray(p.pointNumber) ? p.pointNumber : p.pointIndex;
      if (!Array.isArray(idx)) return;
      var rows = data.heatmapRows;
      select(rows[idx[0]], rows[idx[1]], typeof p.z === "number" ? p.z : undefined);
    });
  }

  /* ---- near-duplicates and the layer figures ------------------------------------------- */

  function wireDuplicates() {
    var rows = document.querySelectorAll("#duplicate-table tbody tr");
    for (var r = 0; r < rows.length; r++) {
      rows[r].addEventListener("click", function (event) {
        var row = event.currentTarget;
        select(Number(row.dataset.index), Number(row.dataset.pair), Number(row.dataset.score));
      });
    }
  }

  /* Figures of optional sections: drawn when the page holds them, else the div is hidden. */
  function drawExtraFigures() {
    var divs = document.querySelectorAll("div.plot[data-extra-figure]");
    var jobs = [];
    for (var d = 0; d < divs.length; d++) {
      var id = divs[d].dataset.extraFigure;
      if (document.getElementById(id)) jobs.push(draw(divs[d], id));
      else divs[d].hidden = true;
    }
    return Promise.all(jobs);
  }

  function main() {
    fillTable();
    document.getElementById("download-table").addEventListener("click", downloadTable);
    fillAttentionSelect();
    fillPair();
    var jobs = [];
    var sim = document.getElementById("plot-similarity");
    var proj = document.getElementById("plot-projection");
    var contrib = document.getElementById("plot-contributions");
    jobs.push(draw(sim, "fig-similarity").then(function () { wireSimilarity(sim); }));
    jobs.push(draw(proj, "fig-projection").then(function () { wireProjection(proj); }));
    jobs.push(draw(contrib, "fig-contributions"));
    jobs.push(drawExtraFigures());
    wireDuplicates();
    Promise.all(jobs).then(function () {
      return select(data.initial);
    }).then(function () {
      document.body.dataset.ready = "true";
    });
  }

  main();
})();
