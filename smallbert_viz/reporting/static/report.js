/* smallbert-viz standalone report: draws the figures from the page's JSON blocks and links them.
 *
 * Packed by smallbert_viz/reporting/render.py at build time and run by loader.js once unpacked
 * (window.smallbertReport.unpack reads the packed data blocks). Every piece of user text goes
 * into the page through textContent, never innerHTML; plotly hover text is escaped here the way
 * figures/_common.py escapes it. Nothing is fetched. The sentence table holds one page of rows;
 * its search looks through all texts.
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
   * render.quantize). A symmetric matrix sends only its upper triangle, row by row. Read as
   * one Uint16Array: typed arrays use the platform's byte order, little-endian in every
   * browser (the loader's unpack relies on it too). */
  function decodeQuantized(q) {
    var bytes = window.smallbertReport.base64ToBytes(q.bdata);
    var codes = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    var nRows = q.shape[0];
    var nCols = q.shape[1];
    var rows = new Array(nRows);
    var r, c, code;
    for (r = 0; r < nRows; r++) rows[r] = new Float32Array(nCols);
    var k = 0;
    for (r = 0; r < nRows; r++) {
      for (c = q.triangle ? r : 0; c < nCols; c++) {
        code = codes[k];
        k++;
        var value = code === q.nanCode ? NaN : q.lo + code * q.step;
        rows[r][c] = value;
        if (q.triangle) rows[c][r] = value;
      }
    }
    return rows;
  }

  /* Hover text of a sentence, as figures/_common.py safe_wrapped makes it: whitespace
   * squashed, cut to maxChars with an ellipsis, wrapped at 80 characters, each line escaped so
   * that plotly shows the characters (& < > " ' $ %) and never markup. */
  var NEEDS_ESCAPE = /[&<>"'$%]/;
  function escapeText(text) {
    if (!NEEDS_ESCAPE.test(text)) return text;
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;").replace(/'/g, "&#39;").replace(/\$/g, "&#36;")
      .replace(/%/g, "&#37;");
  }

  function shortText(raw, maxChars) {
    var text = String(raw).split(/\s+/).filter(Boolean).join(" ");
    if (text.length > maxChars) text = text.slice(0, Math.max(maxChars - 1, 0)).trimEnd() + "\u2026";
    return text;
  }

  function hoverText(raw, maxChars) {
    var text = shortText(raw, maxChars);
    var lines = [];
    var line = "";
    text.split(" ").forEach(function (word) {
      while (word.length > 80) {  // long words are broken too
        if (line) { lines.push(line); line = ""; }
        lines.push(word.slice(0, 80));
        word = word.slice(80);
      }
      if (!word) return;
      if (line && line.length + 1 + word.length > 80) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines.map(escapeText).join("<br>");
  }

  /* Hover text of sentence r, made the first time plotly asks for it and kept: the traces of
   * one page share it, and a page of 10^6 points never builds strings nobody hovers over. */
  var hoverCache = [];
  function hoverOf(r) {
    var h = hoverCache[r];
    if (h === undefined) { h = hoverText(texts[r], data.hoverMaxChars); hoverCache[r] = h; }
    return h;
  }

  /* An array-like plotly reads as a trace's hovertext: element k is hoverOf(rows[k]), made on
   * access. A Proxy of a real array, so Array.isArray and length hold as plotly expects. */
  function lazyHover(rows) {
    var target = new Array(rows.length);
    return new Proxy(target, {
      get: function (t, prop) {
        if (typeof prop === "string") {
          var k = +prop;
          if (k >= 0 && k < rows.length && (k | 0) === k && prop !== "") return hoverOf(rows[k]);
        }
        return Reflect.get(t, prop);
      },
    });
  }

  /* A scatter trace of sentences holds only references ("points"): rows, optional colours. */
  function fillPoints(trace) {
    var pts = trace.points;
    delete trace.points;
    return Promise.all([unpack(pts.rows), unpack(pts.color)]).then(function (got) {
      var rows = got[0];
      var m = rows.length;
      var dims = data.coords.shape[1];
      var x = new Float32Array(m);
      var y = new Float32Array(m);
      var z = dims === 3 ? new Float32Array(m) : null;
      for (var k = 0; k < m; k++) {
        var r = rows[k];
        x[k] = coords[r * dims];
        y[k] = coords[r * dims + 1];
        if (z) z[k] = coords[r * dims + 2];
      }
      trace.x = x;
      trace.y = y;
      if (z) trace.z = z;
      trace.customdata = rows;
      trace.hovertext = lazyHover(rows);
      if (got[1]) trace.marker.color = got[1];
    });
  }

  function loadFigure(id) {
    if (figureCache[id]) return figureCache[id];
    var spec = readJSON(id);
    if (!spec) return Promise.resolve(null);
    var jobs = [];
    ["xaxis", "yaxis"].forEach(function (axis) {
      var ax = spec.layout[axis];
      if (ax && ax.ticktext && ax.ticktext.sentenceRows) {
        ax.ticktext = data.heatmapRows.map(function (i) {
          return escapeText(shortText(texts[i], ax.ticktext.maxChars));
        });
      }
    });
    spec.data.forEach(function (trace) {
      if (trace.y && trace.y.sentenceRows) {  // "#<row> [label]: <text>" (render.sentence_categories)
        var labelled = trace.y.labelled && labels;
        trace.y = data.heatmapRows.map(function (i) {
          return "#" + i + (labelled ? " [" + escapeText(labels[i]) + "]" : "") + ": " +
            hoverText(texts[i], Infinity);
        });
      }
      if (trace.z && trace.z.quantized) trace.z = decodeQuantized(trace.z.quantized);
      if (trace.xFromY) {
        trace.x = trace.y;
        delete trace.xFromY;
      }
      if (trace.points) jobs.push(fillPoints(trace));
    });
    var first = data.initial;
    if (id === "fig-projection" && state.selected === null && first >= 0 && first < n) {
      // The first selected sentence's marker, drawn with the figure (see markProjection).
      var marker = selectedAnnotation(first);
      if (marker) spec.layout.annotations = (spec.layout.annotations || []).concat([marker]);
    }
    figureCache[id] = Promise.all(jobs).then(function () { return spec; });
    return figureCache[id];
  }

  function draw(div, figureId) {
    var t0 = performance.now();
    return loadFigure(figureId).then(function (spec) {
      if (!spec) return null;
      measure("prepare " + figureId, t0);
      var t1 = performance.now();
      return Promise.resolve(Plotly.react(div, spec.data, spec.layout, PLOT_CONFIG))
        .then(function (gd) { measure("draw " + figureId, t1); return gd; });
    });
  }

  /* Figures below the main two are drawn when they come near the viewport, or, once the page
   * is ready, one by one while the browser is idle: opening the page waits only for the table,
   * the heatmap and the projection. body[data-drawn="all"] says every figure is drawn. */
  var lazy = { released: false, observer: null, divs: [] };

  function drawLazy(div, figureId) {
    if (lazy.released || div.dataset.seen === "true" || !window.IntersectionObserver) {
      delete div.dataset.pendingFigure;
      return draw(div, figureId);
    }
    div.dataset.pendingFigure = figureId;
    if (!lazy.observer) {
      lazy.observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          var target = entry.target;
          target.dataset.seen = "true";
          lazy.observer.unobserve(target);
          drawPending(target);
        });
      }, { rootMargin: "800px 0px" });
    }
    if (lazy.divs.indexOf(div) < 0) { lazy.divs.push(div); lazy.observer.observe(div); }
    return Promise.resolve(null);
  }

  function drawPending(div) {
    var id = div.dataset.pendingFigure;
    delete div.dataset.pendingFigure;
    return id && !div.hidden ? draw(div, id) : Promise.resolve(null);
  }

  /* After ready: draw what is still pending, one figure per idle period. */
  function releaseLazy() {
    lazy.released = true;
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 0); };
    var queue = lazy.divs.slice();
    function next() {
      var div = queue.shift();
      if (!div) {
        mark("all-drawn");
        document.body.dataset.drawn = "all";
        return;
      }
      idle(function () { drawPending(div).then(next, next); }, { timeout: 500 });
    }
    // After the next frame, so that the ready page is painted before the first of them.
    requestAnimationFrame(function () { setTimeout(next, 0); });
  }

  var unpack = window.smallbertReport.unpack;
  var mark = window.smallbertReport.mark;
  var measure = window.smallbertReport.measure;
  var data = readJSON("report-data");
  var n = data.n;
  var texts = null;  // filled by unpackData
  var labels = null;
  var coords = null;
  var nbIndices = null;
  var nbScores = null;
  var nbK = data.neighbors.indices.shape[1];
  var state = { selected: null, lasso: [], matches: null, page: 0, lower: null };

  function unpackData() {
    var lab = data.labels;
    return Promise.all([
      unpack(data.texts), lab ? unpack(lab.codes) : null, unpack(data.coords),
      unpack(data.neighbors.indices), unpack(data.neighbors.scores),
    ]).then(function (got) {
      texts = got[0];
      if (lab) {
        var codes = got[1];
        labels = new Array(n);
        for (var i = 0; i < n; i++) labels[i] = lab.names[codes[i]];
      }
      coords = got[2];
      nbIndices = got[3];
      nbScores = got[4];
      // What the page holds, for whoever inspects it (tests, the console).
      mark("data-unpacked");
      window.smallbertReport.data = {
        texts: texts, labels: labels, coords: coords, dims: data.coords.shape[1],
        neighbors: { indices: nbIndices, scores: nbScores, k: nbK },
      };
    });
  }

  function labelOf(i) {
    return labels ? labels[i] : "";
  }

  function neighborOf(i, k) {
    return nbIndices[i * nbK + k];
  }

  function scoreOf(i, k) {
    return nbScores[i * nbK + k];
  }

  /* ---- the linked view ------------------------------------------------------------------- */

  function fillNeighbors(i) {
    var body = document.querySelector("#neighbor-table tbody");
    body.replaceChildren();
    for (var k = 0; k < nbK; k++) {
      var j = neighborOf(i, k);
      var tr = el("tr");
      tr.dataset.index = String(j);
      tr.appendChild(el("td", "#" + j, "num"));
      tr.appendChild(el("td", scoreOf(i, k).toFixed(4), "num"));
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
      return drawLazy(plot, figureId);
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
    delete plot.dataset.pendingFigure;
    Plotly.purge(plot);
    plot.hidden = true;
    return Promise.resolve(null);
  }

  /* The projection's marker of sentence i (2-D only: a 3-D scene has no such annotation). */
  function selectedAnnotation(i) {
    var dims = data.coords.shape[1];
    if (dims !== 2) return null;
    return {
      name: "selected", x: coords[i * dims], y: coords[i * dims + 1], xref: "x", yref: "y",
      text: "#" + i, showarrow: true, arrowhead: 2, ax: 30, ay: -30,
      bgcolor: "rgba(255,255,255,0.85)", bordercolor: "#333",
    };
  }

  function markProjection(i) {
    var gd = document.getElementById("plot-projection");
    var marker = selectedAnnotation(i);
    if (!gd || !gd.layout || !marker) return;
    // Keep the figure's own annotations (the cluster keywords); replace only the marker.
    var own = [], current = null;
    (gd.layout.annotations || []).forEach(function (a) {
      if (a.name === "selected") current = a; else own.push(a);
    });
    // Already there (the first selection is drawn with the figure): a relayout would redraw
    // the whole scatter for nothing, a quarter of a second at 100,000 points.
    if (current && current.text === marker.text) return;
    Plotly.relayout(gd, { annotations: own.concat([marker]) });
  }

  function markTable(i) {
    // Show the page that holds sentence i (within the current search, if it is a match).
    var list = state.matches;
    var pos = list ? list.indexOf(i) : i;
    if (pos >= 0) {
      var page = Math.floor(pos / data.pageRows);
      if (page !== state.page) { state.page = page; renderTable(); }
    }
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

  /* One page of rows (data.pageRows) of all sentences or of the search's matches. */
  function renderTable() {
    var body = document.querySelector("#sentence-table tbody");
    var list = state.matches;
    var total = list ? list.length : n;
    var pages = Math.max(1, Math.ceil(total / data.pageRows));
    state.page = Math.min(Math.max(state.page, 0), pages - 1);
    var start = state.page * data.pageRows;
    var stop = Math.min(total, start + data.pageRows);
    var frag = document.createDocumentFragment();
    for (var p = start; p < stop; p++) {
      var i = list ? list[p] : p;
      var j = neighborOf(i, 0);
      var tr = el("tr");
      tr.dataset.index = String(i);
      if (i === state.selected) tr.className = "current";
      tr.appendChild(el("td", "#" + i, "num"));
      tr.appendChild(el("td", labelOf(i)));
      tr.appendChild(el("td", texts[i], "text"));
      tr.appendChild(el("td", "#" + j + " " + texts[j], "text"));
      tr.appendChild(el("td", scoreOf(i, 0).toFixed(4), "num"));
      tr.addEventListener("click", onRowClick);
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
    var status = document.getElementById("table-status");
    status.textContent = (total ? (start + 1).toLocaleString("en") + "\u2013" +
      stop.toLocaleString("en") : "0") + " of " + total.toLocaleString("en") +
      (list ? " matching sentences" : " sentences") + " (page " + (state.page + 1) + " of " +
      pages + ")";
    document.getElementById("table-prev").disabled = state.page === 0;
    document.getElementById("table-next").disabled = state.page >= pages - 1;
  }

  function search(query) {
    var q = query.toLowerCase();
    if (!q) { state.matches = null; state.page = 0; renderTable(); return; }
    if (!state.lower) {
      state.lower = texts.map(function (t) { return t.toLowerCase(); });
      state.lowerLabels = labels ? labels.map(function (t) { return t.toLowerCase(); }) : null;
    }
    var hits = [];
    for (var i = 0; i < n; i++) {
      if (state.lower[i].indexOf(q) >= 0 ||
          (state.lowerLabels && state.lowerLabels[i].indexOf(q) >= 0)) hits.push(i);
    }
    state.matches = hits;
    state.page = 0;
    renderTable();
  }

  function fillTable() {
    renderTable();
    document.getElementById("table-prev").addEventListener("click", function () {
      state.page -= 1;
      renderTable();
    });
    document.getElementById("table-next").addEventListener("click", function () {
      state.page += 1;
      renderTable();
    });
    var filter = document.getElementById("table-filter");
    var timer = null;
    filter.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(filter.value); }, n > 20000 ? 200 : 0);
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
      var j = neighborOf(i, 0);
      rows.push([i, labelOf(i), texts[i], j, texts[j], Number(scoreOf(i, 0).toFixed(6))]);
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
    var cells = document.querySelectorAll("#duplicate-table td[data-text]");
    for (var c = 0; c < cells.length; c++) {
      cells[c].textContent = texts[Number(cells[c].dataset.text)];
    }
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
      if (document.getElementById(id)) jobs.push(drawLazy(divs[d], id));
      else divs[d].hidden = true;
    }
    return Promise.all(jobs);
  }

  function main() {
    fillTable();
    mark("table-filled");
    document.getElementById("download-table").addEventListener("click", downloadTable);
    fillAttentionSelect();
    fillPair();
    var jobs = [];
    var sim = document.getElementById("plot-similarity");
    var proj = document.getElementById("plot-projection");
    var contrib = document.getElementById("plot-contributions");
    jobs.push(draw(sim, "fig-similarity").then(function () { wireSimilarity(sim); }));
    jobs.push(draw(proj, "fig-projection").then(function () { wireProjection(proj); }));
    jobs.push(drawLazy(contrib, "fig-contributions"));
    jobs.push(drawExtraFigures());
    wireDuplicates();
    Promise.all(jobs).then(function () {
      return select(data.initial);
    }).then(function () {
      mark("ready");
      document.body.dataset.ready = "true";
      releaseLazy();
    });
  }

  unpackData().then(main);
})();
