// Monitoring from the wallboard's agent grid: for an agent on a call, listen (silent monitor),
// whisper (the agent hears the supervisor, the caller does not) and barge in, into the
// supervisor's phone (the profile's, else the one typed last in this browser), then take the call over; one session at a
// time, ended with Stop or with the call (POST /api/supervisor/agents/{id}/{mode|takeover},
// /api/supervisor/monitor/stop).
(function () {
  "use strict";
  const csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  const modes = [["monitor", t("js.ctl.mon.monitor")], ["whisper", t("js.ctl.mon.whisper")], ["barge", t("js.ctl.mon.barge")]];
  const modeText = { monitor: t("js.ctl.mon.mode.monitor"), whisper: t("js.ctl.mon.mode.whisper"), barge: t("js.ctl.mon.mode.barge") };
  let mine = null; // the supervisor's session, or null

  const el = (tag, props, ...kids) => {
    const e = Object.assign(document.createElement(tag), props || {});
    e.append(...kids);
    return e;
  };
  const phone = el("input", { id: "ctl-mon-phone", placeholder: "PJSIP/9001", autocomplete: "off", maxLength: 64 });
  // The phone kept in the supervisor's profile, else the one typed last in this browser.
  phone.value = (document.querySelector('meta[name="monitor-phone"]') || {}).content || localStorage.getItem("sb.monitor.phone") || "";
  phone.addEventListener("change", () => localStorage.setItem("sb.monitor.phone", phone.value.trim()));
  const state = el("span", { id: "ctl-mon-state", className: "badge" });
  const stop = el("button", { id: "ctl-mon-stop", type: "button", className: "stop", hidden: true }, t("js.ctl.mon.stop"));
  const note = el("output", { id: "ctl-mon-note", className: "note" });
  const bar = el("div", { id: "ctl-mon", className: "row" }, el("label", {}, t("js.ctl.mon.phone") + " ", phone), state, stop, note);
  stop.addEventListener("click", async () => {
    const res = await post("/api/supervisor/monitor/stop", {});
    note.textContent = res.ok ? "" : t("js.ctl.failed", res.message);
    mine = null;
    show();
  });

  async function post(path, body) {
    try {
      const resp = await fetch(path, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) });
      const data = resp.status === 204 ? null : await resp.json().catch(() => null);
      if (resp.ok) return { ok: true, data };
      return { ok: false, message: (data && data.error && data.error.message) || String(resp.status) };
    } catch (e) {
      return { ok: false, message: t("js.error.unreachable") };
    }
  }
  async function start(agent, mode) {
    const endpoint = phone.value.trim();
    if (!endpoint) {
      note.textContent = t("js.ctl.mon.nophone");
      phone.focus();
      return;
    }
    localStorage.setItem("sb.monitor.phone", endpoint);
    const res = await post("/api/supervisor/agents/" + encodeURIComponent(agent) + "/" + mode, { endpoint });
    note.textContent = res.ok ? "" : t("js.ctl.failed", res.message);
    if (res.ok) mine = res.data;
    show();
  }

  async function takeOver(agent) {
    const res = await post("/api/supervisor/agents/" + encodeURIComponent(agent) + "/takeover", {});
    note.textContent = res.ok ? t("js.ctl.mon.tookover") : t("js.ctl.failed", res.message);
    if (res.ok) mine = null;
    show();
  }

  function show() {
    state.textContent = mine ? t("js.ctl.mon.active", modeText[mine.mode] || mine.mode, mine.agent) : "";
    stop.hidden = !mine;
    decorate();
  }
  // decorate puts the buttons on the rows of agents on a call (the grid redraws its rows).
  function decorate() {
    for (const tr of document.querySelectorAll("#agents tr[data-agent]")) {
      const onCall = !!tr.querySelector('.badge[data-state="on_call"]');
      const cell = tr.querySelector("td.actions");
      let box = tr.querySelector(".ctl-mon-buttons");
      if (!onCall || !cell) {
        if (box) box.remove();
        continue;
      }
      if (!box) {
        box = el("span", { className: "ctl-mon-buttons" });
        for (const [mode, text] of modes.concat([["takeover", t("js.ctl.mon.takeover")]])) {
          const b = el("button", { type: "button", className: "ctl-mon-" + mode }, text);
          const go = () => (mode === "takeover" ? takeOver(tr.dataset.agent) : start(tr.dataset.agent, mode));
          // The grid redraws its rows every second: a press starts, so that a redraw between
          // press and release loses nothing; the keyboard's click (detail 0) too.
          b.addEventListener("pointerdown", (e) => { if (e.button === 0 && !b.disabled) go(); });
          b.addEventListener("click", (e) => { if (e.detail === 0) go(); });
          box.append(" ", b);
        }
        cell.append(box);
      }
      for (const b of box.querySelectorAll("button")) {
        b.disabled = !!mine && (mine.agent !== tr.dataset.agent || b.className === "ctl-mon-" + mine.mode);
        if (b.className === "ctl-mon-takeover") b.hidden = !mine || !mine.up || mine.agent !== tr.dataset.agent;
      }
    }
  }

  async function follow() {
    try {
      const resp = await fetch("/api/supervisor/monitoring", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (resp.ok) {
        const list = await resp.json();
        mine = list.find((s) => s.mine) || null;
      }
    } catch (e) { /* the next round tries again */ }
    show();
    setTimeout(follow, 2000);
  }

  function init() {
    const grid = document.getElementById("agents");
    if (!grid) return;
    grid.parentNode.insertBefore(bar, grid);
    new MutationObserver(decorate).observe(grid, { childList: true, subtree: true });
    follow();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
