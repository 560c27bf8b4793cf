// plotly's FigureWidget front end, plus click and selection events that a hover cannot lose.
//
// plotly.py's FigureWidget sends click, selection, hover and unhover on one synced trait
// (_js2py_pointsCallback). ipywidgets merges state changes that wait behind an unanswered
// message, so a hover right after a lasso can overwrite the selection before it reaches the
// kernel (plotly.py #3910). This module runs plotly's own front end unchanged (its bundle
// arrives in the _plotly_esm trait) and also reports every click and selection on a trait of
// its own (_sbv_click, _sbv_selection) that nothing else writes.

const MODULES = Symbol.for("smallbert_viz.plotly_widget_modules");
let counter = 0;

/** plotly's widget module, imported once per page for each bundle source. */
function plotlyModule(source) {
  const cache = (globalThis[MODULES] ??= new Map());
  let promise = cache.get(source);
  if (!promise) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    promise = import(/* webpackIgnore: true */ url).finally(() => URL.revokeObjectURL(url));
    cache.set(source, promise);
  }
  return promise;
}

/** A unique id per event, so that two identical clicks are still two changes. */
function eventId() {
  counter += 1;
  return `${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

function send(model, name, payload) {
  model.set(name, { id: eventId(), ...payload });
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
      // plotly draws into el itself and announces when its own handlers are attached.
      const rendered = (event) => {
        if (event.detail?.element !== el) return;
        document.removeEventListener("plotlywidget-after-render", rendered);
        listen(el, model);
      };
      document.addEventListener("plotlywidget-after-render", rendered);
      let cleanup = null;
      let frame = null;
      const start = performance.now();
      // JupyterLab calls render before el is in the page. plotly measures the title there
      // (height 0) and draws the subtitle on top of it, so wait until el is laid out.
      const draw = () => {
        frame = null;
        if (el.getClientRects().length === 0 && performance.now() - start < 5000) {
          frame = requestAnimationFrame(draw);
          return;
        }
        cleanup = inner.render({ model, el });
      };
      draw();
      return () => {
        if (frame !== null) cancelAnimationFrame(frame);
        document.removeEventListener("plotlywidget-after-render", rendered);
        if (typeof cleanup === "function") cleanup();
      };
    },
  };
};
