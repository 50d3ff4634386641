// Keeps the wallboard current from the server-sent event stream: queues, and (with the
// desktop part) the agent grid and waiting calls, with the supervisor's actions on them.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const $ = (id) => document.getElementById(id);
  const pct = (x) => Math.round(x * 100) + "%";
  const secs = (x) => Math.round(x) + " s";
  const dur = (s) => {
    s = Math.max(0, Math.round(s));
    const m = Math.floor(s / 60), r = s % 60;
    return m >= 60 ? Math.floor(m / 60) + " h " + (m % 60) + " min" : m + ":" + String(r).padStart(2, "0");
  };
  const label = (st) => tOr("js.state." + st, st);
  const reasonLabel = (r) => tOr("js.reason." + r, r);

  function cell(tr, content, cls) {
    const td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content);
    else td.textContent = content;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function button(text, onClick, cls) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (cls) b.className = cls;
    b.addEventListener("click", () => { b.blur(); onClick(); });
    return b;
  }
  // words lists items that wrap between, never inside, themselves.
  function words(items) {
    const f = document.createDocumentFragment();
    items.forEach((w, i) => {
      const span = document.createElement("span");
      span.className = "word";
      span.textContent = w + (i < items.length - 1 ? "," : "");
      f.append(span, " ");
    });
    return f;
  }
  function say(text, ok) {
    const m = $("message");
    m.textContent = text;
    m.className = ok ? "notice" : "message";
    m.hidden = !text;
  }
  async function api(method, path, body) {
    try {
      const resp = await fetch(path, { method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body) });
      const data = await resp.json().catch(() => null);
      if (!resp.ok) say((data && data.error && data.error.message) || t("js.error.status", resp.status));
      else say("");
      return resp.ok;
    } catch (e) {
      say(t("js.error.unreachable"));
      return false;
    }
  }

  function renderQueues(rows) {
    const body = document.querySelector("#queues tbody");
    const late = [];
    body.replaceChildren(...rows.map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      if (q.sl_breach) {
        tr.className = "below";
        const below = [];
        if (q.answered && q.service_level < q.service_level_goal) below.push(t("js.wallboard.today", pct(q.service_level)));
        if (q.window_answered && q.window_service_level < q.service_level_goal) below.push(t("js.wallboard.last15", pct(q.window_service_level)));
        late.push(t("js.wallboard.goal", q.queue, below.join(", "), pct(q.service_level_goal)));
      }
      cell(tr, q.queue);
      cell(tr, q.waiting);
      cell(tr, secs(q.longest_wait_seconds), q.longest_wait_seconds > q.service_level_threshold_seconds ? "late" : "");
      cell(tr, q.ewt_seconds == null ? "–" : secs(q.ewt_seconds));
      for (const c of [q.agents_available, q.agents_busy, q.agents_paused, q.answered ? pct(q.service_level) : "–",
        q.window_answered ? pct(q.window_service_level) : "–", secs(q.asa_seconds), secs(q.aht_seconds), q.abandoned, q.answered,
        q.callbacks_pending == null ? "–" : q.callbacks_pending]) cell(tr, c);
      return tr;
    }));
    const alert = $("alert");
    alert.textContent = late.length ? t("js.wallboard.below", late.join("; ")) : "";
    alert.hidden = late.length === 0;
    $("updated").textContent = t("js.wallboard.updated", new Date().toLocaleTimeString(document.documentElement.lang));
  }

  // editing: a supervisor is choosing in a field of the table; it is not redrawn under them.
  const editing = (body) => body.contains(document.activeElement) && /^(INPUT|SELECT)$/.test(document.activeElement.tagName);

  let agents = [];
  function renderAgents(rows) {
    agents = rows;
    const body = document.querySelector("#agents tbody");
    if (!body || editing(body)) return;
    const now = Date.now();
    body.replaceChildren(...(rows.length ? rows.map((a) => {
      const tr = document.createElement("tr");
      tr.dataset.agent = a.id;
      cell(tr, a.name ? a.name + " (" + a.id + ")" : a.id);
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.dataset.state = a.state;
      badge.textContent = label(a.state) + (a.reason ? ": " + reasonLabel(a.reason) : "");
      cell(tr, badge, "state");
      cell(tr, dur((now - Date.parse(a.since)) / 1000));
      cell(tr, words(a.queues.map((m) => m.queue + (m.penalty ? ":" + m.penalty : ""))));
      cell(tr, words(Object.entries(a.skills).map(([k, v]) => k + ":" + v)));
      const acts = document.createElement("span");
      if (a.state !== "logged_out") {
        const reason = $("reason-template").cloneNode(true);
        reason.removeAttribute("id");
        reason.hidden = false;
        reason.removeAttribute("aria-hidden");
        reason.setAttribute("aria-label", t("js.wallboard.reasonfor", a.id));
        if (a.state !== "paused") acts.append(reason, button(t("js.wallboard.pause"), () => setState(a.id, "paused", reason.value)));
        else acts.append(button(t("js.wallboard.ready"), () => setState(a.id, "available")));
        acts.append(" ", button(t("js.wallboard.logout"), () => setState(a.id, "logged_out"), "stop"));
      }
      cell(tr, acts, "actions");
      return tr;
    }) : [(() => { const tr = document.createElement("tr"); cell(tr, t("js.noagents")).colSpan = 6; return tr; })()]));
    const sel = $("edit-agent");
    const chosen = sel.value;
    sel.replaceChildren(...rows.map((a) => { const o = document.createElement("option"); o.value = a.id; o.textContent = a.id + (a.name ? " " + a.name : ""); return o; }));
    if (chosen) sel.value = chosen;
    if (!chosen && rows.length) fillEdit();
  }
  function setState(id, state, reason) {
    api("POST", "/api/agents/" + encodeURIComponent(id) + "/state", { state, reason: reason || "" });
  }
  function fillEdit() {
    const a = agents.find((x) => x.id === $("edit-agent").value);
    if (!a) return;
    $("edit-skills").value = Object.entries(a.skills).map(([k, v]) => k + ":" + v).join(", ");
    $("edit-queues").value = a.queues.map((m) => m.queue + ":" + m.penalty).join(", ");
  }
  // pairs reads "a:1, b:2" into [[a, 1], [b, 2]]; a missing number is 0.
  function pairs(text) {
    return text.split(",").map((p) => p.trim()).filter(Boolean).map((p) => {
      const [k, v] = p.split(":").map((x) => x.trim());
      return [k, v === undefined || v === "" ? 0 : Number(v)];
    });
  }
  if ($("agent-form")) {
    $("edit-agent").addEventListener("change", fillEdit);
    $("agent-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const skills = Object.fromEntries(pairs($("edit-skills").value));
      const queues = pairs($("edit-queues").value).map(([queue, penalty]) => ({ queue, penalty }));
      if (await api("PATCH", "/api/agents/" + encodeURIComponent($("edit-agent").value), { skills, queues })) say(t("js.wallboard.changed"), true);
    });
  }

  function renderWaiting(rows) {
    const body = document.querySelector("#waiting tbody");
    if (!body || editing(body)) return;
    body.replaceChildren(...(rows.length ? rows.map((c) => {
      const tr = document.createElement("tr");
      tr.dataset.call = c.id;
      cell(tr, c.id);
      cell(tr, c.queue);
      cell(tr, c.position);
      cell(tr, dur(c.waited_seconds));
      const form = document.createElement("span");
      const input = document.createElement("input");
      input.type = "number";
      input.min = 0;
      input.max = 9;
      input.value = c.priority;
      input.setAttribute("aria-label", t("js.wallboard.priorityof", c.id));
      form.append(input, " ", button(t("js.wallboard.set"), () => api("PATCH", "/api/calls/" + encodeURIComponent(c.id), { priority: Number(input.value) })));
      cell(tr, form);
      return tr;
    }) : [(() => { const tr = document.createElement("tr"); cell(tr, t("js.nocall")).colSpan = 5; return tr; })()]));
  }

  const es = new EventSource("/api/queues/stream");
  es.addEventListener("queues", (e) => renderQueues(JSON.parse(e.data) || []));
  es.addEventListener("agents", (e) => renderAgents(JSON.parse(e.data) || []));
  es.addEventListener("waiting", (e) => renderWaiting(JSON.parse(e.data) || []));
})();
