// The agent desktop: status and state buttons, figures of the day, own callbacks, and the call
// panel fed by the screen-pop stream, with recording control, the caller's tickets, contacts and
// recordings, ticket, callback and wrap-up (controls.js has the call controls).
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const $ = (id) => document.getElementById(id);
  let me = null;          // GET /api/agent
  let call = "";          // the call the panel acts on
  let pop = null;         // the latest pop for that call
  let wrapCall = "";      // the call being wrapped up
  let linked = new Set(); // the tickets linked to that call from here
  let wrapEnd = 0;        // when the wrap-up's time ends, by this page's clock (0: none)
  let apiDown = false, streamDown = false; // the server or the pop stream is gone

  function say(text, ok) {
    const m = $("message");
    m.textContent = text;
    m.className = ok ? "notice" : "message";
    m.hidden = !text;
  }

  // api calls the JSON API; it resolves to {ok, status, data} and never throws.
  async function api(method, path, body) {
    const opt = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") opt.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      opt.headers["Content-Type"] = "application/json";
      opt.body = JSON.stringify(body);
    }
    // A server that no longer answers a read counts as gone after 4 s, as one that refuses. A
    // change is left to finish: cut short it might still have been made.
    const ctl = method === "GET" && window.AbortController ? new AbortController() : null;
    if (ctl) opt.signal = ctl.signal;
    const timer = ctl ? setTimeout(() => ctl.abort(), 4000) : 0;
    try {
      const resp = await fetch(path, opt);
      clearTimeout(timer);
      online("api", true);
      if (resp.status === 401) location.href = "/login";
      let data = null;
      if (resp.status !== 204) data = await resp.json().catch(() => null);
      return { ok: resp.ok, status: resp.status, data };
    } catch (e) {
      clearTimeout(timer);
      online("api", false);
      return { ok: false, status: 0, data: null };
    }
  }
  // online shows the disconnect banner, and greys what the page shows, while the server or
  // the pop stream is gone; back, the page reloads its data.
  function online(what, up) {
    if (what === "api") apiDown = !up; else streamDown = !up;
    const down = apiDown || streamDown, was = !$("offline").hidden;
    $("offline").hidden = !down;
    document.body.classList.toggle("stale", down);
    if (was && !down) {
      refreshMe();
      refreshStats();
      refreshCallbacks();
    }
  }
  const problem = (res) => (res.data && res.data.error && res.data.error.message) || (res.status ? t("js.error.status", res.status) : t("js.error.unreachable"));

  const dur = (s) => {
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(r).padStart(2, "0");
  };
  const label = (st) => tOr("js.state." + st, st);
  const kindLabel = (k) => (k ? tOr("js.desk.kind." + k, k) : "");

  function showMe(a) {
    const changed = !me || me.state !== a.state;
    me = a;
    const st = $("state");
    st.textContent = label(a.state);
    st.dataset.state = a.state;
    $("reason").textContent = a.reason ? "(" + tOr("js.reason." + a.reason, a.reason) + ")" : "";
    $("notready").hidden = !(a.state === "paused" && a.reason === "not ready");
    showAfter(a.after, a.after_reason);
    if (document.activeElement !== $("endpoint") && !$("endpoint").value) $("endpoint").value = a.endpoint || "";
    $("login-form").hidden = a.state !== "logged_out";
    // During a call Available only takes back a pause or logout asked for after it.
    $("available").disabled = ["available", "logged_out", "reserved", "on_call"].includes(a.state) && !a.after;
    $("pause").disabled = (a.state === "paused" && a.reason !== "not ready") || a.state === "logged_out";
    $("logout").disabled = a.state === "logged_out";
    if (a.call && a.call !== call && (!pop || pop.call_id !== a.call)) setCall(a.call, null);
    if (a.state === "wrap_up" && a.call) showWrapUp(a.call);
    wrapEnd = a.state === "wrap_up" && a.wrapup_left_s != null ? Date.now() + a.wrapup_left_s * 1000 : 0;
    $("wrapup-required").hidden = !a.disposition_due;
    // The wrap-up is over (its time, a save, a logout, the next call): its form leaves.
    if (wrapCall && ((a.state !== "wrap_up" && a.state !== "on_call") || (a.call && a.call !== wrapCall))) hideWrapUp();
    // A call that is over leaves the panel once the agent is free (its wrap-up ended unsaved,
    // or it was transferred); one still ringing or connected in the pop stays.
    const over = !pop || ["idle", "ended", "wrapup", "transferred"].includes(pop.kind);
    if (!a.call && call && over && ["available", "paused", "logged_out"].includes(a.state)) setCall("", null);
    if (!pop && call) $("call-kind").textContent = kindLabel({ reserved: "ringing", on_call: "connected", wrap_up: "ended" }[a.state] || "");
    $("recording").hidden = a.state !== "on_call";
    if (changed) refreshStats();
    tick();
  }
  function tick() {
    if (me) $("in-state").textContent = t("js.desk.for", dur((Date.now() - Date.parse(me.since)) / 1000));
    const left = $("wrapup-left");
    if (!wrapEnd || !wrapCall) {
      left.textContent = "";
      return;
    }
    const s = (wrapEnd - Date.now()) / 1000;
    const over = s <= 0;
    left.textContent = over ? (me && me.disposition_due ? t("js.desk.wrap.overdue") : "") : t("js.desk.wrap.left", dur(Math.ceil(s)));
    left.classList.toggle("overdue", over);
  }
  // showAfter says at once what the agent asked for during its call (a pause or a logout),
  // taken when the call and its wrap-up end.
  function showAfter(after, reason) {
    const p = $("after");
    p.hidden = !after;
    p.textContent = after === "paused" ? t("js.desk.after.paused", tOr("js.reason." + reason, reason)) : after ? t("js.desk.after.logged_out") : "";
  }
  async function refreshMe() {
    const res = await api("GET", "/api/agent");
    if (res.ok) showMe(res.data);
  }
  async function refreshStats() {
    const res = await api("GET", "/api/agent/stats");
    if (!res.ok) return;
    $("stat-calls").textContent = res.data.calls;
    $("stat-aht").textContent = dur(res.data.aht_s);
    $("stat-talk").textContent = dur(res.data.talk_s);
    $("stat-pause").textContent = dur(res.data.pause_s);
    $("stat-outbound").textContent = res.data.outbound + " (" + dur(res.data.outbound_talk_s) + ")";
  }
  async function refreshCallbacks() {
    const res = await api("GET", "/api/agent/callbacks");
    const list = $("callback-list");
    if (!res.ok) {
      list.replaceChildren(li(res.status === 404 ? t("js.desk.cb.none") : t("js.desk.cb.failed"), "muted"));
      return;
    }
    const items = Array.isArray(res.data) ? res.data : (res.data && res.data.callbacks) || [];
    list.replaceChildren(...(items.length ? items.map((c) => li([c.number, c.queue, c.at || c.due_at || c.state].filter(Boolean).join(" · "))) : [li(t("js.none"), "muted")]));
  }
  // customerItem is a customer of the pop, with a button per phone that dials it (dial.js), as
  // the customer's page has.
  function customerItem(c) {
    const e = li([c.name, c.segment, c.language, (c.accounts || []).join(", ")].filter(Boolean).join(" · "));
    for (const phone of c.phones || []) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "pop-dial";
      b.dataset.customer = String(c.id);
      b.dataset.number = phone;
      b.textContent = t("js.dial.call", phone);
      e.append(" ", b);
    }
    return e;
  }
  function li(text, cls) {
    const e = document.createElement("li");
    e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  // note shows an answer next to the control it concerns; "" hides it.
  function note(out, text, ok) {
    out.textContent = text;
    out.classList.toggle("ok", !!ok);
    out.hidden = !text;
  }
  const when = (iso) => fmtWhen(iso, false);
  let ivrLabels = null; // the flows' labels for the IVR path (/api/ivr/labels)
  fetch("/api/ivr/labels").then((r) => (r.ok ? r.json() : null)).then((l) => { ivrLabels = l; }).catch(() => {});

  async function setState(state, reason) {
    say("");
    const res = await api("POST", "/api/agent/state", { state, reason: reason || "" });
    if (!res.ok) return say(t("js.desk.state.failed", problem(res)));
    showMe(res.data);
    refreshStats();
  }
  $("available").addEventListener("click", () => setState("available"));
  $("pause").addEventListener("click", () => setState("paused", $("pause-reason").value));
  $("logout").addEventListener("click", () => setState("logged_out"));
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say("");
    const res = await api("POST", "/api/agent/login", { endpoint: $("endpoint").value.trim() });
    if (!res.ok) return say(t("js.desk.login.failed", problem(res)));
    showMe(res.data);
  });

  // The call panel.
  function setCall(id, p) {
    if (id !== call) {
      showRec("");
      linked = new Set();
      note($("rec-note"), "");
      note($("ticket-note"), "");
      if (id) cleanForms();
    }
    call = id;
    pop = p;
    $("no-call").hidden = !!id;
    $("call-body").hidden = !id;
    $("pop-call").textContent = id;
    const kind = p ? p.kind : (id ? "connected" : "");
    $("call-kind").textContent = kindLabel(kind);
    if (!p) {
      for (const f of ["pop-caller", "pop-queue", "pop-waited"]) $(f).textContent = "–";
      return;
    }
    $("pop-caller").textContent = p.caller || t("js.desk.unknown");
    $("pop-queue").textContent = p.queue || "–";
    $("pop-waited").textContent = p.waited_s != null ? dur(p.waited_s) + (p.callback ? t("js.desk.wascallback") : "") : "–";
    $("pop-ivr").textContent = ivrPath(ivrLabels, p.did, p.ivr) || "–";
    const cs = p.customers || [];
    $("pop-customers").replaceChildren(...(cs.length ? cs.map(customerItem) : [li(t("js.desk.nomatch"), "muted")]));
    showTicketCustomers(cs);
    const ts = p.tickets || [];
    $("pop-tickets").replaceChildren(...(ts.length ? ts.map(ticketItem) : [li(t("js.none"), "muted")]));
    const is = p.interactions || [];
    $("pop-interactions").replaceChildren(...(is.length ? is.map((x) => li([when(x.at), x.queue, x.agent && t("js.desk.agent", x.agent), x.outcome && tOr("js.desk.outcome." + x.outcome, x.outcome), x.disposition, x.csat && t("js.desk.csat", x.csat)].filter(Boolean).join(" · "))) : [li(t("js.none"), "muted")]));
    const rs = p.recordings || [];
    $("pop-recordings").replaceChildren(...(rs.length ? rs.map(recordingItem) : [li(t("js.none"), "muted")]));
    const url = p.pop_url && /^https?:\/\//.test(p.pop_url) ? p.pop_url : "";
    $("pop-link").hidden = !url;
    if (url) $("pop-url").href = url;
    if (!$("callback-number").value && p.caller) $("callback-number").placeholder = p.caller;
  }
  // cleanForms empties what the agent typed for the previous call: each call starts clean.
  function cleanForms() {
    for (const f of ["callback-number", "callback-at", "ticket-subject"]) $(f).value = "";
    $("callback-number").placeholder = $("callback-number").dataset.placeholder;
    $("ticket-priority").value = "3";
    $("ticket-customer").replaceChildren();
    say("");
  }
  function ticketItem(tk) {
    const e = document.createElement("li");
    e.dataset.ticket = tk.id;
    e.classList.toggle("linked", linked.has(tk.id));
    const b = el("button", linked.has(tk.id) ? t("js.desk.linked") : t("js.desk.link"), "link");
    b.type = "button";
    b.disabled = linked.has(tk.id);
    const out = el("output", "", "note");
    out.hidden = true;
    b.addEventListener("click", async () => {
      if (!call) return;
      b.disabled = true;
      const res = await api("POST", "/api/tickets/" + encodeURIComponent(tk.id) + "/calls", { call_id: call });
      if (!res.ok) {
        b.disabled = false;
        return note(out, t("js.desk.link.failed", problem(res)));
      }
      linked.add(tk.id);
      e.classList.add("linked");
      b.textContent = t("js.desk.linked");
      note(out, "");
      $("wrapup-ticket").value = tk.id;
    });
    e.append(el("span", t("js.desk.ticket", tk.id, tk.subject, tOr("js.desk.tstatus." + tk.status, tk.status), tk.priority), "what"), b, out);
    return e;
  }
  function recordingItem(r) {
    const e = document.createElement("li");
    const a = el("a", when(r.started) || r.name);
    a.href = r.url;
    a.target = "_blank";
    a.rel = "noopener";
    e.append(a, el("span", dur(r.duration_seconds || 0), "muted"));
    return e;
  }
  // showTicketCustomers offers a choice of customer for a new ticket when the caller may be several.
  function showTicketCustomers(cs) {
    const sel = $("ticket-customer");
    const keep = sel.value;
    sel.replaceChildren(...cs.map((c) => { const o = el("option", c.name + (c.accounts && c.accounts.length ? " (" + c.accounts[0] + ")" : "")); o.value = c.id; return o; }));
    if (cs.some((c) => String(c.id) === keep)) sel.value = keep;
    sel.hidden = cs.length < 2;
  }

  // Recording control on the connected call. The desktop knows the recording's state only from
  // its own requests: "not known" until one of them succeeds.
  function showRec(st) {
    const b = $("rec-state");
    b.textContent = { recording: t("js.desk.rec.on"), paused: t("js.desk.rec.paused") }[st] || t("js.desk.rec.unknown");
    b.dataset.rec = st;
    $("rec-pause").disabled = st === "paused";
    $("rec-resume").disabled = st === "recording";
  }
  async function recAction(button, what, path, body, done) {
    if (!call) return;
    button.disabled = true;
    const res = await api("POST", "/api/calls/" + encodeURIComponent(call) + path, body);
    button.disabled = false;
    if (!res.ok) return note($("rec-note"), what + ": " + problem(res));
    done(res.data);
  }
  $("rec-start").addEventListener("click", (e) => recAction(e.target, t("js.desk.rec.notrecorded"), "/record", undefined, () => {
    showRec("recording");
    note($("rec-note"), t("js.desk.rec.started"), true);
  }));
  $("rec-pause").addEventListener("click", (e) => recAction(e.target, t("js.desk.rec.notpaused"), "/recording/pause", undefined, () => {
    showRec("paused");
    note($("rec-note"), t("js.desk.rec.pausedmsg"), true);
  }));
  $("rec-resume").addEventListener("click", (e) => recAction(e.target, t("js.desk.rec.notresumed"), "/recording/resume", undefined, () => {
    showRec("recording");
    note($("rec-note"), t("js.desk.rec.resumed"), true);
  }));
  // The router pauses the recording for the entry and resumes it after, if it was running.
  $("rec-card").addEventListener("click", async (e) => {
    const before = $("rec-state").dataset.rec, on = call;
    showRec("paused");
    note($("rec-note"), t("js.desk.rec.card"), true);
    await recAction(e.target, t("js.desk.rec.nocard"), "/secure-collect", { name: "card", min: 12, max: 19 }, (r) => {
      note($("rec-note"), t("js.desk.rec.cardtaken", r.masked), true);
    });
    if (call === on) showRec(before);
  });

  function onPop(p) {
    if (!p || p.kind === "idle") {
      if (!me || !me.call) setCall("", null);
      else if (pop) pop.kind = "idle"; // the panel clears once the agent is free (showMe)
      return;
    }
    setCall(p.call_id, p);
    if (p.kind === "ended" || p.kind === "wrapup") {
      // The wrap-up form only while the agent is in it (or just leaving the call): a page
      // opened after the wrap-up ended asks the server rather than offering a form.
      if (me && ["on_call", "reserved", "wrap_up"].includes(me.state)) showWrapUp(p.call_id);
      else refreshMe();
    }
    if (p.kind === "transferred") refreshMe();
  }
  // The pop stream: the browser reconnects by itself; one closed for good is opened again.
  function openPops() {
    const es = new EventSource("/api/agent/pop/stream");
    es.addEventListener("pop", (e) => {
      let p;
      try { p = JSON.parse(e.data); } catch (err) { return; /* a bad event is skipped */ }
      onPop(p);
      // The browser phone counts an offer down with its queue's ring time (softphone.js).
      window.dispatchEvent(new CustomEvent("sb-pop", { detail: p }));
    });
    // The agent's outbound dial, as it goes (dial.js shows it).
    es.addEventListener("dial", (e) => {
      let d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      window.dispatchEvent(new CustomEvent("sb-dial", { detail: d }));
    });
    es.addEventListener("open", () => online("stream", true));
    es.addEventListener("error", () => {
      online("stream", false);
      if (es.readyState === EventSource.CLOSED) setTimeout(openPops, 2000);
    });
  }
  if (window.EventSource) openPops();

  $("ticket-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { subject: $("ticket-subject").value.trim(), priority: Number($("ticket-priority").value), call_id: call };
    const cs = (pop && pop.customers) || [];
    if (!cs.length) return note($("ticket-note"), t("js.desk.ticket.nocustomer"));
    body.customer_id = cs.length === 1 ? cs[0].id : Number($("ticket-customer").value);
    const res = await api("POST", "/api/tickets", body);
    if (!res.ok) return note($("ticket-note"), t("js.desk.ticket.failed", problem(res)));
    note($("ticket-note"), t("js.desk.ticket.created", res.data.id), true);
    if (body.call_id) linked.add(res.data.id); // opened on the call: linked to it
    if (pop) { // the pop is a snapshot: the new ticket joins its list here
      pop.tickets = (pop.tickets || []).concat([{ id: res.data.id, subject: res.data.subject, status: res.data.status, priority: res.data.priority, customer_id: res.data.customer_id }]);
      $("pop-tickets").replaceChildren(...pop.tickets.map(ticketItem));
    }
    $("ticket-subject").value = "";
    $("wrapup-ticket").value = res.data.id;
  });
  $("callback-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!call) return;
    say("");
    const body = {};
    if ($("callback-number").value.trim()) body.number = $("callback-number").value.trim();
    if ($("callback-at").value) body.at = new Date($("callback-at").value).toISOString();
    const res = await api("POST", "/api/calls/" + encodeURIComponent(call) + "/callback", body);
    if (!res.ok) return say(t("js.desk.cb.notscheduled", problem(res)));
    say(t("js.desk.cb.scheduled"), true);
    refreshCallbacks();
  });

  // Wrap-up.
  async function loadDispositions() {
    const res = await api("GET", "/api/dispositions");
    const sel = $("disposition");
    const list = res.ok && Array.isArray(res.data) ? res.data : [];
    const none = el("option", t("js.desk.choose"));
    none.value = "";
    sel.replaceChildren(none, ...list.map((d) => { const o = document.createElement("option"); o.textContent = d; return o; }));
    sel.disabled = list.length === 0;
  }
  function showWrapUp(id) {
    if (wrapCall === id) return;
    wrapCall = id;
    $("wrapup").hidden = false;
    $("wrapup-call").textContent = id;
  }
  function hideWrapUp() {
    $("wrapup").hidden = true;
    $("notes").value = "";
    $("wrapup-ticket").value = "";
    $("disposition").value = "";
    $("wrapup-left").textContent = "";
    wrapCall = "";
  }
  $("wrapup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say("");
    const tid = $("wrapup-ticket").value.trim();
    const body = { disposition: $("disposition").value, notes: $("notes").value };
    if (tid) body.ticket_id = Number(tid);
    const res = await api("POST", "/api/calls/" + encodeURIComponent(wrapCall) + "/wrapup", body);
    if (!res.ok) return say(t("js.desk.wrapup.failed", problem(res)));
    hideWrapUp();
    // Saved: the agent goes on as it chose, ready unless it asked for a pause or logout
    // during the call (taken when the wrap-up's time ends).
    if (me && me.state === "wrap_up" && !me.after) await setState("available");
    say(t("js.desk.wrapup.saved"), true);
  });

  refreshMe();
  refreshStats();
  refreshCallbacks();
  loadDispositions();
  setInterval(refreshMe, 2000);
  setInterval(tick, 1000);
  setInterval(refreshStats, 10000);
  setInterval(refreshCallbacks, 15000);
})();
