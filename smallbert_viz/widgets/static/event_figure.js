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
          const want = (model.get("_data") ?? []).length;
          const have = (el.data ?? []).length;
          if (want > 0 && have === 0 && heals < 3) {
            heals += 1;
            if (typeof cleanup === "function") cleanup();
            el.replaceChildren();
            cleanup = inner.render({ model, el });
            if (typeof el.on === "function") listen(el, model);
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
        observer?.disconnect();
        clearInterval(timer);
        if (typeof cleanup === "function") cleanup();
      };
    },
  };
};
