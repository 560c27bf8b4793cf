// plotly's FigureWidget front end, plus click and selection events that a hover cannot lose.
//
// plotly.py's FigureWidget sends click, selection, hover and unhover on one synced trait
// (_js2py_pointsCallback). ipywidgets merges state changes that wait behind an unanswered
// message, so a hover right after a lasso can overwrite the selection before it reaches the
// kernel (plotly.py #3910). This module runs plotly's own front end unchanged (its bundle
// arrives in the _plotly_esm trait) and also reports every click and selection on a trait of
// its own (_sbv_click, _sbv_selection) that nothing else writes. Each event carries the number
// of the drawing it was made on (_sbv_draw, bumped by Python on every redraw), so the kernel can
// drop events that name points of a replaced drawing. Drawing waits until the element is laid
// out (see render).
//
// Large path (_sbv_large, a million points): plotly's widget would send every selected point as
// a JSON list and needs every hover text up front. There, once plotly's widget has attached its
// handlers (its "plotlywidget-after-render" event), its selection and hover handlers are removed;
// a selection goes to the kernel as one custom message with one binary buffer per trace (a
// bitmap of its points, or int32 point numbers when that is smaller: packPoints), and a hover
// asks the kernel for the point's text, shown with textContent (plain
// text: a sentence can never become markup or script).

const MODULES = Symbol.for("smallbert_viz.plotly_widget_modules");
let counter = 0;

/** plotly's widget module, imported once per page for each bundle source. */
function plotlyModule(source) {
  const cache = (globalThis[MODULES] ??= new Map());
  let promise = cache.get(source);
  if (!promise) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    promise = import(/* webpackIgnore: true */ url).finally(() => URL.revokeObjectURL(url));
    promise.catch(() => cache.delete(source)); // a failed import must not poison later widgets
    cache.set(source, promise);
  }
  return promise;
}

