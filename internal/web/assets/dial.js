// Outbound calls: the desktop's Dial box and the "Call" buttons beside the phones of the
// screen pop's customers and of a customer's page (POST /api/desk/call/dial). The agent's phone rings
// first, then the customer's. Each change of the dial comes as a "dial" event of the agent's
// pop stream until it connects (the call controls then take over) or ends, saying why: on the
// desktop through its own stream (desktop.js passes it on as "sb-dial"), on a customer's page
// through a stream opened while the dial lasts. GET /api/desk/call/dial shows a dial under way
// after a reload.
(function () {
  "use strict";
  const csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  const $ = (id) => document.getElementById(id);
  let call = "", own = null;
  const dialing = (st) => st && (st.state === "agent" || st.state === "customer");

  function show(st) {
    const out = $("dial-status");
    if (!out) return;
    const on = dialing(st);
    if ($("dial-cancel")) $("dial-cancel").hidden = !on;
    if ($("dial-go")) $("dial-go").disabled = !!on;
    out.dataset.state = (st && st.state) || "";
    out.dataset.call = (st && st.call) || "";
    out.dataset.reason = (st && st.reason) || "";
    if (!st || !st.state) return;
    if (st.state === "ended") out.textContent = t("js.dial.reason." + (st.reason || "failed"), st.number);
    else out.textContent = t("js.dial.state." + st.state, st.number);
  }
  function fail(msg) {
    const out = $("dial-status");
    out.dataset.state = "refused";
    out.textContent = t("js.ctl.failed", msg);
  }
  async function send(method, path, body) {
    try {
      const opts = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
      if (body) {
        opts.headers["Content-Type"] = "application/json";
        opts.headers["X-CSRF-Token"] = csrf;
        opts.body = JSON.stringify(body);
      }
      const resp = await fetch(path, opts);
      const data = await resp.json().catch(() => null);
      if (resp.ok) return { ok: true, data };
      return { ok: false, message: (data && data.error && data.error.message) || String(resp.status) };
    } catch (e) {
      return { ok: false, message: t("js.error.unreachable") };
    }
  }
  // changed takes a change of the agent's dial, pushed by the server.
  function changed(st) {
    if (!st || !st.call) return;
    call = st.call;
    show(st);
    if (!dialing(st) && own) { own.close(); own = null; }
  }
  // A page without the desktop's stream (a customer's page) opens one while it dials.
  function listen() {
    if ($("dial-form") || own || !window.EventSource) return;
    own = new EventSource("/api/agent/pop/stream");
    own.addEventListener("dial", (e) => {
      try { changed(JSON.parse(e.data)); } catch (err) { /* a bad event is skipped */ }
    });
  }
  async function dial(body) {
    const go = $("dial-go") || { disabled: false };
    go.disabled = true;
    listen();
    const res = await send("POST", "/api/desk/call/dial", body);
    go.disabled = false;
    if (!res.ok) {
      if (own) { own.close(); own = null; }
      return fail(res.message);
    }
    // The answer is the dial's first state; a change pushed meanwhile is newer.
    if (res.data.call !== call) { call = res.data.call; show(res.data); }
  }
  // After a reload: a dial under way is shown (and followed).
  async function reload() {
    const res = await send("GET", "/api/desk/call/dial");
    if (!res.ok || !dialing(res.data) || (call && res.data.call !== call)) return;
    listen();
    changed(res.data);
  }

  function start() {
    const form = $("dial-form");
    if (form) {
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const n = $("dial-number").value.trim();
        if (n) dial({ number: n });
      });
    }
    if ($("dial-cancel")) $("dial-cancel").addEventListener("click", async () => {
      if (!call) return;
      const res = await send("POST", "/api/desk/call/hangup", { call });
      if (!res.ok) return fail(res.message);
    });
    window.addEventListener("sb-dial", (e) => changed(e.detail));
    document.addEventListener("click", (e) => {
      const b = e.target.closest && e.target.closest("button.pop-dial, button.customer-dial");
      if (!b) return;
      if ($("dial-number")) $("dial-number").value = b.dataset.number || "";
      // The phone of the button; a button without one dials the customer's first phone.
      dial(b.dataset.number ? { number: b.dataset.number } : { customer: Number(b.dataset.customer) });
    });
    reload();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
