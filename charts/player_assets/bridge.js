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
    });
    window.__player = current;
    height();
  });
  send("streamlit:componentReady", {apiVersion: 1});
})();
