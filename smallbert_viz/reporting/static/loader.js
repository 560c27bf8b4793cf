/* smallbert-viz report loader: unpacks the page's packed blocks, then runs plotly.js and
 * report.js from them.
 *
 * Large data travels as base64 of raw DEFLATE in script elements of type
 * application/octet-stream (see reporting/render.py, Packer). The browser's own
 * DecompressionStream("deflate-raw") inflates it: no library, no network, works from file://. Numbers are little-endian typed arrays whose
 * bytes were shuffled (all first bytes, then all second bytes...) so that they compress well.
 * Only our own code (plotly.js, report.js) is run as script; data is only ever JSON.parse'd.
 */
(function () {
  "use strict";

  var TYPES = { i1: Int8Array, u1: Uint8Array, i2: Int16Array, u2: Uint16Array,
    i4: Int32Array, u4: Uint32Array, f4: Float32Array, f8: Float64Array, f2: Uint16Array };

  /* Timing marks for whoever profiles the page (benchmarks/bench_report.py reads them). */
  function mark(name) {
    if (window.performance && performance.mark) performance.mark("smallbert:" + name);
  }

  function measure(name, start) {
    if (window.performance && performance.measure) {
      performance.measure("smallbert:" + name, { start: start, end: performance.now() });
    }
  }

  function base64Bytes(id) {
    var node = document.getElementById(id);
    if (!node) throw new Error("packed block " + id + " is missing");
    return base64ToBytes(node.textContent);
  }

  /* Bytes of a base64 text. Uint8Array.fromBase64 (Chrome 140+, Firefox 133+, Safari 18.2+)
   * decodes without a binary string in between; the loop is for older browsers. */
  function base64ToBytes(text) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Response(stream).arrayBuffer();
  }

  /* IEEE half precision -> Float32Array (Float16Array is not in every browser yet). */
  function halfToFloat(bits) {
    var out = new Float32Array(bits.length);
    for (var i = 0; i < bits.length; i++) {
      var h = bits[i];
      var sign = h & 0x8000 ? -1 : 1;
      var exp = (h >> 10) & 0x1f;
      var frac = h & 0x3ff;
      if (exp === 0) out[i] = sign * frac * 5.960464477539063e-8; // 2^-24
      else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
      else out[i] = sign * (1 + frac / 1024) * Math.pow(2, exp - 15);
    }
    return out;
  }

  /* render.Packer.row_codes: an (N, k) array stored column by column, the first column's
   * codes then each next column's difference from the one before -> row-major Float32Array. */
  function rowValues(stored, ref) {
    var n = ref.rowShape[0];
    var k = ref.rowShape[1];
    var out = new Float32Array(n * k);
    for (var i = 0; i < n; i++) {
      var code = stored[i];
      out[i * k] = ref.lo + code * ref.step;
      for (var j = 1; j < k; j++) {
        var c = stored[j * n + i];
        code = ref.delta ? code - c : c;
        out[i * k + j] = ref.lo + code * ref.step;
      }
    }
    return out;
  }

  function unshuffle(bytes, itemsize) {
    if (itemsize === 1) return bytes;
    var n = bytes.length / itemsize;
    var out = new Uint8Array(bytes.length);
    for (var b = 0; b < itemsize; b++) {
      var base = b * n;
      for (var i = 0; i < n; i++) out[i * itemsize + b] = bytes[base + i];
    }
    return out;
  }

  /* A Packer reference -> Promise of its value: parsed JSON, a string, or a typed array
   * (float16 and uint16 codes come back as Float32Array). The shape stays in ref.shape. */
  function unpack(ref) {
    if (!ref) return Promise.resolve(null);
    var t0 = performance.now();
    return inflate(base64Bytes(ref.block)).then(function (buf) {
      measure("unpack " + ref.block, t0);
      if (ref.kind === "json") return JSON.parse(new TextDecoder().decode(buf));
      if (ref.kind === "text") return new TextDecoder().decode(buf);
      var Type = TYPES[ref.dtype];
      var bytes = ref.shuffled ? unshuffle(new Uint8Array(buf), Type.BYTES_PER_ELEMENT)
        : new Uint8Array(buf);
      var arr = new Type(bytes.buffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
      if (ref.dtype === "f2") return halfToFloat(arr);
      if (ref.rowShape) return rowValues(arr, ref);
      if (ref.step !== undefined) {  // uint16 codes: lo + code * step (render.Packer.codes)
        var values = new Float32Array(arr.length);
        for (var i = 0; i < arr.length; i++) values[i] = ref.lo + arr[i] * ref.step;
        return values;
      }
      return arr;
    });
  }

  window.smallbertReport = {
    unpack: unpack, base64ToBytes: base64ToBytes, mark: mark, measure: measure,
  };

  mark("loader-start");
  var refs = JSON.parse(document.getElementById("report-scripts").textContent);
  Promise.all(refs.map(unpack)).then(function (codes) {
    mark("scripts-unpacked");
    codes.forEach(function (code, k) {
      var script = document.createElement("script");
      script.text = code;
      document.body.appendChild(script);
      mark("script-" + k + "-run");
    });
  }).catch(function (err) {
    document.body.dataset.ready = "error";
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = "This report could not unpack its data (" + err + "). It needs a browser " +
      "with DecompressionStream (Chrome/Edge 80+, Firefox 113+, Safari 16.4+).";
    document.body.insertBefore(p, document.body.firstChild);
  });
})();
