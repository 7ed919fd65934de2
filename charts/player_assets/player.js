/* Descent Lab race player: the map and the loss chart at the same optimizer step, moved in the browser.
 *
 * DescentPlayer.mount(root, spec, {onPick}) draws spec.map and spec.loss with plotly.js (served by the app
 * or inlined in the export, never from a CDN) and moves every run's path, head and loss marker to step k with
 * Plotly.restyle. spec comes from charts/player.py: positions, losses and overlay vectors are base64
 * little-endian typed arrays, sent once. Play/pause, one-step forward/back, the scrubber, the speed
 * (0.1x-10x, BASE steps/s at 1x) and the overlays make no request to the server.
 */
(function () {
  "use strict";

  function decode(b64, T) {
    const bin = atob(b64 || "");
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new T(bytes.buffer);
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmtScale(c) {
    if (c >= 1000 || c < 0.01) return c.toExponential(0).replace("e+", "e");
    return String(+c.toPrecision(3));
  }

  function rgba(hex, a) {
    const m = /^#([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return hex;
    const n = parseInt(m[1], 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
  }

  function fmtSpeed(s) { return (s < 1 ? s.toFixed(2).replace(/0$/, "") : s < 10 ? s.toFixed(1) : s.toFixed(0)) + "×"; }

  const ARROWS = {
    grad: {color: "#111111", name: "−gradient"},
    momentum: {color: "#E07000", name: "momentum"},
    step: {color: "#00A0A0", name: "actual step"},
  };

  function mount(root, spec, opts) {
    opts = opts || {};
    const P = window.Plotly;
    const N = spec.steps;
    const style = spec.style || {};
    root.innerHTML = "";
    root.classList.add("dp");
    root.style.setProperty("--dp-font", (style.control_size || 15) + "px");
    root.tabIndex = 0;

    const row = el("div", {class: "dp-row"});
    const mapDiv = el("div", {class: "dp-map"});
    const side = el("div", {class: "dp-side"});
    const lossDiv = el("div", {class: "dp-loss"});
    side.appendChild(lossDiv);
    row.appendChild(mapDiv); row.appendChild(side);

    const controls = el("div", {class: "dp-controls"});
    const mk = (act, label, title) => { const b = el("button", {"data-act": act, title: title, "aria-label": title}, label); controls.appendChild(b); return b; };
    mk("first", "◀◀ 0", "Back to step 0");
    const what = spec.kind === "frames" ? "One " + (spec.step_name || "frame") : "One optimizer step";
    mk("back", "◀ 1", what + " back");
    const playBtn = mk("play", "▶ Play", "Play / pause (space)");
    mk("fwd", "1 ▶", what + " forward");
    mk("last", "end ▶▶", "The whole race (last step)");
    const scrub = el("input", {type: "range", class: "dp-scrub", min: "0", max: String(N), step: "1", "aria-label": "step"});
    controls.appendChild(scrub);
    const caption = el("span", {class: "dp-caption"});
    controls.appendChild(caption);
    const speedBox = el("label", {class: "dp-speed-box"});
    speedBox.appendChild(document.createTextNode("Speed "));
    const speed = el("input", {type: "range", class: "dp-speed", min: "-1", max: "1", step: "0.05", value: "0", "aria-label": "speed"});
    const speedOut = el("output", {class: "dp-speed-out"}, "1×");
    speedBox.appendChild(speed); speedBox.appendChild(speedOut);
    controls.appendChild(speedBox);

    const ovBox = el("div", {class: "dp-overlays"});
    const ovInputs = {};
    if ((spec.overlays || []).length) {
      ovBox.appendChild(el("span", {class: "dp-ov-title"}, "Overlays:"));
      for (const kind of spec.overlays) {
        const lab = el("label", {class: "dp-ov dp-ov-" + kind});
        const cb = el("input", {type: "checkbox", "data-overlay": kind});
        ovInputs[kind] = cb;
        lab.appendChild(cb);
        const sw = el("span", {class: "dp-swatch dp-swatch-" + kind});
        lab.appendChild(sw);
        lab.appendChild(document.createTextNode(" " + spec.overlay_names[kind]));
        ovBox.appendChild(lab);
      }
      const sel = el("select", {class: "dp-ov-run", "aria-label": "overlays for"});
      sel.appendChild(el("option", {value: "all"}, "every optimizer"));
      spec.runs.forEach((r, i) => sel.appendChild(el("option", {value: String(i)}, r.label)));
      const selLab = el("label", {class: "dp-ov-for"}, "for ");
      selLab.appendChild(sel);
      ovBox.appendChild(selLab);
      ovInputs.__run = sel;
    }
    const scaleNote = el("div", {class: "dp-scale"});
    const legendNote = el("div", {class: "dp-ov-legend"});

    // Controls first (visible without scrolling in a 1440x900 window), then the map and the loss chart.
    const left = el("div", {class: "dp-left"});
    left.appendChild(mapDiv);
    row.insertBefore(left, side);
    root.appendChild(controls);
    root.appendChild(ovBox);
    root.appendChild(scaleNote);
    root.appendChild(legendNote);
    root.appendChild(row);

    // ---- data ----
    const frames = spec.kind === "frames";
    if (frames && spec.split) {  // the map's share of the width (a grid of decision maps needs more than a race map)
      root.style.setProperty("--dp-split", (100 * spec.split).toFixed(1) + "%");
      root.style.setProperty("--dp-rest", (100 * (1 - spec.split)).toFixed(1) + "%");
    }
    const series = (spec.series || []).map(s => {
      const per = s.shape.reduce((a, b) => a * b, 1);
      // The figure already shows the rest step (charts/player.py frames_spec): nothing is drawn twice at opening.
      const rest = spec.rest_step === undefined || spec.rest_step === null ? -1 : s.index[spec.rest_step];
      return Object.assign({}, s, {D: decode(s.data, Float32Array), per: per, shown: rest});
    });
    const runs = frames ? spec.runs.map(r => Object.assign({}, r, {MX: r.mx, MY: r.my})) : spec.runs.map(r => {
      const ov = {};
      for (const [k, v] of Object.entries(r.ov || {})) ov[k] = decode(v, Float32Array);
      return Object.assign({}, r, {X: decode(r.x, Float64Array), Y: decode(r.y, Float64Array), L: decode(r.loss, Float64Array), OV: ov,
                                   Z: r.z ? decode(r.z, Float32Array) : null});
    });

    // ---- the map, with the overlay traces appended ----
    const mapData = spec.map.data.slice();
    const ovTrace = {};
    const headSize = style.head_size || 12, arrowWidth = style.arrow_width || 2.5;
    for (const kind of ["grad", "momentum", "step"]) {
      if (!(spec.overlays || []).includes(kind)) continue;
      ovTrace[kind] = [mapData.length, mapData.length + 1];
      mapData.push({type: "scatter", mode: "lines+markers", x: [], y: [], hoverinfo: "skip", showlegend: false,
                    name: kind + " halo", line: {color: "rgba(255,255,255,0.9)", width: arrowWidth + 3},
                    marker: {symbol: "arrow", angleref: "previous", size: [], color: "rgba(255,255,255,0.9)"}, cliponaxis: true});
      mapData.push({type: "scatter", mode: "lines+markers", x: [], y: [], hoverinfo: "skip", showlegend: false,
                    name: ARROWS[kind].name, line: {color: ARROWS[kind].color, width: arrowWidth},
                    marker: {symbol: "arrow", angleref: "previous", size: [], color: ARROWS[kind].color}, cliponaxis: true});
    }
    if ((spec.overlays || []).includes("x_point")) {
      ovTrace.x_point = [mapData.length];
      mapData.push({type: "scatter", mode: "lines+markers", x: [], y: [], hoverinfo: "skip", showlegend: false,
                    name: "Schedule-Free x", line: {color: "#333", width: 1.5, dash: "dot"},
                    marker: {symbol: [], size: headSize + 2, color: "white", line: {color: [], width: 3}}});
    }
    const mapLayout = Object.assign({}, spec.map.layout, {autosize: true});
    delete mapLayout.width;
    mapLayout.uirevision = "keep";
    // A narrow frame (a phone): the spec's other layout for the same traces, e.g. the learning-rate panels stacked
    // one under the other (charts/player.py frames_spec, narrow=).
    if (spec.narrow && root.clientWidth > 0 && root.clientWidth < spec.narrow.below) Object.assign(mapLayout, spec.narrow.layout);

    // A grid of map panels (spec.grid, charts/moons.py map_grid): as many columns as fit titles of grid.chars
    // characters at the titles' own size (at most grid.cols; on a phone two, or one), each panel keeping the data's
    // aspect, every row's titles in a band as tall as the longest title at any step. Returns the layout changes.
    function gridLayout(width) {
      const g = spec.grid;
      if (!g || !width) return null;
      const m = mapLayout.margin || {}, l = m.l || 0, r = m.r || 0, b = m.b || 0;
      const notes = mapLayout.annotations || [];
      const first = notes[g.titles[0]] || {};
      const fs = (first.font && first.font.size) || 12;
      const plotW = Math.max(60, width - l - r);
      let cols = Math.max(1, g.cols);
      while (cols > 1 && (plotW - g.gap * (cols - 1)) / cols < g.chars * 0.55 * fs) cols--;
      const rows = Math.ceil(g.n / cols);
      const cell = (plotW - g.gap * (cols - 1)) / cols;  // a column: its map and its titles
      const band = Math.ceil(g.lines * fs * 1.3 + 8);
      const t = g.toolbar + band;
      const pw = cell, ph = pw * g.aspect;
      const plotH = rows * ph + (rows - 1) * (band + g.vgap);
      const out = {height: Math.round(t + plotH + b), "margin.t": t};
      const axes = Object.keys(spec.map.layout).filter(k => /^xaxis\d*$/.test(k)).length;
      for (let i = 0; i < axes; i++) {
        const xa = i === 0 ? "xaxis" : "xaxis" + (i + 1), ya = i === 0 ? "yaxis" : "yaxis" + (i + 1);
        if (i >= g.n) { out[xa + ".visible"] = false; out[ya + ".visible"] = false; continue; }
        const row = Math.floor(i / cols), col = i % cols;
        const left = col * (cell + g.gap);
        const x0 = left / plotW, x1 = (left + pw) / plotW;
        const top = row * (ph + band + g.vgap);
        const y1 = 1 - top / plotH, y0 = Math.max(0, 1 - (top + ph) / plotH);
        out[xa + ".domain"] = [x0, x1]; out[ya + ".domain"] = [y0, y1];
        const j = g.titles[i];
        if (j !== undefined && j !== null && notes[j]) {
          out[`annotations[${j}].x`] = (x0 + x1) / 2; out[`annotations[${j}].y`] = y1;
          out[`annotations[${j}].yanchor`] = "bottom"; out[`annotations[${j}].yshift`] = 2;
        }
      }
      state.grid = {cols: cols, rows: rows, width: width, panel: pw, band: band, font: fs};
      return out;
    }
    function putLayout(layout, changes) {  // flat keys ("xaxis2.domain", "annotations[3].x") into a layout object
      for (const [key, v] of Object.entries(changes)) {
        const path = key.replace(/\[(\d+)\]/g, ".$1").split(".");
        let o = layout;
        for (let q = 0; q < path.length - 1; q++) {
          const k = path[q];
          o[k] = Array.isArray(o[k]) ? o[k].slice() : Object.assign({}, o[k] || {});
          o = o[k];
        }
        o[path[path.length - 1]] = v;
      }
    }
    async function regrid() {
      const w = mapDiv.clientWidth;
      if (!spec.grid || !w || (state.grid && Math.abs(state.grid.width - w) < 2)) return null;
      return P.relayout(mapDiv, gridLayout(w));
    }
    const baseShapes = (mapLayout.shapes || []).slice();
    const config = {displaylogo: false, showSendToCloud: false, showEditInChartStudio: false, responsive: true,
                    scrollZoom: false, toImageButtonOptions: {format: "png", filename: "optimizer-race", scale: 2}};
    const lossLayout = Object.assign({}, spec.loss.layout, {autosize: true});
    delete lossLayout.width;
    lossLayout.uirevision = "keep";
    const lossShapes = (lossLayout.shapes || []).slice();
    const stepLine = lossShapes.findIndex(s => s.name === "step line");

    const state = {k: spec.start_step, textStep: spec.rest_step, playing: false, speed: 1, interval: 1000 / spec.base_rate, draws: 0,
                   changes: [], overlays: {}, overlayRun: "all", ready: false};
    root.__player = state;
    window.__descentPlayer = state;

    function shownIndex(r, k) { return Math.max(0, Math.min(k, r.last_good, r.X.length - 1)); }

    function mapUpdate3d(k) {
      // The 3-D view: each path and head lifted onto the surface (heights from charts/surface3d.py).
      const xs = [], ys = [], zs = [], idx = [];
      runs.forEach(r => {
        const j = Math.min(shownIndex(r, k), r.Z ? r.Z.length - 1 : 0), t = r.traces || {};
        if (!r.Z) return;
        idx.push(t.path); xs.push(r.X.subarray(0, j + 1)); ys.push(r.Y.subarray(0, j + 1)); zs.push(r.Z.subarray(0, j + 1));
        idx.push(t.head); xs.push([r.X[j]]); ys.push([r.Y[j]]); zs.push([r.Z[j]]);
      });
      return P.restyle(mapDiv, {x: xs, y: ys, z: zs}, idx);
    }

    function framesUpdate(k) {
      // Whole arrays per frame (a decision map's z, a fitted line's y): only the series whose row changed.
      const byAttr = {};
      series.forEach(s => {
        const row = s.index[k];
        if (row === s.shown) return;
        s.shown = row;
        const flat = s.D.subarray(row * s.per, (row + 1) * s.per);
        let v = flat;
        if (s.shape.length === 2) { v = []; for (let i = 0; i < s.shape[0]; i++) v.push(flat.subarray(i * s.shape[1], (i + 1) * s.shape[1])); }
        (byAttr[s.attr] = byAttr[s.attr] || {vals: [], idx: []});
        byAttr[s.attr].vals.push(v); byAttr[s.attr].idx.push(s.trace);
      });
      const done = Object.entries(byAttr).map(([attr, b]) => P.restyle(mapDiv, {[attr]: b.vals}, b.idx));
      if (k !== state.textStep) {
        const lay = {};
        (spec.texts || []).forEach(t => { lay[`annotations[${t.annotation}].text`] = t.values[k]; });
        if (Object.keys(lay).length) done.push(P.relayout(mapDiv, lay));
        state.textStep = k;
      }
      state.mapDraws = (state.mapDraws || 0) + done.length;
      return Promise.all(done);
    }

    function mapUpdate(k) {
      if (frames) return framesUpdate(k);
      if (spec.kind === "3d") return mapUpdate3d(k);
      const xs = [], ys = [], idx = [];
      const put = (i, x, y) => { if (i === null || i === undefined) return; idx.push(i); xs.push(x); ys.push(y); };
      runs.forEach(r => {
        const j = shownIndex(r, k), t = r.traces || {};
        const px = r.X.subarray(0, j + 1), py = r.Y.subarray(0, j + 1);
        put(t.halo, px, py); put(t.path, px, py);
        put(t.head, [r.X[j]], [r.Y[j]]);
        if (t.cross !== null && t.cross !== undefined) {
          const on = r.diverged_at !== null && k >= r.diverged_at && r.cross;
          put(t.cross, on ? [r.cross[0]] : [], on ? [r.cross[1]] : []);
        }
      });
      // overlays
      const shapes = baseShapes.slice();
      const legend = [];
      for (const kind of ["grad", "momentum", "step", "x_point"]) {
        if (!ovTrace[kind]) continue;
        const on = !!state.overlays[kind];
        const X = [], Y = [], S = [], sym = [], lineColors = [];
        if (on) {
          runs.forEach((r, i) => {
            if (state.overlayRun !== "all" && String(i) !== state.overlayRun) return;
            const v = r.OV[kind];
            if (!v) return;
            if (kind === "x_point") {
              // Schedule-Free: z (diamond), y (the path's head) and x (ring) on one dotted line: y lies between them.
              const j = shownIndex(r, k);
              if (2 * j + 1 >= v.length) return;
              const z = r.OV.z_point && 2 * j + 1 < r.OV.z_point.length ? [r.OV.z_point[2 * j], r.OV.z_point[2 * j + 1]] : null;
              if (z) { X.push(z[0]); Y.push(z[1]); sym.push("diamond-open"); lineColors.push(r.color); S.push(headSize + 2); }
              X.push(r.X[j], v[2 * j], null); Y.push(r.Y[j], v[2 * j + 1], null);
              sym.push("circle", "circle-open-dot", "circle"); lineColors.push(r.color, r.color, r.color);
              S.push(0, headSize + 2, 0);
              return;
            }
            const j = shownIndex(r, k);
            if (j >= r.last_good || 2 * j + 1 >= v.length) return;  // no update left to show
            const c = spec.scales[kind];
            const x0 = r.X[j], y0 = r.Y[j];
            X.push(x0, x0 + c * v[2 * j], null); Y.push(y0, y0 + c * v[2 * j + 1], null);
            S.push(0, headSize, 0);
          });
        }
        if (kind === "x_point") {
          idx.push(ovTrace.x_point[0]); xs.push(X); ys.push(Y);
        } else {
          for (const t of ovTrace[kind]) { idx.push(t); xs.push(X); ys.push(Y); }
        }
        if (kind === "x_point") { state.xMarkers = {symbols: sym, colors: lineColors, sizes: S}; }
        state.overlayCounts = state.overlayCounts || {};
        state.overlayCounts[kind] = kind === "x_point" ? sym.filter(v => v === "circle-open-dot").length
                                                       : X.filter(v => v !== null).length / 2;
        if (on) state.overlaySizes = Object.assign(state.overlaySizes || {}, {[kind]: S});
      }
      if (ovTrace.x_point) {
        // marker arrays of the x trace (symbols and outline colours per point)
      }
      if (spec.overlays && spec.overlays.includes("second") && state.overlays.second) {
        let count = 0;
        runs.forEach((r, i) => {
          if (state.overlayRun !== "all" && String(i) !== state.overlayRun) return;
          const v = r.OV.second;
          const j = shownIndex(r, k);
          if (!v || j >= r.last_good || 2 * j + 1 >= v.length) return;
          const c = spec.scales.second, gap = 3;
          const sx = c * Math.sqrt(Math.abs(v[2 * j])), sy = c * Math.sqrt(Math.abs(v[2 * j + 1]));
          const common = {type: "rect", xref: "x", yref: "y", xsizemode: "pixel", ysizemode: "pixel",
                          xanchor: r.X[j], yanchor: r.Y[j], fillcolor: rgba(r.color, 0.18),
                          line: {color: r.color, width: 2}, layer: "above"};
          shapes.push(Object.assign({}, common, {name: "second-x-" + i, x0: gap, x1: gap + sx, y0: gap, y1: gap + sx,
                                                 label: {text: sx > 18 ? "x" : "", font: {size: 12}}}));
          shapes.push(Object.assign({}, common, {name: "second-y-" + i, x0: -gap - sy, x1: -gap, y0: -gap - sy, y1: -gap,
                                                 label: {text: sy > 18 ? "y" : "", font: {size: 12}}}));
          count += 2;
        });
        state.overlayCounts = Object.assign(state.overlayCounts || {}, {second: count / 2});
      } else if (state.overlayCounts) {
        state.overlayCounts.second = 0;
      }
      const upd = {x: xs, y: ys};
      // per-trace marker sizes for arrows (head at the tip only)
      const sizes = idx.map(i => {
        for (const kind of ["grad", "momentum", "step"]) {
          if (ovTrace[kind] && ovTrace[kind].includes(i)) {
            const n = xs[idx.indexOf(i)].length;
            const s = []; for (let q = 0; q < n; q++) s.push(q % 3 === 1 ? headSize + (i === ovTrace[kind][0] ? 4 : 0) : 0);
            return s;
          }
        }
        return undefined;
      });
      upd["marker.size"] = sizes;
      if (ovTrace.x_point) {
        const p = idx.indexOf(ovTrace.x_point[0]);
        upd["marker.symbol"] = idx.map((i, q) => q === p ? state.xMarkers.symbols : undefined);
        upd["marker.line.color"] = idx.map((i, q) => q === p ? state.xMarkers.colors : undefined);
        upd["marker.size"][p] = state.xMarkers.sizes;
      }
      return P.update(mapDiv, upd, {shapes: shapes}, idx);
    }

    function lossUpdate(k) {
      const xs = [], ys = [], idx = [];
      if (frames) {
        runs.forEach(r => {
          const on = r.MX[k] !== null && r.MY[k] !== null;
          idx.push(r.loss_trace); xs.push(on ? [r.MX[k]] : []); ys.push(on ? [r.MY[k]] : []);
        });
        const lay = {};
        if (stepLine >= 0) { lay[`shapes[${stepLine}].x0`] = spec.values[k]; lay[`shapes[${stepLine}].x1`] = spec.values[k]; }
        return P.update(lossDiv, {x: xs, y: ys}, lay, idx);
      }
      runs.forEach(r => {
        const j = shownIndex(r, k);
        idx.push(r.loss_trace); xs.push([j]); ys.push([r.L[j]]);
      });
      const lay = {};
      if (stepLine >= 0) { lay[`shapes[${stepLine}].x0`] = k; lay[`shapes[${stepLine}].x1`] = k; }
      return P.update(lossDiv, {x: xs, y: ys}, lay, idx);
    }

    function show(k) {
      k = Math.max(0, Math.min(N, Math.round(k)));
      const changed = k !== state.k;
      state.k = k;
      scrub.value = String(k);
      caption.innerHTML = frames ? (spec.unit || "Epoch") + " <b>" + spec.values[k] + "</b> of " + spec.values[N]
        + ((spec.step_name || "frame").toLowerCase() === (spec.unit || "Epoch").toLowerCase() ? ""
           : " <span class='dp-sub'>(" + (spec.step_name || "frame") + " " + k + " of " + N + ")</span>")
        : "Step <b>" + k + "</b> of " + N;
      playBtn.textContent = state.playing ? "❚❚ Pause" : "▶ Play";
      if (changed) state.changes.push([performance.now(), k]);
      if (state.changes.length > 400) state.changes.splice(0, 200);
      state.draws++;
      if (!state.playing) settle();
      return Promise.all([mapUpdate(k), lossUpdate(k)]);
    }

    // The step on show once the player rests (paused, stepped, scrubbed): opts.onSettle(k), at most every 150 ms.
    let settleTimer = null;
    function settle() {
      if (!opts.onSettle) return;
      clearTimeout(settleTimer);
      settleTimer = setTimeout(() => { if (!state.playing) opts.onSettle(state.k); }, 150);
    }

    function setSpeed(logv) {
      state.speed = Math.pow(10, logv);
      state.interval = 1000 / (spec.base_rate * state.speed);
      speedOut.textContent = fmtSpeed(state.speed);
    }

    let last = 0, acc = 0, rafId = null;
    function tick(t) {
      if (!state.playing) return;
      if (!last) last = t;
      acc += t - last; last = t;
      const n = Math.floor(acc / state.interval);
      if (n >= 1) {
        acc -= n * state.interval;
        const k = Math.min(N, state.k + n);
        if (k >= N) { state.playing = false; }
        show(k);
      }
      if (state.playing) rafId = requestAnimationFrame(tick);
    }
    function play() {
      if (state.playing) return;
      if (state.k >= N) state.k = 0;
      state.playing = true; last = 0; acc = state.interval;  // the first step shows at once
      playBtn.textContent = "❚❚ Pause";
      rafId = requestAnimationFrame(tick);
    }
    function pause() {
      if (state.playing) settle();
      state.playing = false;
      if (rafId) cancelAnimationFrame(rafId);
      playBtn.textContent = "▶ Play";
    }

    controls.addEventListener("click", ev => {
      const b = ev.target.closest("button");
      if (!b) return;
      const act = b.getAttribute("data-act");
      if (act === "play") { state.playing ? pause() : play(); return; }
      pause();
      if (act === "first") show(0);
      else if (act === "last") show(N);
      else if (act === "back") show(state.k - 1);
      else if (act === "fwd") show(state.k + 1);
    });
    scrub.addEventListener("input", () => { pause(); show(+scrub.value); });
    speed.addEventListener("input", () => setSpeed(+speed.value));
    for (const [kind, cb] of Object.entries(ovInputs)) {
      if (kind === "__run") {
        cb.addEventListener("change", () => { state.overlayRun = cb.value; show(state.k); });
      } else {
        cb.addEventListener("change", () => { state.overlays[kind] = cb.checked; describe(); show(state.k); });
      }
    }
    root.addEventListener("keydown", ev => {
      if (ev.target && ev.target.tagName === "SELECT") return;
      if (ev.key === " ") { ev.preventDefault(); state.playing ? pause() : play(); }
      else if (ev.key === "ArrowRight") { ev.preventDefault(); pause(); show(state.k + 1); }
      else if (ev.key === "ArrowLeft") { ev.preventDefault(); pause(); show(state.k - 1); }
    });

    function describe() {
      const s = spec.scales, parts = [];
      const on = k => !!state.overlays[k];
      if (on("grad")) parts.push("−gradient × " + fmtScale(s.grad));
      if (on("momentum")) parts.push("momentum × " + fmtScale(s.momentum));
      if (on("step")) parts.push("actual step × " + fmtScale(s.step));
      let text = parts.length ? "Arrows start at each optimizer's current point, drawn at scale: " + parts.join(", ") + " (map units)." : "";
      if (on("second")) text += (text ? " " : "") + "Squares: side = √v × " + fmtScale(s.second) + " px (area ∝ the accumulated squared gradient v; x-axis square up-right, y-axis square down-left).";
      if (on("x_point")) text += (text ? " " : "") + "Schedule-Free: the ring is x (the average, what converges), the diamond is z (the base sequence that takes the AdamW steps); the dotted line joins them through y = (1 − β₁) z + β₁ x (the trained point, the path).";
      scaleNote.textContent = text;
      const labels = [];
      if (on("momentum")) {
        const seen = new Set();
        runs.forEach(r => { const l = r.ov_labels && r.ov_labels.momentum; if (l && r.OV.momentum && !seen.has(r.label)) { seen.add(r.label); labels.push(r.label + ": " + l); } });
      }
      if (on("step") && runs.some(r => r.sign_step)) labels.push("Lion's step is its sign step −η·sign(c)");
      if (on("second")) runs.forEach(r => { if (r.OV.second) labels.push(r.label + ": " + r.ov_labels.second); });
      legendNote.textContent = labels.join(" · ");
    }

    if (spec.grid) { const g0 = gridLayout(mapDiv.clientWidth); if (g0) putLayout(mapLayout, g0); }
    const ready = Promise.all([P.newPlot(mapDiv, mapData, mapLayout, config),
                               P.newPlot(lossDiv, spec.loss.data, lossLayout, Object.assign({}, config, {toImageButtonOptions: {format: "png", filename: "race-loss", scale: 2}}))])
      .then(() => show(state.k)).then(() => fit()).then(() => {
        state.ready = true;
        root.setAttribute("data-ready", "1");
        if (opts.onReady) opts.onReady();
        if (spec.autoplay && state.k < N) play();
      });
    if (window.ResizeObserver) {
      const ro = new ResizeObserver(() => { if (state.ready) { P.Plots.resize(mapDiv); P.Plots.resize(lossDiv); regrid(); } });
      ro.observe(mapDiv); ro.observe(lossDiv);
    }
    // Presentation mode (style.fit): the map's plot area is square and fills the window's height below the
    // controls (never under 640 px wide while the width allows it; less tall than wide when the height does not
    // allow a square), the loss chart takes the rest of the row.
    function viewportHeight() {  // the app's window less Streamlit's fixed header bar
      try {
        const d = window.parent.document, bar = d.querySelector("[data-testid=stHeader]");
        return (window.parent.innerHeight || window.innerHeight) - (bar ? bar.getBoundingClientRect().height : 0);
      } catch (e) { return window.innerHeight; }
    }
    const topLegend = JSON.parse(JSON.stringify(mapLayout.legend || {}));
    const topMargin = (mapLayout.margin || {}).t || 100;
    const titleSize = ((mapLayout.title || {}).font || {}).size || 20;
    async function fit() {
      if (!style.fit || spec.kind !== "2d") return null;
      const rowW = row.clientWidth;
      if (rowW < 820) {  // a phone: stacked by the style sheet
        left.style.flexBasis = ""; side.style.flexBasis = "";
        return null;
      }
      // A wide window (a projector): the legend goes to the map's right, so the square can use the height.
      const right = rowW >= 1600;
      if (right !== !!state.legendRight) {
        state.legendRight = right;
        await P.relayout(mapDiv, {legend: right ? Object.assign({}, topLegend, {orientation: "v", x: 1.02, xanchor: "left", y: 1, yanchor: "top"}) : topLegend,
                                  "margin.t": right ? Math.min(topMargin, 2.6 * titleSize + 12) : topMargin});
      }
      const m = mapDiv._fullLayout._size, chrome = row.getBoundingClientRect().top - root.getBoundingClientRect().top;
      const avail = viewportHeight() - chrome - 12;
      const widest = Math.floor(rowW * 0.68) - m.l - m.r;  // the loss chart keeps about a third of the row
      const sidePx = Math.max(160, Math.min(widest, Math.max(avail - m.t - m.b, Math.min(640, widest))));
      // Square when the height allows; otherwise (1440x900: 640 px + title, legend and ticks is taller than the
      // space under the controls) the plot keeps its width and takes the height there is, never under 400 px,
      // so the whole map is on the screen (the map has no fixed aspect ratio: the axes stay true, only stretched).
      const plotH = Math.min(sidePx, Math.max(400, avail - m.t - m.b));
      const w = Math.round(sidePx + m.l + m.r), h = Math.round(plotH + m.t + m.b);
      state.fit = {side: sidePx, plotHeight: plotH, width: w, height: h, avail: avail};
      if (left.style.flexBasis === w + "px" && mapDiv._fullLayout.height === h && mapDiv._fullLayout.width === w) return null;
      left.style.flexBasis = w + "px"; left.style.flexGrow = "0";
      side.style.flexBasis = "0"; side.style.flexGrow = "1";
      return Promise.all([P.relayout(mapDiv, {width: w, height: h}),
                          P.relayout(lossDiv, {width: Math.max(side.clientWidth, 200), height: h})]);
    }
    if (style.fit) {
      let fitTimer = null;
      const refit = () => { clearTimeout(fitTimer); fitTimer = setTimeout(() => { if (state.ready) fit(); }, 100); };
      try { window.parent.addEventListener("resize", refit); } catch (e) { /* another origin */ }
      window.addEventListener("resize", refit);
    }
    mapDiv.on && ready.then(() => mapDiv.on("plotly_click", ev => {
      const pt = ev && ev.points && ev.points[0];
      if (pt && spec.pick_trace !== null && pt.curveNumber === spec.pick_trace && opts.onPick) opts.onPick(pt.x, pt.y);
    }));
    setSpeed(0);
    describe();
    return {state, show, play, pause, setSpeed, fit, ready, mapDiv, lossDiv, id: spec.id, spec: spec};
  }

  window.DescentPlayer = {mount: mount, decode: decode};
})();
