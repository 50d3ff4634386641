// Outbound calls: the desktop's Dial box and the "Call" buttons beside the phones of the
// screen pop's customers and of a customer's page (POST /api/desk/call/dial). The agent's phone rings
// first, then the customer's; GET /api/desk/call/dial follows the dial until it connects (the
// call controls then take over) or ends, saying why.
(function () {
  "use strict";
  const csrf = (document.querySelector('meta[name="csrf"]') || {}).content || "";
  const $ = (id) => document.getElementById(id);
  let call = "", timer = 0;

  function show(st) {
    const out = $("dial-status");
    if (!out) return;
    const dialing = st && (st.state === "agent" || st.state === "customer");
    if ($("dial-cancel")) $("dial-cancel").hidden = !dialing;
    if ($("dial-go")) $("dial-go").disabled = !!dialing;
    out.dataset.state = (st && st.state) || "";
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
  async function follow() {
    clearTimeout(timer);
    const res = await send("GET", "/api/desk/call/dial");
    if (!res.ok) return;
    const st = res.data || {};
    if (st.call !== call) return; // another page dialed since
    show(st);
    if (st.state === "agent" || st.state === "customer") timer = setTimeout(follow, 1000);
  }
  async function dial(body) {
    const go = $("dial-go") || { disabled: false };
    go.disabled = true;
    const res = await send("POST", "/api/desk/call/dial", body);
    go.disabled = false;
    if (!res.ok) return fail(res.message);
    call = res.data.call;
    show(res.data);
    timer = setTimeout(follow, 1000);
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
      follow();
    });
    document.addEventListener("click", (e) => {
      const b = e.target.closest && e.target.closest("button.pop-dial, button.customer-dial");
      if (!b) return;
      if ($("dial-number")) $("dial-number").value = b.dataset.number || "";
      dial(b.dataset.customer ? { customer: Number(b.dataset.customer) } : { number: b.dataset.number });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
