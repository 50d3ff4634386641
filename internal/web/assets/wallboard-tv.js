// The TV wallboard: one tile per queue with big figures coloured by the server's levels
// (ok, warn, alert), a page of data-per tiles at a time, turning every data-rotate seconds
// when there are more. No controls: a double click (or F) toggles full screen.
(function () {
  "use strict";
  const main = document.getElementById("tiles");
  if (!main) return;
  const per = Number(main.dataset.per) || 4, rotate = (Number(main.dataset.rotate) || 10) * 1000;
  const tpl = document.getElementById("tile-template");
  const pct = (x) => Math.round(x * 100) + "%";
  // wait shows seconds as m:ss, an hour or more as 1h05 (short enough for a tile).
  const wait = (s) => {
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? h + "h" + String(m).padStart(2, "0") : m + ":" + String(s % 60).padStart(2, "0");
  };
  const setText = (e, text) => { text = String(text); if (e.textContent !== text) e.textContent = text; };
  let page = 0, pages = 1, turned = Date.now();
  const tiles = new Map();

  function tile(q) {
    let sec = tiles.get(q.queue);
    if (!sec) {
      sec = tpl.content.firstElementChild.cloneNode(true);
      sec.dataset.queue = q.queue;
      sec.querySelector(".qname").textContent = q.queue;
      tiles.set(q.queue, sec);
    }
    return sec;
  }
  function fill(sec, q) {
    const l = q.levels || {};
    sec.dataset.level = l.tile || "ok";
    const figs = {
      waiting: [q.waiting, l.waiting],
      longest: [wait(q.longest_wait_seconds), l.longest_wait],
      ewt: [q.ewt_seconds == null ? "–" : wait(q.ewt_seconds), l.ewt],
      sl: [q.answered ? pct(q.service_level) : "–", l.service_level],
      sl15: [q.window_answered ? pct(q.window_service_level) : "–", l.window_service_level],
      available: [q.agents_available, ""],
      busy: [q.agents_busy, ""],
      paused: [q.agents_paused, ""],
    };
    for (const [name, [value, level]] of Object.entries(figs)) {
      const fig = sec.querySelector('[data-fig="' + name + '"]');
      fig.dataset.level = level || "";
      setText(fig.querySelector(".num"), value);
    }
  }
  function render(rows) {
    const seen = new Set(rows.map((q) => q.queue));
    for (const k of [...tiles.keys()]) if (!seen.has(k)) tiles.delete(k);
    pages = Math.max(1, Math.ceil(rows.length / per));
    if (Date.now() - turned >= rotate && pages > 1) {
      page++;
      turned = Date.now();
    }
    if (page >= pages) page = 0;
    const shown = rows.slice(page * per, page * per + per);
    const n = Math.max(1, shown.length);
    const cols = n === 1 ? 1 : 2, lines = Math.ceil(n / cols);
    main.style.setProperty("--cols", cols);
    main.style.setProperty("--rows", lines);
    const want = shown.map((q) => { const sec = tile(q); fill(sec, q); return sec; });
    if (!want.length) {
      if (!main.querySelector(".tv-empty")) main.replaceChildren(Object.assign(document.createElement("p"), { className: "tv-empty", textContent: t("js.wall.tv.none") }));
    } else if (want.length !== main.children.length || want.some((sec, i) => main.children[i] !== sec)) {
      main.replaceChildren(...want);
    }
    setText(document.getElementById("page"), pages > 1 ? t("js.wall.tv.page", page + 1, pages) : "");
    setText(document.getElementById("clock"), new Date().toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" }));
  }
  function fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else document.documentElement.requestFullscreen().catch(() => {});
  }
  document.addEventListener("dblclick", fullscreen);
  document.addEventListener("keydown", (e) => { if (e.key === "f" || e.key === "F") fullscreen(); });

  const q = main.dataset.stream;
  wallStream("/api/queues/stream" + (q ? "?" + q : ""), { queues: render });
})();
