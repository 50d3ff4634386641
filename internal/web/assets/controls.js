// Call controls on the agent desktop: hold and resume, mute, the keypad (DTMF to the caller),
// a blind transfer to a queue, a number or an agent, a warm transfer (consult an agent, the next
// available agent of a queue or a number, then complete, join all three or cancel), and hang-up, for the agent's connected call
// (POST /api/desk/call/{action}). The panel shows while GET /api/agent says the agent is on a
// call, and starts clean for each call.
(function () {
  "use strict";
  const csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  let call = "", held = false, muted = false, busy = false, consulting = false, joined = false;
  let monitored = false, askMonitored = true; // a supervisor listens (shown when the site says so)

  const el = (tag, props, ...kids) => {
    const e = Object.assign(document.createElement(tag), props || {});
    e.append(...kids);
    return e;
  };
  const note = el("output", { id: "ctl-note", className: "note" });
  const status = el("span", { id: "ctl-status", className: "badge" });
  const btn = (id, text, cls, action) => {
    const b = el("button", { id, type: "button", className: cls || "" }, text);
    b.addEventListener("click", action);
    return b;
  };
  const hold = btn("ctl-hold", t("js.ctl.hold"), "", () => act("hold", {}, () => { held = true; }));
  const resume = btn("ctl-resume", t("js.ctl.resume"), "", () => act("resume", {}, () => { held = false; }));
  const mute = btn("ctl-mute", t("js.ctl.mute"), "", () => act("mute", {}, () => { muted = true; }));
  const unmute = btn("ctl-unmute", t("js.ctl.unmute"), "", () => act("unmute", {}, () => { muted = false; }));
  const hangup = btn("ctl-hangup", t("js.ctl.hangup"), "stop", () => act("hangup", {}, () => {}));
  const digits = el("input", { id: "ctl-digits", maxLength: 32, pattern: "[0-9*#A-D]{1,32}", required: true, autocomplete: "off", inputMode: "tel" });
  digits.setAttribute("aria-label", t("js.ctl.keypad"));
  const keypad = el("form", { id: "ctl-dtmf-form", className: "row" }, el("label", {}, t("js.ctl.keypad") + " ", digits),
    el("button", { type: "submit" }, t("js.ctl.send")));
  keypad.addEventListener("submit", (e) => {
    e.preventDefault();
    const d = digits.value.trim();
    act("dtmf", { digits: d }, () => { digits.value = ""; say(t("js.ctl.sent", d)); });
  });
  const kind = el("select", { id: "ctl-target-kind" }, el("option", { value: "queue" }, t("js.ctl.toqueue")),
    el("option", { value: "number" }, t("js.ctl.tonumber")), el("option", { value: "agent" }, t("js.ctl.toagent")));
  kind.setAttribute("aria-label", t("js.ctl.transfer"));
  const queues = el("datalist", { id: "ctl-queues" });
  const target = el("input", { id: "ctl-target", required: true, autocomplete: "off", maxLength: 64 });
  target.setAttribute("list", "ctl-queues");
  target.setAttribute("aria-label", t("js.ctl.target"));
  target.placeholder = t("js.ctl.target");
  const transfer = el("form", { id: "ctl-transfer-form", className: "row" }, el("label", {}, t("js.ctl.transfer") + " ", kind), target, queues,
    el("button", { type: "submit" }, t("js.ctl.transfer")));
  transfer.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = target.value.trim();
    act("transfer", { [kind.value]: v }, () => { target.value = ""; say(t("js.ctl.transferred")); });
  });
  const ckind = el("select", { id: "ctl-consult-kind" }, el("option", { value: "agent" }, t("js.ctl.toagent")),
    el("option", { value: "queue" }, t("js.ctl.toqueueagent")), el("option", { value: "number" }, t("js.ctl.tonumber")));
  ckind.setAttribute("aria-label", t("js.ctl.consult"));
  const ctarget = el("input", { id: "ctl-consult-target", required: true, autocomplete: "off", maxLength: 64 });
  ctarget.setAttribute("aria-label", t("js.ctl.consulttarget"));
  ctarget.placeholder = t("js.ctl.consulttarget");
  ckind.addEventListener("change", () => {
    if (ckind.value === "queue") ctarget.setAttribute("list", "ctl-queues");
    else ctarget.removeAttribute("list");
  });
  const consult = el("form", { id: "ctl-consult-form", className: "row" }, el("label", {}, t("js.ctl.consult") + " ", ckind), ctarget,
    el("button", { type: "submit" }, t("js.ctl.consult")));
  consult.addEventListener("submit", (e) => {
    e.preventDefault();
    act("consult", { [ckind.value]: ctarget.value.trim() }, () => { consulting = true; held = true; ctarget.value = ""; say(t("js.ctl.consulting")); });
  });
  const complete = btn("ctl-complete", t("js.ctl.complete"), "go", () => act("complete", {}, () => { consulting = joined = false; say(t("js.ctl.transferred")); }));
  const conference = btn("ctl-conference", t("js.ctl.conference"), "", () => act("conference", {}, () => { joined = true; held = false; }));
  const cancel = btn("ctl-cancel", t("js.ctl.cancel"), "stop", () => act("cancel", {}, () => { consulting = joined = false; }));
  const consultButtons = el("div", { id: "ctl-consulting", className: "row buttons" }, complete, conference, cancel);
  const panel = el("div", { id: "ctl-panel", className: "ctl", hidden: true },
    el("h3", {}, t("js.ctl.title") + " ", status),
    el("div", { className: "row buttons" }, hold, resume, mute, unmute, hangup), keypad, transfer, consult, consultButtons, note);

  function say(text) {
    note.textContent = text;
  }
  function show() {
    hold.hidden = held;
    resume.hidden = !held;
    mute.hidden = muted;
    unmute.hidden = !muted;
    transfer.hidden = consult.hidden = consulting;
    consultButtons.hidden = !consulting;
    conference.hidden = joined;
    status.textContent = [held ? t("js.ctl.held") : "", muted ? t("js.ctl.muted") : "", joined ? t("js.ctl.joined") : "",
      monitored ? t("js.ctl.monitored") : ""].filter(Boolean).join(", ");
    for (const b of panel.querySelectorAll("button")) b.disabled = busy;
  }

  async function act(action, extra, done) {
    if (!call || busy) return;
    busy = true;
    show();
    const res = await post("/api/desk/call/" + action, Object.assign({ call }, extra));
    busy = false;
    if (res.ok) {
      done();
      if (!["dtmf", "transfer", "consult", "complete"].includes(action)) say(t("js.ctl.done"));
    } else {
      say(t("js.ctl.failed", res.message));
    }
    show();
  }
  async function post(path, body) {
    try {
      const resp = await fetch(path, { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) });
      if (resp.ok) return { ok: true };
      const data = await resp.json().catch(() => null);
      return { ok: false, message: (data && data.error && data.error.message) || String(resp.status) };
    } catch (e) {
      return { ok: false, message: t("js.error.unreachable") };
    }
  }

  // follow keeps the panel on the agent's current call.
  async function follow() {
    let a = null;
    try {
      const resp = await fetch("/api/agent", { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (resp.ok) a = await resp.json();
    } catch (e) { /* the next round tries again */ }
    const now = a && a.state === "on_call" && a.call ? a.call : "";
    if (now !== call) {
      call = now;
      held = muted = consulting = joined = false;
      say("");
      digits.value = target.value = ctarget.value = "";
    }
    monitored = false;
    if (call && askMonitored) {
      try {
        const resp = await fetch("/api/desk/monitored", { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (resp.ok) monitored = !!(await resp.json()).monitored;
        else askMonitored = resp.status !== 404 && resp.status !== 403;
      } catch (e) { /* the next round tries again */ }
    }
    panel.hidden = !call;
    panel.dataset.call = call;
    panel.dataset.monitored = String(monitored);
    show();
    setTimeout(follow, 1000);
  }

  function start() {
    const card = document.getElementById("call");
    const body = document.getElementById("call-body");
    if (card && body && body.parentNode === card) card.insertBefore(panel, body);
    else (document.querySelector("main") || document.body).prepend(panel);
    for (const o of document.querySelectorAll("#desk-queues option")) queues.append(el("option", { value: o.value || o.textContent }));
    show();
    follow();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
