/* weightflow frame player: one time cursor over a run's recorded frames.
 *
 * Plain JavaScript, no dependencies, no network. Usage:
 *   weightflowPlayer.create(rootElement, payload, {views: [...]})
 * where payload is the JSON built by weightflow.report.payload.build_payload. Every view is an
 * object {draw(frame)}; the player calls each one when the cursor moves. User strings (feature,
 * class and run names) only ever reach the page through textContent or canvas fillText.
 *
 * Test hooks: weightflowPlayer.instances[i].show(frame) -> repaint ms, .forward(frame, points, member).
 */
(function () {
  "use strict";
  if (window.weightflowPlayer) return;

  // ------------------------------------------------------------------ decoding
  function halfToFloat(h) {
    var s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
    if (e === 31) return f ? NaN : s * Infinity;
    return s * Math.pow(2, e - 15) * (1 + f / 1024);
  }
  function decode(blob) {
    var bin = atob(blob.b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (blob.dtype === "float32") return new Float32Array(bytes.buffer);
    var half = new Uint16Array(bytes.buffer), out = new Float32Array(half.length);
    for (var j = 0; j < half.length; j++) out[j] = halfToFloat(half[j]);
    return out;
  }
  function prod(a) { return a.reduce(function (x, y) { return x * y; }, 1); }

  // ------------------------------------------------------------------ model
  var LEAKY_SLOPE = 0.01;  // weightflow/activations.py
  function tanh(z) {  // expm1 is 2-3x faster than Math.tanh in V8 and as exact (to ~1e-16 absolute)
    if (z > 20) return 1;
    if (z < -20) return -1;
    var t = Math.expm1(2 * z);
    return t / (t + 2);
  }
  function sigmoid(z) { return 0.5 * (1 + tanh(0.5 * z)); }  // as numpy_activation: cannot overflow
  /* Apply a hidden activation in place; one loop per kind keeps each loop monomorphic (fast). */
  function activate(name, z) {
    var i, n = z.length;
    if (name === "tanh") for (i = 0; i < n; i++) z[i] = tanh(z[i]);
    else if (name === "sigmoid") for (i = 0; i < n; i++) z[i] = sigmoid(z[i]);
    else if (name === "relu") for (i = 0; i < n; i++) z[i] = z[i] > 0 ? z[i] : 0;
    else if (name === "leaky-relu") for (i = 0; i < n; i++) z[i] = z[i] >= 0 ? z[i] : LEAKY_SLOPE * z[i];
  }

  /* Forward pass of an MLP. layers: [{W (in*out, row-major), b (out) or null, nin, nout}];
   * X: Float64Array (n*d). Returns {out: Float64Array(n*K) output activation, hidden: [n*h per layer]}.
   * pool (optional, {}): reuse its buffers between calls instead of allocating (no GC pauses while playing). */
  function forward(model, layers, X, n, keepHidden, pool) {
    var h = X, hidden = [], L = layers.length;
    for (var l = 0; l < L; l++) {
      var nin = layers[l].nin, nout = layers[l].nout, W = Float64Array.from(layers[l].W);
      var b = layers[l].b ? Float64Array.from(layers[l].b) : new Float64Array(nout), z;
      if (!pool) z = new Float64Array(n * nout);
      else z = pool[l] && pool[l].length === n * nout ? pool[l] : (pool[l] = new Float64Array(n * nout));
      for (var s = 0; s < n; s++) {
        var hi = s * nin, zo = s * nout;
        for (var j = 0; j < nout; j++) z[zo + j] = b[j];
        for (var i = 0; i < nin; i++) {
          var v = h[hi + i], wi = i * nout;
          for (var k = 0; k < nout; k++) z[zo + k] += v * W[wi + k];
        }
      }
      if (l < L - 1) { activate(model.activations[l], z); if (keepHidden) hidden.push(z); }
      h = z;
    }
    outputActivation(model.output, h, n, layers[L - 1].nout);
    return {out: h, hidden: hidden};
  }
  function outputActivation(kind, z, n, K) {
    if (kind === "sigmoid") { for (var i = 0; i < z.length; i++) z[i] = sigmoid(z[i]); return; }
    if (kind !== "softmax") return;
    for (var s = 0; s < n; s++) {
      var o = s * K, m = -Infinity, sum = 0, k;
      for (k = 0; k < K; k++) m = Math.max(m, z[o + k]);
      for (k = 0; k < K; k++) { z[o + k] = Math.exp(z[o + k] - m); sum += z[o + k]; }
      for (k = 0; k < K; k++) z[o + k] /= sum;
    }
  }
  function predictClass(out, s, K) {
    if (K === 1) return out[s] >= 0.5 ? 1 : 0;
    var best = 0;
    for (var k = 1; k < K; k++) if (out[s * K + k] > out[s * K + best]) best = k;
    return best;
  }

  // ------------------------------------------------------------------ colours
  var LUT = (function () {  // diverging blue - white - red, 256 entries for v in [-1, 1]
    var t = new Uint8ClampedArray(256 * 3);
    for (var i = 0; i < 256; i++) {
      var v = i / 127.5 - 1, a = Math.min(1, Math.abs(v));
      var c = v < 0 ? [33, 102, 172] : [178, 24, 43];
      for (var k = 0; k < 3; k++) t[3 * i + k] = Math.round(247 + (c[k] - 247) * Math.pow(a, 0.8));
    }
    return t;
  })();
  function lutIndex(v) { return Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))); }
  function divColor(v) { var i = 3 * lutIndex(v); return "rgb(" + LUT[i] + "," + LUT[i + 1] + "," + LUT[i + 2] + ")"; }
  var CLASS_RGB = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
    [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
  function classRGB(k) { return CLASS_RGB[k % CLASS_RGB.length]; }
  function rgbCss(c, a) { return "rgba(" + c[0] + "," + c[1] + "," + c[2] + "," + (a === undefined ? 1 : a) + ")"; }

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function canvas(w, h, cls) {
    var c = el("canvas", cls); c.width = w; c.height = h; return c;
  }
  function panel(player, title, note, wide) {
    var p = el("section", wide ? "wf-panel wf-wide" : "wf-panel");
    p.appendChild(el("h3", null, title));
    if (note) p.appendChild(el("p", "wf-note", note));
    player.panels.appendChild(p);
    return p;
  }
  /* A canvas backing width that fits the panel (so text stays legible on a phone), in [lo, hi]. */
  function fitWidth(parent, lo, hi) {
    var w = parent.clientWidth - 22;
    return Math.round(Math.max(lo, Math.min(hi, w > 0 ? w : hi)));
  }
  function eventXY(c, ev) {  // canvas backing-store coordinates of a mouse event
    var r = c.getBoundingClientRect();
    return [(ev.clientX - r.left) * c.width / r.width, (ev.clientY - r.top) * c.height / r.height];
  }
  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) return "-";
    var a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e4)) ? v.toExponential(2) : v.toPrecision(4).replace(/\.?0+$/, "");
  }

  // ------------------------------------------------------------------ the player
  function Player(root, payload, options) {
    this.root = root; this.p = payload; this.options = options || {};
    this.model = payload.model; this.F = payload.frames.count; this.frame = 0;
    this.M = payload.frames.members ? payload.frames.members.length : 1;
    this.params = payload.model.param_names.map(function (name) { return decode(payload.frames.params[name]); });
    this.sizes = payload.model.param_shapes.map(prod);
    this.views = []; this.timer = null; this.lastRepaint = 0; this.member = 0;  // index into frames.members
    this.data = payload.data ? decodeData(payload.data, this.model.sizes[0]) : null;
    this.build();
  }
  function decodeData(data, d) {
    var out = {Xtr: decode(data.X_train), ytr: data.y_train, Xte: decode(data.X_test), yte: data.y_test};
    out.ntr = out.ytr.length; out.nte = out.yte.length; out.d = d;
    return out;
  }

  /* The values of parameter p at frame f (member m), a Float32Array view. */
  Player.prototype.param = function (p, f, m) {
    var size = this.sizes[p], off = ((m || 0) * this.F + f) * size;
    return this.params[p].subarray(off, off + size);
  };
  Player.prototype.layers = function (f, m) {
    var out = [], sizes = this.model.sizes, bias = this.model.bias;
    for (var l = 0; l < sizes.length - 1; l++) {
      var iw = bias ? 2 * l : l;
      out.push({W: this.param(iw, f, m), b: bias ? this.param(iw + 1, f, m) : null, nin: sizes[l], nout: sizes[l + 1]});
    }
    return out;
  };
  /* Test hook: the output activation at frame f for points [[x1..xd], ...], as nested arrays. */
  Player.prototype.forward = function (f, points, m) {
    var d = this.model.sizes[0], K = this.model.sizes[this.model.sizes.length - 1];
    var X = new Float64Array(points.length * d);
    points.forEach(function (pt, s) { for (var i = 0; i < d; i++) X[s * d + i] = pt[i]; });
    var out = forward(this.model, this.layers(f, m), X, points.length, false).out, res = [];
    for (var s = 0; s < points.length; s++) res.push(Array.prototype.slice.call(out, s * K, (s + 1) * K));
    return res;
  };
  Player.prototype.show = function (f) {
    f = Math.max(0, Math.min(this.F - 1, f | 0));
    this.frame = f;
    var t0 = performance.now();
    this.slider.value = String(f);
    this.updateLabel();
    for (var i = 0; i < this.views.length; i++) this.views[i].draw(f);
    this.lastRepaint = performance.now() - t0;
    return this.lastRepaint;
  };
  Player.prototype.historyAt = function (col, f) {
    var h = this.p.history[col];
    if (!h) return null;
    return Array.isArray(h) ? h[f] : (h.q50 ? h.q50[f] : null);
  };
  Player.prototype.updateLabel = function () {
    var f = this.frame, parts = ["step " + this.p.steps[f]];
    var loss = this.historyAt("train_loss", f), acc = this.historyAt("train_accuracy", f);
    var pre = this.p.population ? "median " : "";
    if (loss !== null) parts.push(pre + "loss " + fmt(loss));
    if (acc !== null) parts.push(pre + "accuracy " + fmt(acc));
    parts.push("frame " + (f + 1) + " / " + this.F);
    this.label.textContent = parts.join(" \u00b7 ");
  };
  Player.prototype.stepOf = function (f) { return this.p.steps[f]; };
  Player.prototype.frameOfStep = function (step) {
    var s = this.p.steps, lo = 0, hi = s.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (s[mid] <= step) lo = mid; else hi = mid; }
    return Math.abs(s[hi] - step) < Math.abs(step - s[lo]) ? hi : lo;
  };
  Player.prototype.play = function () {
    var self = this;
    if (this.timer) { clearInterval(this.timer); this.timer = null; this.playButton.textContent = "\u25b6 play"; return; }
    if (this.frame >= this.F - 1) this.show(0);
    this.playButton.textContent = "\u275a\u275a pause";
    var last = performance.now(), acc = 0;
    this.timer = setInterval(function () {
      var now = performance.now(), speed = parseFloat(self.speed.value);
      acc += (now - last) / 1000 * speed * Math.max(1, self.F / 10); last = now;  // whole run in ~10 s at 1x
      if (acc < 1) return;
      var next = self.frame + Math.floor(acc); acc -= Math.floor(acc);
      if (next >= self.F - 1) { self.show(self.F - 1); self.play(); return; }
      self.show(next);
    }, 33);
  };

  Player.prototype.build = function () {
    var self = this, bar = el("div", "wf-bar");
    this.playButton = el("button", "wf-play", "\u25b6 play");
    this.playButton.type = "button";
    this.playButton.addEventListener("click", function () { self.play(); });
    this.speed = el("select", "wf-speed");
    [0.25, 0.5, 1, 2, 4].forEach(function (s) {
      var o = el("option", null, s + "\u00d7"); o.value = String(s); if (s === 1) o.selected = true;
      self.speed.appendChild(o);
    });
    this.speed.setAttribute("aria-label", "speed");
    var track = el("div", "wf-track");
    this.slider = el("input", "wf-slider");
    this.slider.type = "range"; this.slider.min = "0"; this.slider.max = String(this.F - 1); this.slider.value = "0";
    this.slider.setAttribute("aria-label", "frame");
    this.slider.addEventListener("input", function () { self.show(parseInt(self.slider.value, 10)); });
    track.appendChild(this.slider);
    track.appendChild(this.findingMarks());
    this.label = el("div", "wf-label");
    bar.appendChild(this.playButton); bar.appendChild(this.speed);
    if (this.M > 1) bar.appendChild(this.memberSelect());
    bar.appendChild(track); bar.appendChild(this.label);
    this.root.appendChild(bar);
    this.panels = el("div", "wf-panels");
    this.root.appendChild(this.panels);
    this.tooltip = new Tooltip(this.root);
    this.root.addEventListener("keydown", function (ev) { self.onKey(ev); });
    this.root.tabIndex = 0;
    var views = this.options.views || DEFAULT_VIEWS;
    views.forEach(function (name) { var v = VIEWS[name](self); if (v) self.views.push(v); });
    this.bindFindingLinks();
    this.show(0);
  };
  /* For a population: which member the single-member views (weights, network, boundary, ...) show. */
  Player.prototype.memberSelect = function () {
    var self = this, names = this.p.frames.members.map(function (m) { return "member " + m; });
    var s = select(names, 0, function (v) { self.member = v; self.show(self.frame); });
    s.setAttribute("aria-label", "member"); s.className = "wf-member";
    return s;
  };
  Player.prototype.onKey = function (ev) {
    var t = ev.target.tagName;
    if (t === "SELECT" || (t === "INPUT" && ev.target !== this.slider)) return;
    var f = this.frame, big = Math.max(1, Math.round(this.F / 20));
    var next = {ArrowRight: f + 1, ArrowLeft: f - 1, ArrowUp: f + big, ArrowDown: f - big, PageUp: f + big,
      PageDown: f - big, Home: 0, End: this.F - 1}[ev.key];
    if (ev.key === " " && ev.target === this.root) { ev.preventDefault(); this.play(); return; }
    if (next === undefined) return;
    ev.preventDefault();
    this.show(next);
  };
  Player.prototype.findingMarks = function () {
    var strip = el("div", "wf-marks"), self = this, s = this.p.steps;
    var first = s[0], span = Math.max(1, s[s.length - 1] - first);
    (this.p.findings || []).forEach(function (fd) {
      if (fd.step === null || fd.step === undefined) return;
      var m = el("span", "wf-mark wf-sev-" + String(fd.severity || "info").replace(/[^a-z]/gi, ""));
      m.style.left = (100 * Math.max(0, Math.min(1, (fd.step - first) / span))) + "%";
      m.title = (fd.name || "") + " (step " + fd.step + "): " + (fd.message || "");
      m.addEventListener("click", function () { self.show(self.frameOfStep(fd.step)); });
      strip.appendChild(m);
    });
    return strip;
  };
  Player.prototype.bindFindingLinks = function () {
    var self = this, doc = this.root.ownerDocument;
    var items = doc.querySelectorAll("[data-wf-player='" + this.root.id + "'] [data-step]");
    Array.prototype.forEach.call(items, function (it) {
      it.addEventListener("click", function () { self.show(self.frameOfStep(parseFloat(it.getAttribute("data-step")))); });
    });
  };

  // ------------------------------------------------------------------ tooltip
  function Tooltip(root) {
    this.box = el("div", "wf-tooltip"); this.text = el("div");
    this.spark = canvas(180, 48, "wf-spark");
    this.box.appendChild(this.text); this.box.appendChild(this.spark);
    this.box.style.display = "none";
    root.appendChild(this.box); this.root = root;
  }
  /* Show `text` and, when given, a trajectory (array of values) with the cursor at frame f. */
  Tooltip.prototype.show = function (ev, text, traj, f) {
    this.text.textContent = text;
    this.spark.style.display = traj ? "block" : "none";
    if (traj) drawSpark(this.spark, traj, f);
    var r = this.root.getBoundingClientRect();
    this.box.style.display = "block";
    var x = ev.clientX - r.left + 14, maxX = this.root.clientWidth - this.box.offsetWidth - 4;
    this.box.style.left = Math.max(0, Math.min(x, maxX)) + "px";
    this.box.style.top = (ev.clientY - r.top + 14) + "px";
  };
  Tooltip.prototype.hide = function () { this.box.style.display = "none"; };
  function drawSpark(c, traj, f) {
    var g = c.getContext("2d"), lo = Infinity, hi = -Infinity, n = traj.length;
    for (var i = 0; i < n; i++) { lo = Math.min(lo, traj[i]); hi = Math.max(hi, traj[i]); }
    if (hi - lo < 1e-12) { hi += 1e-6; lo -= 1e-6; }
    g.clearRect(0, 0, c.width, c.height); g.strokeStyle = "#333"; g.lineWidth = 1.5; g.beginPath();
    for (var j = 0; j < n; j++) {
      var x = 2 + (c.width - 4) * j / Math.max(1, n - 1), y = c.height - 3 - (c.height - 6) * (traj[j] - lo) / (hi - lo);
      if (j) g.lineTo(x, y); else g.moveTo(x, y);
    }
    g.stroke();
    var cx = 2 + (c.width - 4) * f / Math.max(1, n - 1);
    g.strokeStyle = "#d62728"; g.beginPath(); g.moveTo(cx, 0); g.lineTo(cx, c.height); g.stroke();
  }
  /* Trajectory of entry `idx` of parameter p for member m, over every frame. */
  Player.prototype.trajectory = function (p, idx, m) {
    var out = new Array(this.F);
    for (var f = 0; f < this.F; f++) out[f] = this.param(p, f, m)[idx];
    return out;
  };
  Player.prototype.unitName = function (layer, j) {  // layer 0 = inputs
    var sizes = this.model.sizes;
    if (layer === 0) return this.p.names.features[j];
    if (layer === sizes.length - 1) return sizes[layer] === 1 ? "output" : "output " + this.p.names.classes[j];
    return "h" + layer + "," + (j + 1);
  };
  Player.prototype.entryName = function (p, idx) {
    var name = this.model.param_names[p], shape = this.model.param_shapes[p];
    var layer = this.model.bias ? (p >> 1) + 1 : p + 1;
    if (shape.length === 1) return name + "[" + this.unitName(layer, idx) + "]";
    var i = Math.floor(idx / shape[1]), j = idx % shape[1];
    return name + "[" + this.unitName(layer - 1, i) + " \u2192 " + this.unitName(layer, j) + "]";
  };
  Player.prototype.hoverEntry = function (ev, p, idx) {
    var m = this.member, v = this.param(p, this.frame, m)[idx];
    var who = this.p.population ? " (member " + this.p.frames.members[m] + ")" : "";
    this.tooltip.show(ev, this.entryName(p, idx) + " = " + fmt(v) + who, this.trajectory(p, idx, m), this.frame);
  };

  // ------------------------------------------------------------------ views
  var VIEWS = {}, DEFAULT_VIEWS = ["curves", "boundary", "units", "images", "diagram", "heatmaps",
    "landscape", "distribution", "confusion"];

  /* Loss / accuracy (/ success) curves with a cursor; a click jumps to that step. */
  VIEWS.curves = function (pl) {
    var charts = [["loss", ["train_loss", "val_loss", "test_loss"]],
      ["accuracy", ["train_accuracy", "val_accuracy", "test_accuracy"]],
      ["success rate (train accuracy 1)", ["success"]]];
    var p = panel(pl, pl.p.population ? "Curves (median, 25-75% and 10-90% bands)" : "Curves",
      "Click a curve to jump to that step.", true), list = [];
    charts.forEach(function (ch) {
      var cols = ch[1].filter(function (c) { return pl.p.history[c] && hasValues(pl.p.history[c]); });
      if (!cols.length) return;
      p.appendChild(el("div", "wf-caption", ch[0]));
      var c = canvas(fitWidth(p, 300, 760), 150, "wf-curve"); c.setAttribute("data-curve", ch[0].split(" ")[0]);
      p.appendChild(c);
      list.push(new Curve(pl, c, cols, ch[0] === "loss"));
    });
    return list.length ? {draw: function (f) { list.forEach(function (cv) { cv.draw(f); }); }} : null;
  };
  function curveColor(col) {  // as the matplotlib curves: train blue, validation green, test orange
    return {train: "#1f77b4", val: "#2ca02c", test: "#ff7f0e"}[col.split("_")[0]] || "#1f77b4";
  }
  function withAlpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }
  function hasValues(h) {
    var a = Array.isArray(h) ? h : h.q50;
    return a.some(function (v) { return v !== null; });
  }
  function Curve(pl, c, cols, logish) {
    var self = this, steps = pl.p.steps;
    this.pl = pl; this.c = c; this.cols = cols;
    this.x0 = steps[0]; this.x1 = Math.max(steps[steps.length - 1], steps[0] + 1);
    var vals = [];
    cols.forEach(function (col) {
      var h = pl.p.history[col];
      (Array.isArray(h) ? [h] : [h.q10, h.q90, h.q50]).forEach(function (a) {
        if (a) a.forEach(function (v) { if (v !== null && isFinite(v)) vals.push(v); });
      });
    });
    var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    this.log = logish && lo > 0 && hi / lo > 100;
    this.lo = this.log ? Math.log10(lo) : Math.min(lo, 0); this.hi = this.log ? Math.log10(hi) : hi;
    if (this.hi - this.lo < 1e-12) this.hi = this.lo + 1;
    this.pad = {l: 46, r: 8, t: 8, b: 18};
    this.back = canvas(c.width, c.height); this.paintBack();
    c.addEventListener("click", function (ev) { pl.show(pl.frameOfStep(self.stepAt(eventXY(c, ev)[0]))); });
  }
  Curve.prototype.X = function (step) {
    var w = this.c.width - this.pad.l - this.pad.r;
    return this.pad.l + w * (step - this.x0) / (this.x1 - this.x0);
  };
  Curve.prototype.stepAt = function (x) {
    var w = this.c.width - this.pad.l - this.pad.r;
    return this.x0 + (x - this.pad.l) / w * (this.x1 - this.x0);
  };
  Curve.prototype.Y = function (v) {
    var h = this.c.height - this.pad.t - this.pad.b, u = this.log ? Math.log10(Math.max(v, 1e-300)) : v;
    return this.pad.t + h * (1 - (u - this.lo) / (this.hi - this.lo));
  };
  Curve.prototype.line = function (g, a, color, width) {
    var steps = this.pl.p.steps, open = false;
    g.strokeStyle = color; g.lineWidth = width; g.beginPath();
    for (var i = 0; i < a.length; i++) {
      if (a[i] === null || !isFinite(a[i])) { open = false; continue; }
      if (open) g.lineTo(this.X(steps[i]), this.Y(a[i])); else g.moveTo(this.X(steps[i]), this.Y(a[i]));
      open = true;
    }
    g.stroke();
  };
  Curve.prototype.band = function (g, lo, hi, color) {
    var steps = this.pl.p.steps, i;
    g.fillStyle = color; g.beginPath();
    for (i = 0; i < lo.length; i++) g.lineTo(this.X(steps[i]), this.Y(lo[i] === null ? this.lo : lo[i]));
    for (i = hi.length - 1; i >= 0; i--) g.lineTo(this.X(steps[i]), this.Y(hi[i] === null ? this.lo : hi[i]));
    g.closePath(); g.fill();
  };
  Curve.prototype.paintBack = function () {
    var g = this.back.getContext("2d"), self = this;
    g.fillStyle = "#fff"; g.fillRect(0, 0, this.back.width, this.back.height);
    this.axes(g);
    this.cols.forEach(function (col) {
      var h = self.pl.p.history[col], color = curveColor(col);
      if (Array.isArray(h)) { self.line(g, h, color, 1.5); return; }
      if (h.q10) self.band(g, h.q10, h.q90, withAlpha(color, 0.15));
      if (h.q25) self.band(g, h.q25, h.q75, withAlpha(color, 0.25));
      self.line(g, h.q50, color, 1.5);
    });
    (this.pl.p.findings || []).forEach(function (fd) {
      if (fd.step === null || fd.step === undefined) return;
      g.fillStyle = fd.severity === "error" ? "#d62728" : fd.severity === "warning" ? "#e6a100" : "#7f7f7f";
      var x = self.X(fd.step); g.beginPath(); g.moveTo(x - 5, 0); g.lineTo(x + 5, 0); g.lineTo(x, 8); g.fill();
    });
    g.font = "11px sans-serif"; g.textAlign = "right";
    this.cols.forEach(function (col, i) {
      g.fillStyle = curveColor(col); g.fillText(col.replace("_", " "), self.back.width - 10, 20 + 13 * i);
    });
  };
  Curve.prototype.axes = function (g) {
    var H = this.c.height, W = this.c.width, p = this.pad;
    g.strokeStyle = "#999"; g.lineWidth = 1; g.beginPath();
    g.moveTo(p.l, p.t); g.lineTo(p.l, H - p.b); g.lineTo(W - p.r, H - p.b); g.stroke();
    g.fillStyle = "#555"; g.font = "10px sans-serif"; g.textAlign = "right";
    for (var t = 0; t <= 2; t++) {
      var u = this.lo + (this.hi - this.lo) * t / 2, v = this.log ? Math.pow(10, u) : u;
      g.fillText(fmt(v), p.l - 3, this.Y(v) + 3);
    }
    g.textAlign = "center";
    g.fillText(String(this.x0), p.l, H - 4); g.fillText(String(this.x1), W - p.r - 14, H - 4);
    g.fillText("step" + (this.log ? " (log loss)" : ""), (p.l + W) / 2, H - 4);
  };
  Curve.prototype.draw = function (f) {
    var g = this.c.getContext("2d"), x = this.X(this.pl.p.steps[f]);
    g.drawImage(this.back, 0, 0);
    g.strokeStyle = "#d62728"; g.lineWidth = 1.5; g.beginPath();
    g.moveTo(x, this.pad.t); g.lineTo(x, this.c.height - this.pad.b); g.stroke();
  };

  /* Weight heat maps: one canvas per parameter, rows = inputs, columns = units, one scale per run. */
  VIEWS.heatmaps = function (pl) {
    var who = pl.p.population ? " (the member chosen above)" : "";
    var p = panel(pl, "Weights" + who, "Rows: inputs of the layer, columns: its units. Blue < 0 < red; " +
      "one colour scale per parameter for the whole run. Hover a cell for its trajectory.");
    var maps = pl.model.param_names.map(function (name, i) { return new HeatMap(pl, p, i); });
    return {draw: function (f) { maps.forEach(function (h) { h.draw(f); }); }};
  };
  function HeatMap(pl, parent, p) {
    var shape = pl.model.param_shapes[p], self = this;
    this.pl = pl; this.p = p; this.rows = shape.length === 2 ? shape[0] : 1; this.cols = shape.length === 2 ? shape[1] : shape[0];
    this.scale = pl.p.ranges[pl.model.param_names[p]];
    this.cell = Math.max(1, Math.min(22, Math.floor(260 / Math.max(this.cols, this.rows / 1.5))));
    var box = el("div", "wf-heat");
    box.appendChild(el("div", "wf-caption", pl.model.param_names[p] + "  (\u00b1" + fmt(this.scale) + ")"));
    this.c = canvas(this.cols * this.cell, this.rows * this.cell, "wf-heatmap");
    this.c.setAttribute("data-param", pl.model.param_names[p]);
    this.c.style.width = this.c.width + "px";
    box.appendChild(this.c); parent.appendChild(box);
    this.small = canvas(this.cols, this.rows); this.img = this.small.getContext("2d").createImageData(this.cols, this.rows);
    this.c.addEventListener("mousemove", function (ev) {
      var xy = eventXY(self.c, ev), j = Math.floor(xy[0] / self.cell), i = Math.floor(xy[1] / self.cell);
      if (i < 0 || j < 0 || i >= self.rows || j >= self.cols) return;
      pl.hoverEntry(ev, p, i * self.cols + j);
    });
    this.c.addEventListener("mouseleave", function () { pl.tooltip.hide(); });
  }
  HeatMap.prototype.draw = function (f) {
    var w = this.pl.param(this.p, f, this.pl.member), d = this.img.data, s = 1 / this.scale;
    for (var k = 0; k < w.length; k++) {
      var li = 3 * lutIndex(w[k] * s);
      d[4 * k] = LUT[li]; d[4 * k + 1] = LUT[li + 1]; d[4 * k + 2] = LUT[li + 2]; d[4 * k + 3] = 255;
    }
    this.small.getContext("2d").putImageData(this.img, 0, 0);
    var g = this.c.getContext("2d");
    g.imageSmoothingEnabled = false;
    g.drawImage(this.small, 0, 0, this.c.width, this.c.height);
  };

  /* The decision boundary on a plane of two inputs (the others at their training mean). */
  VIEWS.boundary = function (pl) {
    if (!pl.data || pl.model.sizes[0] < 2 || pl.p.data.image_side) return null;  // pixels: see VIEWS.images
    return new Boundary(pl);
  };
  function Boundary(pl) {
    var self = this, d = pl.model.sizes[0], names = pl.p.names.features;
    this.pl = pl; this.G = 50; this.a = 0; this.b = 1; this.d = d;  // G: a G x G grid, drawn smoothed at 320 px
    var note = d > 2 ? "Inputs " + d + "-D: the map shows the plane of the two inputs chosen below; " +
      "every other input is held at its training mean." : null;
    var title = pl.p.population ? "Decision boundary (the member chosen above" +
      "; lines: the boundaries of " + pl.M + " members)" : "Decision boundary";
    var p = panel(pl, title, note);
    if (d > 2) {
      var row = el("div", "wf-plane");
      this.selA = select(names, 0, function (v) { self.a = v; self.setPlane(); });
      this.selB = select(names, 1, function (v) { self.b = v; self.setPlane(); });
      row.appendChild(el("span", null, "x axis ")); row.appendChild(this.selA);
      row.appendChild(el("span", null, " y axis ")); row.appendChild(this.selB);
      p.appendChild(row);
    }
    this.c = canvas(320, 320, "wf-boundary"); p.appendChild(this.c);
    this.axisLabel = el("div", "wf-caption"); p.appendChild(this.axisLabel);
    this.img = canvas(this.G, this.G); this.imgData = this.img.getContext("2d").createImageData(this.G, this.G);
    this.points = canvas(320, 320);
    this.pool = {}; this.memberPool = {};
    this.setPlane(true);
  }
  function select(names, chosen, onChange) {
    var s = el("select", "wf-select");
    names.forEach(function (n, i) { var o = el("option", null, n); o.value = String(i); if (i === chosen) o.selected = true; s.appendChild(o); });
    s.addEventListener("change", function () { onChange(parseInt(s.value, 10)); });
    return s;
  }
  /* Grid inputs (G*G points) on the chosen plane, extents from the data with 8% margin. */
  Boundary.prototype.setPlane = function (initial) {
    var data = this.pl.p.data, d = this.d, G = this.G, a = this.a, b = this.b;
    var pad = function (lo, hi) { var m = 0.08 * (hi - lo || 1); return [lo - m, hi + m]; };
    this.ex = pad(data.lo[a], data.hi[a]); this.ey = pad(data.lo[b], data.hi[b]);
    this.grid = planeGrid(data.mean, d, a, b, this.ex, this.ey, G);
    this.coarse = planeGrid(data.mean, d, a, b, this.ex, this.ey, 32);
    var names = this.pl.p.names.features;
    this.axisLabel.textContent = "x: " + names[a] + " [" + fmt(this.ex[0]) + ", " + fmt(this.ex[1]) + "], y: " +
      names[b] + " [" + fmt(this.ey[0]) + ", " + fmt(this.ey[1]) + "]; filled dots: training, rings: test";
    this.paintPoints();
    this.cache = {};
    if (!initial) this.pl.show(this.pl.frame);
  };
  function planeGrid(mean, d, a, b, ex, ey, G) {
    var X = new Float64Array(G * G * d);
    for (var r = 0; r < G; r++) for (var q = 0; q < G; q++) {
      var o = (r * G + q) * d;
      for (var i = 0; i < d; i++) X[o + i] = mean[i];
      X[o + a] = ex[0] + (ex[1] - ex[0]) * (q + 0.5) / G;
      X[o + b] = ey[1] - (ey[1] - ey[0]) * (r + 0.5) / G;
    }
    return X;
  }
  Boundary.prototype.paintPoints = function () {
    var g = this.points.getContext("2d"), D = this.pl.data, self = this;
    g.clearRect(0, 0, 320, 320);
    var total = D.ntr + D.nte, radius = total > 600 ? 2.5 : total > 50 ? 3.5 : 5;
    var put = function (X, y, n, filled) {
      for (var s = 0; s < n; s++) {
        var x = self.px(X[s * D.d + self.a]), yy = self.py(X[s * D.d + self.b]);
        g.beginPath(); g.arc(x, yy, radius, 0, 2 * Math.PI);
        if (filled) { g.fillStyle = rgbCss(classRGB(y[s])); g.fill(); g.strokeStyle = "#fff"; g.lineWidth = 0.7; g.stroke(); }
        else { g.strokeStyle = rgbCss(classRGB(y[s])); g.lineWidth = 1.5; g.stroke(); }
      }
    };
    put(D.Xtr, D.ytr, D.ntr, true); put(D.Xte, D.yte, D.nte, false);
  };
  Boundary.prototype.px = function (v) { return 320 * (v - this.ex[0]) / (this.ex[1] - this.ex[0]); };
  Boundary.prototype.py = function (v) { return 320 * (this.ey[1] - v) / (this.ey[1] - this.ey[0]); };
  /* The forward pass on the grid at frame f (the chosen member), shared with the hidden-unit maps. */
  Boundary.prototype.evaluate = function (f) {
    if (this.cache.f !== f || this.cache.m !== this.pl.member) this.cache = {f: f, m: this.pl.member, res: forward(this.pl.model, this.pl.layers(f, this.pl.member), this.grid, this.G * this.G, true, this.pool)};
    return this.cache.res;
  };
  Boundary.prototype.draw = function (f) {
    var res = this.evaluate(f), out = res.out, K = this.pl.model.sizes[this.pl.model.sizes.length - 1];
    var d = this.imgData.data, n = this.G * this.G, kind = this.pl.model.output;
    for (var s = 0; s < n; s++) {
      var c = pixelColor(kind, out, s, K);
      d[4 * s] = c[0]; d[4 * s + 1] = c[1]; d[4 * s + 2] = c[2]; d[4 * s + 3] = 255;
    }
    this.img.getContext("2d").putImageData(this.imgData, 0, 0);
    var g = this.c.getContext("2d");
    g.imageSmoothingEnabled = true;
    g.drawImage(this.img, 0, 0, 320, 320);
    if (this.pl.p.population && this.pl.M > 1 && kind !== "linear") this.drawMembers(g, f, K);
    g.drawImage(this.points, 0, 0);
  };
  function pixelColor(kind, out, s, K) {
    if (kind === "linear") { var i = 3 * lutIndex(Math.tanh(out[s * K])); return [LUT[i], LUT[i + 1], LUT[i + 2]]; }
    var k = predictClass(out, s, K), p = K === 1 ? (k ? out[s] : 1 - out[s]) : out[s * K + k];
    var a = Math.max(0, Math.min(1, (p - 1 / Math.max(2, K)) / (1 - 1 / Math.max(2, K)))) * 0.55 + 0.1;
    var c = classRGB(k);
    return [255 + (c[0] - 255) * a, 255 + (c[1] - 255) * a, 255 + (c[2] - 255) * a];
  }
  /* Every shown member's boundary as a line (marching squares on a coarse grid). */
  Boundary.prototype.drawMembers = function (g, f, K) {
    var G = 32, cell = 320 / G, v = new Float64Array(G * G);
    g.strokeStyle = "rgba(40,40,40,0.45)"; g.lineWidth = 1;
    for (var m = 0; m < this.pl.M; m++) {
      var out = forward(this.pl.model, this.pl.layers(f, m), this.coarse, G * G, false, this.memberPool).out;
      for (var s = 0; s < G * G; s++) v[s] = K === 1 ? out[s] - 0.5 : (predictClass(out, s, K) === 0 ? -1 : 1);
      g.beginPath(); contour(g, v, G, cell); g.stroke();
    }
  };
  function contour(g, v, G, cell) {
    for (var r = 0; r < G - 1; r++) for (var q = 0; q < G - 1; q++) {
      var c = [v[r * G + q], v[r * G + q + 1], v[(r + 1) * G + q + 1], v[(r + 1) * G + q]];
      var xy = [[q, r], [q + 1, r], [q + 1, r + 1], [q, r + 1]], pts = [];
      for (var e = 0; e < 4; e++) {
        var a = c[e], b = c[(e + 1) % 4];
        if ((a < 0) !== (b < 0)) {
          var t = a / (a - b), p0 = xy[e], p1 = xy[(e + 1) % 4];
          pts.push([(p0[0] + t * (p1[0] - p0[0]) + 0.5) * cell, (p0[1] + t * (p1[1] - p0[1]) + 0.5) * cell]);
        }
      }
      for (var k = 0; k + 1 < pts.length; k += 2) { g.moveTo(pts[k][0], pts[k][1]); g.lineTo(pts[k + 1][0], pts[k + 1][1]); }
    }
  }

  /* Each hidden unit's activation over the boundary's plane. */
  VIEWS.units = function (pl) {
    var b = pl.views.filter(function (v) { return v instanceof Boundary; })[0];
    var hidden = pl.model.sizes.slice(1, -1);
    if (!b || !hidden.length) return null;
    var total = hidden.reduce(function (x, y) { return x + y; }, 0), shown = Math.min(total, 64);
    var p = panel(pl, "Hidden units", "Each unit's activation on the boundary's plane (blue < 0 < red)" +
      (shown < total ? "; the first 64 of " + total + " units." : "."));
    var maps = [], left = shown;
    hidden.forEach(function (h, l) {
      var row = el("div", "wf-units");
      for (var j = 0; j < h && left > 0; j++, left--) {
        var c = canvas(b.G, b.G, "wf-unit"); c.title = "h" + (l + 1) + "," + (j + 1);
        row.appendChild(c); maps.push({c: c, l: l, j: j, h: h});
      }
      p.appendChild(el("div", "wf-caption", "layer " + (l + 1) + " (" + pl.model.activations[l] + ")"));
      p.appendChild(row);
    });
    var img = maps.length ? maps[0].c.getContext("2d").createImageData(b.G, b.G) : null;
    return {draw: function (f) {
      var res = b.evaluate(f), n = b.G * b.G;
      maps.forEach(function (mp) {
        var a = res.hidden[mp.l], act = pl.model.activations[mp.l], scale = 1, s;
        if (act !== "tanh" && act !== "sigmoid") {
          for (s = 0; s < n; s++) scale = Math.max(scale === 1 ? 1e-9 : scale, Math.abs(a[s * mp.h + mp.j]));
        }
        var d = img.data;
        for (s = 0; s < n; s++) {
          var v = a[s * mp.h + mp.j];
          v = act === "sigmoid" ? 2 * v - 1 : v / scale;
          var li = 3 * lutIndex(v);
          d[4 * s] = LUT[li]; d[4 * s + 1] = LUT[li + 1]; d[4 * s + 2] = LUT[li + 2]; d[4 * s + 3] = 255;
        }
        mp.c.getContext("2d").putImageData(img, 0, 0);
      });
    }};
  };

  /* The network diagram: edge width and colour by weight; hover an edge or a node. */
  VIEWS.diagram = function (pl) {
    var sizes = pl.model.sizes, edges = 0;
    for (var l = 0; l < sizes.length - 1; l++) edges += sizes[l] * sizes[l + 1];
    if (edges > 3000 || Math.max.apply(null, sizes) > 64) return null;
    return new Diagram(pl, edges);
  };
  function Diagram(pl, nEdges) {
    var self = this, sizes = pl.model.sizes, H = Math.max(180, Math.min(520, 22 * Math.max.apply(null, sizes) + 30));
    this.pl = pl;
    var who = pl.p.population ? " (the member chosen above)" : "";
    var p = panel(pl, "Network" + who, "Edge width and colour by weight (blue < 0 < red); node colour by bias.");
    var W = fitWidth(p, 300, 560);
    this.c = canvas(W, H, "wf-diagram"); p.appendChild(this.c);
    this.nodes = sizes.map(function (n, l) {
      var x = 90 + (W - 180) * l / (sizes.length - 1), out = [];
      for (var j = 0; j < n; j++) out.push([x, H / 2 + (j - (n - 1) / 2) * Math.min(22, (H - 30) / Math.max(1, n))]);
      return out;
    });
    this.wscale = 0;
    pl.model.param_names.forEach(function (name, i) { if (pl.model.param_shapes[i].length === 2) self.wscale = Math.max(self.wscale, pl.p.ranges[name]); });
    this.c.addEventListener("mousemove", function (ev) { self.hover(ev); });
    this.c.addEventListener("mouseleave", function () { pl.tooltip.hide(); });
  }
  Diagram.prototype.param = function (l, bias) { return this.pl.model.bias ? 2 * l + (bias ? 1 : 0) : l; };
  Diagram.prototype.draw = function (f) {
    var g = this.c.getContext("2d"), sizes = this.pl.model.sizes, N = this.nodes, s = 1 / this.wscale;
    var LEVELS = 12, buckets = [];  // edges binned by signed |w| level: one stroke per bin, not per edge
    for (var q = 0; q <= 2 * LEVELS; q++) buckets.push([]);
    for (var l = 0; l < sizes.length - 1; l++) {
      var w = this.pl.param(this.param(l, false), f, this.pl.member), nout = sizes[l + 1];
      for (var i = 0; i < sizes[l]; i++) for (var j = 0; j < nout; j++) {
        var v = Math.max(-1, Math.min(1, w[i * nout + j] * s));
        buckets[Math.round(v * LEVELS) + LEVELS].push(l, i, j);
      }
    }
    g.fillStyle = "#fff"; g.fillRect(0, 0, this.c.width, this.c.height);
    buckets.forEach(function (e, q) {
      if (!e.length) return;
      var v = (q - LEVELS) / LEVELS;
      g.strokeStyle = divColor(Math.max(-1, Math.min(1, v * 1.6))); g.lineWidth = 0.5 + 2.5 * Math.abs(v);  // wide anti-aliased lines are slow to raster
      g.beginPath();
      for (var t = 0; t < e.length; t += 3) {
        var a = N[e[t]][e[t + 1]], b = N[e[t] + 1][e[t + 2]];
        g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]);
      }
      g.stroke();
    });
    g.font = "11px sans-serif";
    for (var k = 0; k < sizes.length; k++) {
      var b = k > 0 && this.pl.model.bias ? this.pl.param(this.param(k - 1, true), f, this.pl.member) : null;
      var bs = b ? 1 / this.pl.p.ranges[this.pl.model.param_names[this.param(k - 1, true)]] : 0;
      var gap = sizes[k] > 1 ? N[k][1][1] - N[k][0][1] : 30, radius = Math.max(2, Math.min(7, gap / 2 - 1));
      for (var n = 0; n < sizes[k]; n++) {
        g.beginPath(); g.arc(N[k][n][0], N[k][n][1], radius, 0, 2 * Math.PI);
        g.fillStyle = b ? divColor(b[n] * bs) : "#eee"; g.fill(); g.strokeStyle = "#444"; g.lineWidth = 1; g.stroke();
        if ((k === 0 || k === sizes.length - 1) && gap >= 11) {  // labels only where they do not overlap
          g.fillStyle = "#222"; g.textAlign = k === 0 ? "right" : "left";
          var text = this.pl.unitName(k, n); if (text.length > 12) text = text.slice(0, 11) + "\u2026";
          g.fillText(text, N[k][n][0] + (k === 0 ? -11 : 11), N[k][n][1] + 4);
        }
      }
    }
  };
  Diagram.prototype.hover = function (ev) {
    var xy = eventXY(this.c, ev), sizes = this.pl.model.sizes, N = this.nodes, best = null, bd = 6;
    for (var k = 1; k < sizes.length; k++) for (var n = 0; n < sizes[k]; n++) {
      if (Math.hypot(xy[0] - N[k][n][0], xy[1] - N[k][n][1]) < 8 && this.pl.model.bias) { best = [this.param(k - 1, true), n]; bd = 0; }
    }
    for (var l = 0; l < sizes.length - 1 && bd > 0; l++) for (var i = 0; i < sizes[l]; i++) for (var j = 0; j < sizes[l + 1]; j++) {
      var dd = segDist(xy, N[l][i], N[l + 1][j]);
      if (dd < bd) { bd = dd; best = [this.param(l, false), i * sizes[l + 1] + j]; }
    }
    if (best) this.pl.hoverEntry(ev, best[0], best[1]); else this.pl.tooltip.hide();
  };
  function segDist(p, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1], t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy);
    t = Math.max(0, Math.min(1, t));
    return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
  }

  /* The loss on the plane of the frames' top two principal directions (computed in Python), every
   * shown member's path on it, and a marker at the cursor's frame (the chosen member's). */
  VIEWS.landscape = function (pl) {
    if (!pl.p.landscape) return null;
    return new Landscape(pl, pl.p.landscape);
  };
  var VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137],
    [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]];
  function viridis(t) {
    t = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    var i = Math.min(VIRIDIS.length - 2, Math.floor(t)), u = t - i, a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u];
  }
  function Landscape(pl, L) {
    this.pl = pl; this.L = L; this.al = L.alphas; this.be = L.betas;
    this.loss = decode(L.loss); this.paths = decode(L.paths); this.R = this.al.length;
    var who = pl.p.population && pl.M > 1 ? "; white lines: the " + pl.M + " members' paths, the chosen one in orange" : "";
    var p = panel(pl, "Loss landscape around the path", "Train loss on the plane of the top two principal " +
      "directions of the recorded frames, through the last frame, with the path projected on it (o start, " +
      "square end, red dot the cursor's frame" + who + ").");
    var W = fitWidth(p, 260, 420);
    this.c = canvas(W, Math.round(W * 0.86), "wf-landscape"); p.appendChild(this.c);
    this.caption = el("div", "wf-caption"); p.appendChild(this.caption);
    this.pad = {l: 8, r: 8, t: 8, b: 8};
    this.back = canvas(this.c.width, this.c.height); this.paintBack();
  }
  Landscape.prototype.X = function (a) {
    var w = this.c.width - this.pad.l - this.pad.r, a0 = this.al[0], a1 = this.al[this.R - 1];
    return this.pad.l + w * (a - a0) / (a1 - a0);
  };
  Landscape.prototype.Y = function (b) {
    var h = this.c.height - this.pad.t - this.pad.b, b0 = this.be[0], b1 = this.be[this.R - 1];
    return this.pad.t + h * (1 - (b - b0) / (b1 - b0));
  };
  Landscape.prototype.point = function (m, f) {  // plane coordinates of shown member m's frame f
    var o = (m * this.pl.F + f) * 2;
    return [this.paths[o], this.paths[o + 1]];
  };
  Landscape.prototype.range = function () {
    var lo = Infinity, hi = -Infinity, L = this.loss;
    for (var i = 0; i < L.length; i++) if (L[i] > 0 && isFinite(L[i])) { lo = Math.min(lo, L[i]); hi = Math.max(hi, L[i]); }
    var log = isFinite(lo) && hi / lo > 10;
    return {lo: log ? Math.max(lo, hi * 1e-6) : Math.min(lo, 0), hi: hi, log: log};
  };
  Landscape.prototype.paintBack = function () {
    var R = this.R, L = this.loss, sc = this.range(), lo = sc.lo, hi = sc.hi;
    var small = canvas(R, R), g0 = small.getContext("2d"), img = g0.createImageData(R, R);
    for (var r = 0; r < R; r++) for (var q = 0; q < R; q++) {
      var v = L[(R - 1 - r) * R + q];  // the image's top row is the largest beta
      var t = sc.log ? Math.log(Math.max(v, lo) / lo) / (Math.log(hi / lo) || 1) : (v - lo) / ((hi - lo) || 1);
      var c = viridis(t), o = 4 * (r * R + q);
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
    }
    g0.putImageData(img, 0, 0);
    var g = this.back.getContext("2d"), W = this.c.width, H = this.c.height, p = this.pad;
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    g.imageSmoothingEnabled = true;
    // grid values sit at the cells' centres: the image reaches half a cell beyond them, clipped
    var cw = (W - p.l - p.r) / (R - 1), ch = (H - p.t - p.b) / (R - 1);
    g.save(); g.beginPath(); g.rect(p.l, p.t, W - p.l - p.r, H - p.t - p.b); g.clip();
    g.drawImage(small, p.l - cw / 2, p.t - ch / 2, W - p.l - p.r + cw, H - p.t - p.b + ch);
    g.restore();
    if (this.pl.M > 1) for (var m = 0; m < this.pl.M; m++) this.trace(g, m, "rgba(255,255,255,0.45)", 1);
    var ev = this.L.explained, n = this.L.points, all = this.L.n_train;
    this.caption.textContent = "x: PC1 (" + Math.round(100 * ev[0]) + "% of the path's variance), y: PC2 (" +
      Math.round(100 * ev[1]) + "%); colour: train " + this.L.loss_name + (sc.log ? " (log scale)" : "") + " from " +
      fmt(lo) + " (dark) to " + fmt(hi) + " (yellow)" + (n < all ? ", on " + n + " of the " + all + " training points" : "") + ".";
  };
  Landscape.prototype.trace = function (g, m, color, width, upto) {
    var n = upto === undefined ? this.pl.F - 1 : upto;
    g.strokeStyle = color; g.lineWidth = width; g.beginPath();
    for (var f = 0; f <= n; f++) {
      var pt = this.point(m, f), x = this.X(pt[0]), y = this.Y(pt[1]);
      if (f) g.lineTo(x, y); else g.moveTo(x, y);
    }
    g.stroke();
  };
  Landscape.prototype.draw = function (f) {
    var g = this.c.getContext("2d"), m = this.pl.member;
    g.drawImage(this.back, 0, 0);
    this.trace(g, m, "#fff", 1.5);
    this.trace(g, m, "#ff7f0e", 2.5, f);  // the part of the path already walked
    var s = this.point(m, 0), e = this.point(m, this.pl.F - 1), c = this.point(m, f);
    g.lineWidth = 1.5; g.strokeStyle = "#000"; g.fillStyle = "#fff";
    g.beginPath(); g.arc(this.X(s[0]), this.Y(s[1]), 4.5, 0, 2 * Math.PI); g.fill(); g.stroke();
    g.fillStyle = "#000"; g.fillRect(this.X(e[0]) - 3.5, this.Y(e[1]) - 3.5, 7, 7);
    g.fillStyle = "#d62728"; g.beginPath(); g.arc(this.X(c[0]), this.Y(c[1]), 6, 0, 2 * Math.PI); g.fill(); g.stroke();
    this.c.setAttribute("data-marker", c[0] + "," + c[1]);
  };

  /* Histogram of every weight at the cursor; for a population, one chosen weight across members. */
  VIEWS.distribution = function (pl) {
    var pop = !!pl.p.population && pl.M > 1;
    var p = panel(pl, pop ? "One weight across the members" : "Weight distribution",
      pop ? "Histogram over the " + pl.M + " members' values of the chosen weight at the cursor." :
        "Histogram of every weight and bias at the cursor (bins fixed over the whole run).");
    var choice = {p: 0, idx: 0}, R = 0;
    pl.model.param_names.forEach(function (n) { R = Math.max(R, pl.p.ranges[n]); });
    if (pop) {
      var names = [], keys = [];
      pl.model.param_names.forEach(function (n, i) { for (var k = 0; k < pl.sizes[i]; k++) { names.push(pl.entryName(i, k)); keys.push([i, k]); } });
      var sel = select(names.slice(0, 500), 0, function (v) { choice = {p: keys[v][0], idx: keys[v][1]}; pl.show(pl.frame); });
      p.appendChild(sel);
    }
    var c = canvas(fitWidth(p, 280, 560), 140, "wf-hist"); p.appendChild(c);
    var bins = 41, counts = new Float64Array(bins);
    return {draw: function (f) {
      counts.fill(0);
      var add = function (v) { counts[Math.max(0, Math.min(bins - 1, Math.floor((v / R + 1) / 2 * bins)))] += 1; };
      if (pop) for (var m = 0; m < pl.M; m++) add(pl.param(choice.p, f, m)[choice.idx]);
      else for (var i = 0; i < pl.sizes.length; i++) pl.param(i, f, pl.member).forEach(add);
      drawHistogram(c, counts, R);
    }};
  };
  function drawHistogram(c, counts, R) {
    var g = c.getContext("2d"), W = c.width, H = c.height, max = Math.max.apply(null, counts) || 1, n = counts.length;
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    for (var k = 0; k < n; k++) {
      var h = (H - 20) * counts[k] / max, x = 10 + (W - 20) * k / n;
      g.fillStyle = divColor((k + 0.5) / n * 2 - 1); g.fillRect(x, H - 16 - h, (W - 20) / n - 1, h);
    }
    g.fillStyle = "#555"; g.font = "10px sans-serif"; g.textAlign = "center";
    g.fillText(fmt(-R), 14, H - 3); g.fillText("0", W / 2, H - 3); g.fillText(fmt(R), W - 16, H - 3);
  }

  /* Confusion matrix at the cursor on the test points (training points when there is no test set). */
  VIEWS.confusion = function (pl) {
    var D = pl.data, K = pl.model.sizes[pl.model.sizes.length - 1];
    if (!D || pl.model.output === "linear") return null;
    var useTest = D.nte > 0, X = useTest ? D.Xte : D.Xtr, y = useTest ? D.yte : D.ytr, n = y.length;
    var Kc = Math.max(2, K), names = pl.p.names.classes;
    var who = pl.p.population ? ", the member chosen above" : "";
    var p = panel(pl, "Confusion matrix (" + (useTest ? "test" : "training") + " points" + who + ")",
      "Rows: true class, columns: predicted class, at the cursor.");
    var table = el("table", "wf-confusion"), head = el("tr"), cells = [];
    head.appendChild(el("th", null, "true \\ predicted"));
    for (var k = 0; k < Kc; k++) head.appendChild(el("th", null, names[k]));
    table.appendChild(head);
    for (var r = 0; r < Kc; r++) {
      var tr = el("tr"); tr.appendChild(el("th", null, names[r])); cells.push([]);
      for (var q = 0; q < Kc; q++) { var td = el("td", null, "0"); tr.appendChild(td); cells[r].push(td); }
      table.appendChild(tr);
    }
    var acc = el("div", "wf-caption");
    p.appendChild(table); p.appendChild(acc);
    var X64 = Float64Array.from(X), pool = {};
    return {draw: function (f) {
      var out = forward(pl.model, pl.layers(f, pl.member), X64, n, false, pool).out, cm = [], right = 0, r, q;
      for (r = 0; r < Kc; r++) { cm.push(new Array(Kc).fill(0)); }
      for (var s = 0; s < n; s++) { var pk = predictClass(out, s, K); cm[y[s]][pk] += 1; if (pk === y[s]) right++; }
      for (r = 0; r < Kc; r++) {
        var rowSum = cm[r].reduce(function (a, b) { return a + b; }, 0) || 1;
        for (q = 0; q < Kc; q++) {
          var td = cells[r][q], share = cm[r][q] / rowSum;
          td.textContent = String(cm[r][q]);
          td.style.background = r === q ? "rgba(44,160,44," + share.toFixed(2) + ")" : "rgba(214,39,40," + share.toFixed(2) + ")";
        }
      }
      acc.textContent = "accuracy on these " + n + " points: " + fmt(right / Math.max(1, n));
    }};
  };

  /* Image data: each first-layer unit's weights as an image (W1's colour scale). */
  VIEWS.images = function (pl) {
    var side = pl.p.data && pl.p.data.image_side;
    if (!side) return null;
    var nout = pl.model.sizes[1], shown = Math.min(nout, 64), scale = pl.p.ranges[pl.model.param_names[0]];
    var p = panel(pl, "First-layer weights as images", "Unit j's " + side + "\u00d7" + side + " input weights " +
      "(blue < 0 < red)" + (shown < nout ? "; the first 64 of " + nout + " units." : "."));
    var row = el("div", "wf-units"), cs = [];
    for (var j = 0; j < shown; j++) { var c = canvas(side, side, "wf-unitimg"); c.title = pl.unitName(1, j); row.appendChild(c); cs.push(c); }
    p.appendChild(row);
    p.appendChild(samples(pl, side));
    var img = cs[0].getContext("2d").createImageData(side, side);
    return {draw: function (f) {
      var w = pl.param(0, f, pl.member), d = img.data;
      cs.forEach(function (c, j) {
        for (var i = 0; i < side * side; i++) {
          var li = 3 * lutIndex(w[i * nout + j] / scale);
          d[4 * i] = LUT[li]; d[4 * i + 1] = LUT[li + 1]; d[4 * i + 2] = LUT[li + 2]; d[4 * i + 3] = 255;
        }
        c.getContext("2d").putImageData(img, 0, 0);
      });
    }};
  };

  /* The data themselves: the first training image of each class, in grey (drawn once). */
  function samples(pl, side) {
    var D = pl.data, box = el("div"), row = el("div", "wf-units"), seen = {}, lo = Infinity, hi = -Infinity, i;
    for (i = 0; i < D.Xtr.length; i++) { lo = Math.min(lo, D.Xtr[i]); hi = Math.max(hi, D.Xtr[i]); }
    box.appendChild(el("div", "wf-caption", "The data: one training image per class"));
    for (var s = 0; s < D.ntr; s++) {
      if (seen[D.ytr[s]]) continue;
      seen[D.ytr[s]] = true;
      var c = canvas(side, side, "wf-unitimg"), g = c.getContext("2d"), img = g.createImageData(side, side);
      for (i = 0; i < side * side; i++) {
        var v = 255 - Math.round(255 * (D.Xtr[s * D.d + i] - lo) / Math.max(1e-12, hi - lo));
        img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
      }
      g.putImageData(img, 0, 0); c.title = pl.p.names.classes[D.ytr[s]];
      row.appendChild(c);
    }
    box.appendChild(row);
    return box;
  }

  // ------------------------------------------------------------------ public
  var api = {
    instances: [],
    create: function (root, payload, options) {
      var pl = new Player(root, payload, options);
      api.instances.push(pl);
      return pl;
    },
    /* Start every player on the page from its <script type="application/json"> block. */
    boot: function () {
      var roots = document.querySelectorAll("[data-wf-payload]");
      Array.prototype.forEach.call(roots, function (root) {
        if (root.getAttribute("data-wf-started")) return;
        root.setAttribute("data-wf-started", "1");
        var payload = JSON.parse(document.getElementById(root.getAttribute("data-wf-payload")).textContent);
        var views = root.getAttribute("data-wf-views");
        api.create(root, payload, {views: views ? views.split(",") : null});
      });
    },
    forward: function (f, points, m) { return api.instances[0].forward(f, points, m); },
    decode: decode
  };
  window.weightflowPlayer = api;
})();
