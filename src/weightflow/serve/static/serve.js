/* weightflow playground: the page of `weightflow serve`.
 *
 * Plain JavaScript on top of the report's player (weightflowPlayer.create, .decode). The server sends
 * each training's frames as Server-Sent Events: `init` (the player's payload of every frame so far,
 * the data points), then `frames` (the new frames only) and `status`. The page keeps every frame in
 * arrays sized for the whole run and hands them to the player, whose slider rewinds over the frames
 * recorded so far. User strings (column and class names) reach the page through textContent only.
 *
 * Test hooks: window.wfServe.{state, stats, live(), setup()}.
 */
(function () {
  "use strict";
  var TOKEN = document.querySelector('meta[name="wf-token"]').content;
  var VIEWS = ["boundary", "units", "diagram", "heatmaps", "distribution", "confusion", "images"];
  var HEADROOM = 1.5;  // the colour scales start this much above the weights seen, and grow when exceeded
  var $ = function (id) { return document.getElementById(id); };
  var form = $("setup");
  var state = {options: null, session: null, status: null, live: null, streams: {}, runs: [], dirty: false,
    follow: true, compare: {}};
  var stats = {updates: 0, painted: 0, playClicked: null, firstFrameMs: null, rates: [], paintMs: []};

  // ------------------------------------------------------------------ server
  function api(method, path, body, raw) {
    var init = {method: method, headers: {"X-Weightflow-Token": TOKEN}};
    if (body !== undefined) {
      init.body = raw ? body : JSON.stringify(body);
      init.headers["Content-Type"] = raw ? "text/csv" : "application/json";
    }
    return fetch(path, init).then(function (r) {
      return r.json().then(function (v) {
        if (!r.ok) throw new Error(v.error || ("HTTP " + r.status));
        return v;
      });
    });
  }
  function showError(e) {
    var box = $("error");
    box.textContent = e ? String(e.message || e) : "";
    box.hidden = !e;
  }

  // ------------------------------------------------------------------ the form and the URL
  function fillSelect(sel, items, value) {
    sel.textContent = "";
    items.forEach(function (it) {
      var o = document.createElement("option");
      o.value = it.value; o.textContent = it.text; sel.appendChild(o);
    });
    if (value !== undefined) sel.value = String(value);
  }
  function buildForm(opts) {
    var d = opts.defaults;
    fillSelect(form.data, opts.datasets.map(function (x) { return {value: x.name, text: x.name}; }));
    opts.datasets.forEach(function (x, i) { form.data.options[i].title = x.summary; });
    fillSelect(form.activation, opts.activations.map(function (a) { return {value: a, text: a}; }));
    fillSelect(form.output, opts.outputs.map(function (a) { return {value: a, text: a}; }));
    fillSelect(form.init, opts.inits.map(function (a) { return {value: a, text: a}; }));
    fillSelect(form.optimizer, opts.optimizers.map(function (o) { return {value: o.name, text: o.name + (o.lr ? "" : " (gradient-free)")}; }));
    var box = $("features");
    opts.features.forEach(function (f) {
      var l = document.createElement("label"), c = document.createElement("input");
      l.className = "pg-check"; c.type = "checkbox"; c.name = "feature"; c.value = f;
      l.appendChild(c); l.appendChild(document.createTextNode(" " + f)); box.appendChild(l);
    });
    setForm(d);
  }
  function setForm(s) {
    Object.keys(s).forEach(function (k) {
      var v = s[k], f = form.elements[k];
      if (k === "features") {
        Array.prototype.forEach.call(form.querySelectorAll("input[name=feature]"), function (c) { c.checked = v.indexOf(c.value) >= 0; });
      } else if (k === "hidden") {
        form.hidden.value = v.join(",");
      } else if (f && f.type === "checkbox") {
        f.checked = !!v;
      } else if (f) {
        if (f.tagName === "SELECT" && !Array.prototype.some.call(f.options, function (o) { return o.value === String(v); })) {
          var o = document.createElement("option"); o.value = String(v); o.textContent = String(v); f.appendChild(o);
        }
        f.value = v === null || v === undefined ? "" : String(v);
      }
    });
  }
  function num(v) { return v === "" ? null : Number(v); }
  /* The setup the form shows, as the server's /api/sessions takes it. */
  function readSetup() {
    var hidden = form.hidden.value.trim();
    return {
      data: form.data.value, n: form.n.disabled ? null : num(form.n.value),
      noise: form.noise.disabled ? null : num(form.noise.value), test_size: num(form.test_size.value),
      label: form.label.value.trim() || null, standardize: form.standardize.checked,
      features: Array.prototype.filter.call(form.querySelectorAll("input[name=feature]"), function (c) { return c.checked; })
        .map(function (c) { return c.value; }),
      hidden: hidden ? hidden.split(/[\s,]+/).filter(Boolean).map(Number) : [],
      activation: form.activation.value, output: form.output.value, init: form.init.value,
      optimizer: form.optimizer.value, lr: num(form.lr.value), batch_size: num(form.batch_size.value) || 0,
      steps: num(form.steps.value), record_every: num(form.record_every.value), seed: num(form.seed.value),
      population: Number(form.population.value), pace: Number(form.pace.value),
      regularization: form.regularization.value, reg_rate: num(form.reg_rate.value) || 0
    };
  }
  function writeURL() {
    var s = readSetup(), q = new URLSearchParams();
    Object.keys(s).forEach(function (k) {
      var v = s[k];
      if (v === null || v === undefined) return;
      q.set(k, Array.isArray(v) ? v.join(",") : String(v));
    });
    history.replaceState(null, "", "#" + q.toString());
  }
  function readURL(defaults) {
    var q = new URLSearchParams(location.hash.slice(1)), s = {};
    q.forEach(function (v, k) {
      if (!(k in defaults)) return;
      var d = defaults[k];
      if (k === "features") s[k] = v ? v.split(",") : [];
      else if (k === "hidden") s[k] = v ? v.split(",").map(Number) : [];
      else if (typeof d === "boolean") s[k] = v === "true";
      else if (typeof d === "number" || k === "noise") s[k] = v === "" ? null : Number(v);
      else s[k] = v;
    });
    return s;
  }

  // ------------------------------------------------------------------ a training's frames
  function prod(a) { return a.reduce(function (x, y) { return x * y; }, 1); }
  /* Every frame of one training, in arrays sized for the whole run, filled as messages arrive. */
  function Live(init, setup) {
    this.init = init; this.total = init.total; this.every = setup.record_every;
    this.model = init.model; this.pop = !!init.population;
    this.M = init.frames.members ? init.frames.members.length : 1;
    this.sizes = init.model.param_shapes.map(prod);
    var self = this;
    this.params = this.sizes.map(function (n) { return new Float32Array(self.M * self.total * n); });
    this.steps = [];
    for (var f = 0; f < this.total; f++) this.steps.push(f * this.every);
    this.history = {};
    this.ranges = {}; this.shown = {};
    this.kept = 0;
    this.add(init);
  }
  Live.prototype.column = function (c, keys) {
    var total = this.total;
    function empty() { var a = new Array(total); for (var i = 0; i < total; i++) a[i] = null; return a; }
    if (!this.history[c]) {
      if (!keys) this.history[c] = empty();
      else { var o = {}; keys.forEach(function (k) { o[k] = empty(); }); this.history[c] = o; }
    }
    return this.history[c];
  };
  Live.prototype.add = function (msg) {
    var self = this, first = msg.first, n = msg.frames.count;
    this.model.param_names.forEach(function (name, p) {
      var src = weightflowPlayer.decode(msg.frames.params[name]), size = self.sizes[p], dst = self.params[p];
      for (var m = 0; m < self.M; m++) {
        dst.set(src.subarray(m * n * size, (m + 1) * n * size), (m * self.total + first) * size);
      }
      self.ranges[name] = Math.max(self.ranges[name] || 0, msg.ranges[name] || 0);
    });
    Object.keys(msg.history).forEach(function (c) {
      var h = msg.history[c];
      if (Array.isArray(h)) { var a = self.column(c); h.forEach(function (v, i) { a[first + i] = v; }); return; }
      var o = self.column(c, Object.keys(h));
      Object.keys(h).forEach(function (k) { if (!o[k]) return; h[k].forEach(function (v, i) { o[k][first + i] = v; }); });
    });
    this.kept = Math.max(this.kept, first + n);
  };
  /* Whether a weight left the colour scale the player was built with. */
  Live.prototype.outgrown = function () {
    var self = this;
    return this.model.param_names.some(function (n) { return !self.shown[n] || self.ranges[n] > self.shown[n]; });
  };
  /* (Re)build the report player over these arrays: its own frames are swapped for ours. */
  Live.prototype.mount = function (root) {
    var self = this, payload = Object.assign({}, this.init), frame = this.player ? this.player.frame : null;
    var member = this.player ? this.player.member : 0;
    payload.ranges = {};
    this.model.param_names.forEach(function (n) { payload.ranges[n] = self.shown[n] = HEADROOM * (self.ranges[n] || 1); });
    payload.history = {};  // the player's own curves are not used: ours grow as the run trains
    root.textContent = "";
    var el = document.createElement("div");
    el.className = "wf-player"; root.appendChild(el);
    var pl = weightflowPlayer.create(el, payload, {views: VIEWS});
    pl.params = this.params; pl.F = this.total; pl.p.frames.count = this.total;
    pl.p.steps = this.steps; pl.p.history = this.history; pl.member = member;
    if (pl.memberSelect && el.querySelector(".wf-member")) el.querySelector(".wf-member").value = String(member);
    pl.slider.addEventListener("input", function () {
      state.follow = pl.frame >= self.kept - 1; paintCurves();
    });
    pl.trajectory = function (p, idx, m) {  // a hovered weight's trajectory: the frames recorded so far
      var out = [];
      for (var f = 0; f < self.kept; f++) out.push(this.param(p, f, m)[idx]);
      return out;
    };
    this.player = pl;
    crossedPlane(pl);
    this.sync(frame === null || state.follow ? this.kept - 1 : frame);
  };
  /* The playground's crossed features (x1^2, sin x1, ...) are functions of x1 and x2: the boundary's
   * plane is (x1, x2) with them computed from it, not held at their mean as for independent inputs.
   * (Hook wanted from the player: an option mapping plane points to model inputs.) */
  var CROSSES = {"x1^2": function (a) { return a * a; }, "x2^2": function (a, b) { return b * b; },
    "x1*x2": function (a, b) { return a * b; }, "sin x1": function (a) { return Math.sin(a); },
    "sin x2": function (a, b) { return Math.sin(b); }};
  function crossedPlane(pl) {
    var names = pl.p.names.features, d = names.length;
    if (d < 3 || !names.slice(2).every(function (n) { return n in CROSSES; })) return;
    var b = pl.views.filter(function (v) { return v.grid && v.coarse && v.setPlane; })[0];
    if (!b) return;
    [b.grid, b.coarse].forEach(function (X) {
      for (var o = 0; o < X.length; o += d) for (var i = 2; i < d; i++) X[o + i] = CROSSES[names[i]](X[o], X[o + 1]);
    });
    b.cache = {};
    var panel = b.c.parentNode, note = panel.querySelector(".wf-note"), plane = panel.querySelector(".wf-plane");
    if (plane) plane.hidden = true;
    if (note) note.textContent = "The plane of x1 and x2; the crossed inputs (" + names.slice(2).join(", ") + ") are computed from them.";
  }
  Live.prototype.sync = function (f) {
    var pl = this.player;
    pl.slider.max = String(Math.max(0, this.kept - 1));
    pl.show(Math.min(f, this.kept - 1));
  };

  /* The player's keys, kept within the frames recorded so far; space plays or pauses the training. */
  $("live").addEventListener("keydown", function (ev) {
    var lv = state.live, t = ev.target.tagName;
    if (!lv || !lv.player || t === "SELECT" || (t === "INPUT" && !ev.target.classList.contains("wf-slider"))) return;
    var f = lv.player.frame, big = Math.max(1, Math.round(lv.kept / 20)), last = lv.kept - 1;
    var next = {ArrowRight: f + 1, ArrowLeft: f - 1, ArrowUp: f + big, ArrowDown: f - big, PageUp: f + big,
      PageDown: f - big, Home: 0, End: last}[ev.key];
    if (ev.key === " ") { ev.preventDefault(); ev.stopPropagation(); $("play").click(); return; }
    if (next === undefined) return;
    ev.preventDefault(); ev.stopPropagation();
    next = Math.max(0, Math.min(last, next));
    state.follow = next >= last; lv.player.show(next); paintCurves(); paintStatus();
  }, true);

  // ------------------------------------------------------------------ event streams
  function openStream(sid) {
    if (state.streams[sid]) return state.streams[sid];
    var es = new EventSource("/api/sessions/" + sid + "/events?token=" + encodeURIComponent(TOKEN));
    es.addEventListener("status", function (ev) { onStatus(JSON.parse(ev.data)); });
    es.addEventListener("init", function (ev) {
      if (sid !== state.session) return;
      var msg = JSON.parse(ev.data), st = findRun(sid);
      state.live = new Live(msg, st.setup);
      state.follow = true;
      state.live.mount($("live"));
      firstFrame();
      paintCurves();
    });
    es.addEventListener("frames", function (ev) {
      if (sid !== state.session || !state.live) return;
      state.live.add(JSON.parse(ev.data));
      stats.updates++;
      schedule();
    });
    state.streams[sid] = es;
    return es;
  }
  function closeStream(sid) {
    if (state.streams[sid]) { state.streams[sid].close(); delete state.streams[sid]; }
  }
  function firstFrame() {
    if (stats.playClicked !== null && stats.firstFrameMs === null) stats.firstFrameMs = performance.now() - stats.playClicked;
  }
  function schedule() {
    if (state.dirty) return;
    state.dirty = true;
    setTimeout(paint, 0);  // events that arrived meanwhile are merged into one paint (rAF is throttled in background tabs)
  }
  function paint() {
    state.dirty = false;
    var lv = state.live, t0 = performance.now();
    if (!lv) return;
    if (lv.outgrown()) lv.mount($("live"));
    else lv.sync(state.follow ? lv.kept - 1 : lv.player.frame);
    stats.painted++;
    var now = performance.now();
    stats.rates.push(now);
    while (stats.rates.length && stats.rates[0] < now - 1000) stats.rates.shift();
    paintCurves();
    paintStatus();
    stats.paintMs.push(performance.now() - t0);
    if (stats.paintMs.length > 200) stats.paintMs.shift();
  }

  // ------------------------------------------------------------------ runs and their state
  function findRun(sid) {
    for (var i = 0; i < state.runs.length; i++) if (state.runs[i].id === sid) return state.runs[i];
    return null;
  }
  function onStatus(st) {
    var run = findRun(st.id);
    if (!run || st.version < run.version) return;  // an answer overtaken by a newer event
    Object.assign(run, st);
    if (["completed", "diverged", "interrupted", "failed"].indexOf(st.state) >= 0) closeStream(st.id);
    if (st.state === "failed") showError(st.error);
    if (st.id === state.session) { state.status = st; paintStatus(); }
    paintRuns();
  }
  function paintStatus() {
    var st = state.status, lv = state.live, box = $("status"), play = $("play");
    var live = st && (st.state === "running" || st.state === "starting");
    play.textContent = live ? "\u275a\u275a pause" : "\u25b6 play";
    play.setAttribute("data-state", st ? st.state : "none");
    if (!st) { box.textContent = "press play"; return; }
    var parts = [st.id + " " + st.state, "step " + st.steps + " / " + st.total_steps];
    if (lv && lv.player) {
      var f = lv.player.frame, loss = lv.player.historyAt("train_loss", f), acc = lv.player.historyAt("train_accuracy", f);
      if (loss !== null && loss !== undefined) parts.push((lv.pop ? "median " : "") + "loss " + loss.toPrecision(3));
      if (acc !== null && acc !== undefined) parts.push("accuracy " + acc.toFixed(3));
    }
    box.textContent = parts.join(" \u00b7 ");
    var succ = $("success");
    if (lv && lv.pop && lv.history.success) {
      var f2 = lv.player ? lv.player.frame : lv.kept - 1, s = lv.history.success.q50[f2];
      succ.hidden = false;
      succ.textContent = "success: " + (s === null ? "-" : Math.round(100 * s) + "%") + " of " + lv.init.members.count +
        " seeds at train accuracy 1 (step " + lv.steps[f2] + ")";
      succ.setAttribute("data-success", s === null ? "" : String(s));
    } else succ.hidden = true;
  }
  function paintRuns() {
    var ul = $("runs"), key = state.session + "|" + state.runs.map(function (r) { return r.id + ":" + r.state; }).join(",");
    if (ul.getAttribute("data-key") === key) return;  // rebuilt only when it changes (status events come often)
    ul.setAttribute("data-key", key);
    ul.textContent = "";
    state.runs.forEach(function (r) {
      var li = document.createElement("li"), c = document.createElement("input"), b = document.createElement("button");
      c.type = "checkbox"; c.checked = !!state.compare[r.id]; c.title = "draw its loss beside this run's";
      c.addEventListener("change", function () { state.compare[r.id] = c.checked; refreshCompare(); });
      b.type = "button"; b.className = "pg-link"; b.textContent = r.label + " \u00b7 " + r.state;
      if (r.id === state.session) li.className = "pg-current";
      b.addEventListener("click", function () { view(r.id); });
      li.appendChild(c); li.appendChild(b); ul.appendChild(li);
    });
  }
  function label(st, parent) {
    var s = st.setup, text = st.id + ": " + s.data + ", " + (s.hidden.length ? s.hidden.join("-") : "no hidden") + " " +
      s.activation + ", " + s.optimizer + " lr " + s.lr;
    if (s.population > 1) text += ", " + s.population + " seeds";
    if (parent) text += " (from " + parent + " at step " + st.offset + ")";
    return text;
  }
  function adopt(st) {
    st.label = label(st, st.parent);
    state.runs.push(st);
    view(st.id);
  }
  /* Show session `sid`: its stream sends every frame so far, then the new ones. */
  function view(sid) {
    state.session = sid; state.status = findRun(sid); state.live = null;
    closeStream(sid);
    openStream(sid);
    paintRuns(); paintStatus(); refreshCompare();
    $("kept").textContent = "";
  }

  // ------------------------------------------------------------------ buttons
  function start(action) {
    showError(null);
    stats.playClicked = performance.now(); stats.firstFrameMs = null;
    return api("POST", "/api/sessions", {setup: readSetup(), action: action}).then(adopt).catch(showError);
  }
  function control(action) {
    return api("POST", "/api/sessions/" + state.session + "/control", {action: action}).then(onStatus).catch(showError);
  }
  function ended() {
    var st = state.status;
    return !st || ["completed", "diverged", "interrupted", "failed"].indexOf(st.state) >= 0;
  }
  $("play").addEventListener("click", function () {
    var st = state.status;
    if (ended()) return start("play");
    if (st.state === "paused") { stats.playClicked = performance.now(); return control("play"); }
    return control("pause");
  });
  $("step").addEventListener("click", function () { return ended() ? start("step") : control("step"); });
  $("reset").addEventListener("click", reset);
  function reset() {
    if (state.session && !ended()) control("stop");
    if (state.session) closeStream(state.session);
    state.session = null; state.status = null; state.live = null;
    $("live").textContent = ""; paintStatus(); paintCurves(); paintRuns();
  }
  function branch(lr) {
    if (!state.live) return;
    showError(null);
    var body = {frame: state.live.player.frame};
    if (lr !== undefined) body.lr = lr;
    stats.playClicked = performance.now(); stats.firstFrameMs = null;
    api("POST", "/api/sessions/" + state.session + "/branch", body).then(adopt).catch(showError);
  }
  $("replay").addEventListener("click", function () { branch(); });
  $("branch").addEventListener("click", function () {
    var v = num($("branch-lr").value);
    if (v === null) { showError("other learning rate: expected a number > 0, got nothing; type one beside branch"); return; }
    branch(v);
  });
  $("keep").addEventListener("click", function () {
    if (!state.session) return;
    var box = $("kept");
    box.textContent = "writing the run directory...";
    api("POST", "/api/sessions/" + state.session + "/keep", {}).then(function (k) {
      box.textContent = "kept in " + k.dir + ": ";
      Object.keys(k.downloads).forEach(function (f) {
        var a = document.createElement("a");
        a.href = k.downloads[f]; a.textContent = f; a.setAttribute("download", f);
        box.appendChild(a); box.appendChild(document.createTextNode(" "));
      });
      k.notes.forEach(function (n) { var p = document.createElement("div"); p.textContent = n; box.appendChild(p); });
    }).catch(function (e) { box.textContent = ""; showError(e); });
  });
  $("upload").addEventListener("change", function () {
    var file = this.files[0], info = $("upload-info");
    if (!file) return;
    showError(null);
    if (file.size > 2000000) { showError("upload: expected a CSV of at most 2 MB, got " + file.size + " bytes"); return; }
    var label = form.label.value.trim();
    file.text().then(function (text) {
      return api("POST", "/api/upload" + (label ? "?label=" + encodeURIComponent(label) : ""), text, true);
    }).then(function (u) {
      var o = document.createElement("option");
      o.value = u.id; o.textContent = "upload (" + u.rows + " rows)"; form.data.appendChild(o);
      form.data.value = u.id; form.label.value = u.label;
      info.textContent = u.rows + " rows, features " + u.features.join(", ") + "; classes " + u.classes.join(", ");
      changed();
    }).catch(showError);
  });
  /* Points and noise only where the dataset's generator takes them. */
  function dataOptions() {
    var d = (state.options.datasets.filter(function (x) { return x.name === form.data.value; })[0] || {options: {}}).options;
    form.n.disabled = !("n" in d); form.noise.disabled = !("noise" in d);
  }
  function changed() {
    dataOptions();
    writeURL();
    if (state.session && !ended()) reset();
  }
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });

  // ------------------------------------------------------------------ curves (grow as the run trains)
  function refreshCompare() {
    var ids = Object.keys(state.compare).filter(function (k) { return state.compare[k] && k !== state.session; });
    Promise.all(ids.map(function (id) { return api("GET", "/api/sessions/" + id + "/history"); }))
      .then(function (list) { state.others = list; paintCurves(); }).catch(function () { state.others = []; });
  }
  function paintCurves() {
    var c = $("curves"), g = c.getContext("2d"), W = c.width, H = c.height, pad = {l: 50, r: 10, t: 10, b: 22};
    g.fillStyle = "#fff"; g.fillRect(0, 0, W, H);
    var lv = state.live, series = [], others = state.others || [];
    if (lv) {
      var tl = lv.history.train_loss, te = lv.history.test_loss, off = state.status ? state.status.offset : 0;
      series.push({ys: tl && (Array.isArray(tl) ? tl : tl.q50), band: tl && !Array.isArray(tl) ? [tl.q25, tl.q75] : null,
        color: "#1f77b4", name: "train loss", off: off});
      if (te) series.push({ys: Array.isArray(te) ? te : te.q50, color: "#ff7f0e", name: "test loss", off: off});
    }
    var x1 = lv ? lv.steps[lv.total - 1] + (state.status ? state.status.offset : 0) : 1, lo = Infinity, hi = -Infinity;
    others.forEach(function (o) { if (o.steps.length) x1 = Math.max(x1, o.steps[o.steps.length - 1]); });
    function scan(a) { if (a) a.forEach(function (v) { if (v !== null && isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); }
    series.forEach(function (s) { scan(s.ys); });
    others.forEach(function (o) { scan(o.train_loss); });
    axes(g, W, H, pad, x1);
    if (!isFinite(lo)) return;
    var log = hi / lo > 30, L = function (v) { return log ? Math.log10(v) : v; };
    var ylo = log ? L(lo) : 0, yhi = L(hi) + (log ? 0.05 : 0.05 * hi);
    var X = function (s) { return pad.l + (W - pad.l - pad.r) * s / Math.max(1, x1); };
    var Y = function (v) { return pad.t + (H - pad.t - pad.b) * (1 - (L(Math.max(v, 1e-12)) - ylo) / (yhi - ylo || 1)); };
    g.font = "10px sans-serif"; g.fillStyle = "#555"; g.textAlign = "right";
    [ylo, (ylo + yhi) / 2, yhi].forEach(function (u) {
      var v = log ? Math.pow(10, u) : u; g.fillText(v.toPrecision(2), pad.l - 4, Y(v) + 3);
    });
    others.forEach(function (o) { line(g, o.steps, o.train_loss, 0, X, Y, "rgba(90,90,90,0.55)", 1.2); });
    series.forEach(function (s) {
      if (!s.ys) return;
      if (s.band) bandPath(g, lv.steps, s.band[0], s.band[1], s.off, X, Y);
      line(g, lv.steps, s.ys, s.off, X, Y, s.color, 1.6);
    });
    g.textAlign = "left";
    series.forEach(function (s, i) { g.fillStyle = s.color; g.fillText(s.name, pad.l + 8, pad.t + 12 + 12 * i); });
    others.forEach(function (o, i) {
      g.fillStyle = "#666"; g.fillText(o.label, pad.l + 8, pad.t + 12 + 12 * (series.length + i));
    });
    if (lv && lv.player) {
      var x = X(lv.steps[lv.player.frame] + (state.status ? state.status.offset : 0));
      g.strokeStyle = "#d62728"; g.lineWidth = 1.5; g.beginPath(); g.moveTo(x, pad.t); g.lineTo(x, H - pad.b); g.stroke();
    }
    c.onclick = function (ev) {
      if (!lv || !lv.player) return;
      var r = c.getBoundingClientRect(), sx = (ev.clientX - r.left) * W / r.width;
      var step = (sx - pad.l) / (W - pad.l - pad.r) * x1 - (state.status ? state.status.offset : 0);
      var f = Math.max(0, Math.min(lv.kept - 1, Math.round(step / lv.every)));
      state.follow = f >= lv.kept - 1; lv.player.show(f); paintCurves(); paintStatus();
    };
  }
  function axes(g, W, H, pad, x1) {
    g.strokeStyle = "#999"; g.lineWidth = 1; g.beginPath();
    g.moveTo(pad.l, pad.t); g.lineTo(pad.l, H - pad.b); g.lineTo(W - pad.r, H - pad.b); g.stroke();
    g.fillStyle = "#555"; g.font = "10px sans-serif"; g.textAlign = "center";
    g.fillText("0", pad.l, H - 6); g.fillText(String(x1), W - pad.r - 16, H - 6); g.fillText("step", (pad.l + W) / 2, H - 6);
  }
  function line(g, xs, ys, off, X, Y, color, width) {
    g.strokeStyle = color; g.lineWidth = width; g.beginPath();
    var open = false;
    for (var i = 0; i < ys.length; i++) {
      var v = ys[i];
      if (v === null || !isFinite(v)) { open = false; continue; }
      if (open) g.lineTo(X(xs[i] + off), Y(v)); else g.moveTo(X(xs[i] + off), Y(v));
      open = true;
    }
    g.stroke();
  }
  function bandPath(g, xs, lo, hi, off, X, Y) {
    var idx = [];
    for (var i = 0; i < lo.length; i++) if (lo[i] !== null && hi[i] !== null) idx.push(i);
    if (!idx.length) return;
    g.fillStyle = "rgba(31,119,180,0.18)"; g.beginPath();
    idx.forEach(function (k) { g.lineTo(X(xs[k] + off), Y(lo[k])); });
    idx.slice().reverse().forEach(function (k) { g.lineTo(X(xs[k] + off), Y(hi[k])); });
    g.closePath(); g.fill();
  }

  // ------------------------------------------------------------------ start
  window.wfServe = {
    state: state, stats: stats, setup: readSetup,
    live: function () { return state.live; },
    rate: function () { return stats.rates.length; }
  };
  api("GET", "/api/options").then(function (opts) {
    state.options = opts;
    buildForm(opts);
    setForm(readURL(opts.defaults));
    dataOptions();
    writeURL();
    paintCurves();
    document.body.setAttribute("data-ready", "1");
  }).catch(showError);
})();