/** A unique id per event, so that two identical clicks are still two changes. */
function eventId() {
  counter += 1;
  return `${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Send one event; ``draw`` says which drawing of the figure it was made on. */
function send(model, name, payload) {
  model.set(name, { id: eventId(), draw: model.get("_sbv_draw"), ...payload });
  model.save_changes();
}

/** Parallel arrays of trace and point numbers of every selected point. */
function selectedPoints(event) {
  const traces = [];
  const points = [];
  for (const p of event?.points ?? []) {
    const numbers = p.pointNumbers ?? [p.pointNumber ?? p.pointIndex];
    for (const n of numbers) {
      traces.push(p.curveNumber);
      points.push(n);
    }
  }
  return { traces, points };
}

function listen(gd, model) {
  gd.on("plotly_selected", (event) => send(model, "_sbv_selection", selectedPoints(event)));
  gd.on("plotly_deselect", () => send(model, "_sbv_selection", { traces: [], points: [] }));
  gd.on("plotly_click", (event) => {
    const p = event?.points?.[0];
    if (p) send(model, "_sbv_click", { trace: p.curveNumber, point: p.pointNumber ?? p.pointIndex });
  });
}

/**
 * One trace's selected point numbers for the wire: [encoding, count, ArrayBuffer].
 *
 * "bits" is a bitmap (bit i, least significant first in byte i >> 3, set when point i is
 * selected; count is the number of set bits) whenever it is smaller than "int32" (four bytes a
 * point). A lasso of 100,000 of 200,000 points is then 25 KB instead of 400 KB. In the
 * JupyterLab test a large message reached the server seconds after it was sent, while the
 * browser was still drawing the selection; a small one gets through at once.
 */
function packPoints(list) {
  let max = -1;
  for (const n of list) if (n > max) max = n;
  const size = (max + 8) >> 3;
  if (size < list.length * 4) {
    const bits = new Uint8Array(size);
    let count = 0;
    for (const n of list) {
      const byte = n >> 3;
      const bit = 1 << (n & 7);
      if ((bits[byte] & bit) === 0) count += 1;
      bits[byte] |= bit;
    }
    return ["bits", count, bits.buffer];
  }
  return ["int32", list.length, Int32Array.from(list).buffer];
}

/** Large path: binary selections, and hover text asked of the kernel. */
function listenLarge(gd, model, tip) {
  const names = ["plotly_selected", "plotly_deselect", "plotly_hover", "plotly_unhover"];
  for (const name of [...names, "plotly_click"]) gd.removeAllListeners?.(name);
  gd.on("plotly_click", (event) => {
    const p = event?.points?.[0];
    if (p) send(model, "_sbv_click", { trace: p.curveNumber, point: p.pointNumber ?? p.pointIndex });
  });
  const sendSelection = (points) => {
    // Point numbers per trace, in the order plotly.js listed them.
    const byTrace = new Map();
    let k = 0;
    for (let i = 0; i < points.length; i++) {
      const p = points[i];
      let list = byTrace.get(p.curveNumber);
      if (list === undefined) byTrace.set(p.curveNumber, (list = []));
      const many = p.pointNumbers;
      if (many) {
        for (const m of many) list.push(m);
        k += many.length;
      } else {
        list.push(p.pointNumber ?? p.pointIndex);
        k += 1;
      }
    }
    const parts = [];
    const buffers = [];
    for (const [trace, list] of byTrace) {
      const [encoding, count, buffer] = packPoints(list);
      parts.push({ trace, encoding, count });
      buffers.push(buffer);
    }
    gd.dataset.sbvSelected = String(k); // what the browser selected (tests compare the kernel's)
    const draw = model.get("_sbv_draw");
    const content = { kind: "selection", id: eventId(), draw, n: k, parts, sent: Date.now() };
    model.send(content, undefined, buffers);
  };
  gd.on("plotly_selected", (event) => sendSelection(event?.points ?? []));
  gd.on("plotly_deselect", () => sendSelection([]));
  gd.on("plotly_hover", (event) => {
    const p = event?.points?.[0];
    if (!p) return;
    tip.seq += 1;
    tip.x = event.event?.clientX ?? 0;
    tip.y = event.event?.clientY ?? 0;
    tip.want = {
      kind: "hover",
      seq: tip.seq,
      draw: model.get("_sbv_draw"),
      trace: p.curveNumber,
      point: p.pointNumber ?? p.pointIndex,
    };
    tip.ask();
  });
  gd.on("plotly_unhover", () => {
    tip.seq += 1;
    tip.el.style.display = "none";
  });
}

/** The tooltip of the large path: a fixed box filled with textContent only. */
function hoverTip(model) {
  const el = document.createElement("div");
  el.className = "smallbert-viz-hover";
  Object.assign(el.style, {
    position: "fixed", display: "none", zIndex: "10000", pointerEvents: "none",
    maxWidth: "420px", padding: "4px 6px", font: "12px sans-serif", whiteSpace: "pre-wrap",
    background: "rgba(255,255,255,0.95)", border: "1px solid #888", borderRadius: "3px",
  });
  document.body.appendChild(el);
  // One hover request in flight at a time (the latest waits): moving across a million points
  // must not queue thousands of requests in front of a selection.
  const tip = { el, seq: 0, x: 0, y: 0, want: null, busy: false };
  tip.ask = () => {
    if (tip.busy || tip.want === null) return;
    tip.busy = true;
    model.send(tip.want);
    tip.want = null;
    const mine = (tip.asked = (tip.asked ?? 0) + 1);
    setTimeout(() => {
      if (tip.busy && tip.asked === mine) { // a lost answer must not block later hovers
        tip.busy = false;
        tip.ask();
      }
    }, 2000);
  };
  tip.onMessage = (msg) => {
    if (msg?.kind !== "hover") return;
    tip.busy = false;
    tip.ask();
    if (msg.seq !== tip.seq) return; // a newer hover or an unhover
    if (typeof msg.text !== "string" || msg.text === "") {
      el.style.display = "none";
      return;
    }
    el.textContent = msg.text; // text, never HTML
    el.style.left = `${tip.x + 12}px`;
    el.style.top = `${tip.y + 12}px`;
    el.style.display = "block";
  };
  model.on("msg:custom", tip.onMessage);
  return tip;
}

export default () => {
  let inner;
  return {
    async initialize({ model }) {
      const plotly = await plotlyModule(model.get("_plotly_esm"));
      inner = typeof plotly.default === "function" ? await plotly.default() : plotly.default;
      return inner.initialize?.({ model });
    },
    render({ model, el }) {
      let cleanup = null;
      let observer = null;
      let timer = null;
      const large = model.get("_sbv_large") === true;
      const tip = large ? hoverTip(model) : null;
      // plotly's widget attaches its handlers after newPlot; replace some of them then (and
      // again after every redraw that attaches them anew).
      const afterRender = (event) => {
        if (event.detail?.element === el) listenLarge(el, model, tip);
      };
      if (large) document.addEventListener("plotlywidget-after-render", afterRender);
      // JupyterLab renders before el is in the page, and Explorer tabs hide it with
      // display:none; plotly would measure the title there (height 0) and draw the subtitle
      // over it. So draw once el is laid out (it has a box, even an empty 0 x 0 one). A
      // ResizeObserver answers at once when el is attached; a slow poll catches a tab being
      // shown, which need not change el's own (empty) size.
      const draw = () => {
        if (cleanup !== null || el.getClientRects().length === 0) return;
        observer?.disconnect();
        clearInterval(timer);
        cleanup = inner.render({ model, el });
        heal();
        if (large) return; // listenLarge, once plotly's widget has attached its handlers
        // plotly.js sets up el.on synchronously in newPlot; if a later plotly does not, wait
        // for the event its widget sends once its own handlers are attached.
        if (typeof el.on === "function") {
          listen(el, model);
        } else {
          const rendered = (event) => {
            if (event.detail?.element !== el) return;
            document.removeEventListener("plotlywidget-after-render", rendered);
            listen(el, model);
          };
          document.addEventListener("plotlywidget-after-render", rendered);
        }
      };
      // Jupyter Notebook 7 can draw the first plot widget of a page before its figure data
      // is in the model: plotly.js then shows empty axes for good. If the drawing has no
      // traces while the model has some, draw again (a few times, then give up).
      let heals = 0;
      const heal = () => {
        setTimeout(() => {
          // plotly 6+ syncs the traces as _widget_data (older front ends: _data).
          const want = (model.get("_widget_data") ?? model.get("_data") ?? []).length;
          const have = (el.data ?? []).length;
          if (want > 0 && have === 0 && heals < 3) {
            heals += 1;
            if (typeof cleanup === "function") cleanup();
            el.replaceChildren();
            cleanup = inner.render({ model, el });
            if (!large && typeof el.on === "function") listen(el, model);
            heal();
          }
        }, 400 * (heals + 1));
      };
      draw();
      if (cleanup === null) {
        observer = new ResizeObserver(draw);
        observer.observe(el);
        timer = setInterval(draw, 250);
      }
      return () => {
        if (large) {
          document.removeEventListener("plotlywidget-after-render", afterRender);
          model.off("msg:custom", tip.onMessage);
          tip.el.remove();
        }
        observer?.disconnect();
        clearInterval(timer);
        if (typeof cleanup === "function") cleanup();
      };
    },
  };
};
