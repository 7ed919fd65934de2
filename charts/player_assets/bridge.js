/* Streamlit custom-component protocol (v1, by hand: no CDN, no bundler): render args in, the map click out. */
(function () {
  "use strict";
  const root = document.getElementById("player");
  let current = null, picks = 0, lastHeight = 0;
  function send(type, data) {
    window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, data || {}), "*");
  }
  function height() {
    const h = Math.ceil(document.documentElement.scrollHeight);
    if (h !== lastHeight) { lastHeight = h; send("streamlit:setFrameHeight", {height: h}); }
  }
  new ResizeObserver(height).observe(document.body);
  // The page's link follows the step shown (frame=k), with no request to the server: the component's frame is
  // served by the app itself (same origin), so it may rewrite the address bar of the page around it. Only a link
  // that already carries frame= (the race's 2-D map) is rewritten, and only that parameter; Streamlit keeps its own
  // copy of the query for its reruns, so the page's settings are never re-read from this.
  function writeFrame(k) {
    try {
      const w = window.parent, search = w.location.search;
      if (!/[?&]frame=/.test(search)) return;
      const next = search.replace(/([?&])frame=[^&#]*/, "$1frame=" + k);
      if (next !== search) w.history.replaceState(w.history.state, "", w.location.pathname + next + w.location.hash);
    } catch (e) { /* another origin: the link stays as it is */ }
  }
  window.addEventListener("message", function (ev) {
    const d = ev.data;
    if (!d || d.type !== "streamlit:render") return;
    const spec = d.args && d.args.spec;
    if (!spec) return;
    if (current && current.id === spec.id) { height(); return; }  // same race: keep the step and the playback
    if (current) current.pause();
    current = window.DescentPlayer.mount(root, spec, {
      onPick: function (x, y) { picks += 1; send("streamlit:setComponentValue", {value: {pick: [x, y], n: picks}, dataType: "json"}); },
      onReady: height,
      onSettle: spec.kind === "2d" ? writeFrame : null,
    });
    window.__player = current;
    height();
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();
