// Keeps the wallboard current from the server-sent event stream: queues, and (with the
// desktop part) the agent grid and waiting calls, with the supervisor's actions on them.
// Rows are kept by id and updated in place: a control is never replaced, and a row whose
// control has the focus, is being pressed, holds a typed value or asks for a confirmation
// is neither moved nor changed under the supervisor. Each action's answer shows in its row.
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

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setText(e, text) {
    text = String(text);
    if (e.textContent !== text) e.textContent = text;
  }
  function button(text, onClick, cls) {
    const b = el("button", cls, text);
    b.type = "button";
    b.addEventListener("click", () => { b.blur(); onClick(b); });
    return b;
  }
  // words lists items that wrap between, never inside, themselves.
  function words(items) {
    const f = document.createDocumentFragment();
    items.forEach((w, i) => f.append(el("span", "word", w + (i < items.length - 1 ? "," : "")), " "));
    return f;
  }
  // rebuild replaces a cell's content when what it shows changed (key), never otherwise.
  function rebuild(td, key, build) {
    if (td.dataset.key === key) return;
    td.dataset.key = key;
    td.replaceChildren(build());
  }
  // say shows the edit form's answer beside it.
  function say(text, ok) {
    const m = $("message");
    m.textContent = text;
    m.className = "row-msg " + (ok ? "notice" : "message");
  }
  // note shows an action's answer beside its row.
  function note(tr, text, ok) {
    const m = tr.querySelector(".row-msg");
    if (!m) return;
    m.textContent = text;
    m.className = "row-msg " + (ok ? "notice" : "message");
    clearTimeout(m.timer);
    if (ok && text) m.timer = setTimeout(() => { m.textContent = ""; }, 4000);
  }
  // api answers null when the request was done, else the reason for a person.
  async function api(method, path, body) {
    try {
      const resp = await fetch(path, { method, credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body) });
      const data = await resp.json().catch(() => null);
      if (!resp.ok) return (data && data.error && data.error.message) || t("js.error.status", resp.status);
      return null;
    } catch (e) {
      return t("js.error.unreachable");
    }
  }

  // A control is pressed from pointerdown until just after its click.
  let pressed = null;
  document.addEventListener("pointerdown", (e) => { pressed = e.target; }, true);
  const release = () => setTimeout(() => { pressed = null; }, 0);
  document.addEventListener("pointerup", release, true);
  document.addEventListener("pointercancel", release, true);

  // held: the supervisor is at work in this row; it is not changed or moved under them.
  function held(tr) {
    const a = document.activeElement;
    return (a && a !== document.body && tr.contains(a)) || (pressed && tr.contains(pressed)) ||
      tr.dataset.dirty === "1" || tr.dataset.confirm === "1";
  }

  // keyed makes body show rows in order, one <tr data-attr=key> each: make builds a new row
  // once, fill updates it when it is not held. Rows gone from the list leave, except a held
  // one, which stays greyed until let go; while a row is held none is moved.
  function keyed(body, attr, rows, keyOf, make, fill, empty, cols) {
    const have = new Map();
    for (const tr of [...body.children]) {
      if (tr.dataset[attr] === undefined) tr.remove();
      else have.set(tr.dataset[attr], tr);
    }
    const want = rows.map((row) => {
      const key = keyOf(row);
      let tr = have.get(key);
      have.delete(key);
      if (!tr) {
        tr = el("tr");
        tr.dataset[attr] = key;
        make(tr, row);
      }
      tr.row = row;
      tr.classList.remove("gone");
      if (!held(tr)) fill(tr, row);
      return tr;
    });
    for (const tr of have.values()) {
      if (held(tr)) tr.classList.add("gone");
      else tr.remove();
    }
    if (![...body.children].some(held)) {
      want.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null); });
    } else {
      want.forEach((tr) => { if (!tr.parentNode) body.appendChild(tr); });
    }
    if (!body.children.length) {
      const tr = el("tr");
      const td = el("td", "", empty);
      td.colSpan = cols;
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  function renderQueues(rows) {
    const late = [];
    for (const q of rows) {
      if (!q.sl_breach) continue;
      const below = [];
      if (q.answered && q.service_level < q.service_level_goal) below.push(t("js.wallboard.today", pct(q.service_level)));
      if (q.window_answered && q.window_service_level < q.service_level_goal) below.push(t("js.wallboard.last15", pct(q.window_service_level)));
      late.push(t("js.wallboard.goal", q.queue, below.join(", "), pct(q.service_level_goal)));
    }
    keyed(document.querySelector("#queues tbody"), "queue", rows, (q) => q.queue,
      (tr) => { for (let i = 0; i < 14; i++) tr.appendChild(el("td")); },
      (tr, q) => {
        tr.classList.toggle("below", !!q.sl_breach);
        tr.dataset.level = q.levels ? q.levels.tile : "";
        const cells = [q.queue, q.waiting, secs(q.longest_wait_seconds), q.ewt_seconds == null ? "–" : secs(q.ewt_seconds),
          q.agents_available, q.agents_busy, q.agents_paused, q.answered ? pct(q.service_level) : "–",
          q.window_answered ? pct(q.window_service_level) : "–", secs(q.asa_seconds), secs(q.aht_seconds), q.abandoned, q.answered,
          q.callbacks_pending == null ? "–" : q.callbacks_pending];
        cells.forEach((c, i) => setText(tr.children[i], c));
        tr.children[2].classList.toggle("late", q.longest_wait_seconds > q.service_level_threshold_seconds);
      }, t("js.wall.noqueues"), 14);
    const alert = $("alert");
    setText(alert, late.length ? t("js.wallboard.below", late.join("; ")) : "");
    alert.hidden = late.length === 0;
    setText($("updated"), t("js.wallboard.updated", new Date().toLocaleTimeString(document.documentElement.lang)));
  }

  let agents = [];
  function makeAgent(tr, a) {
    for (const cls of ["name", "state", "for", "queues", "skills", "actions"]) tr.appendChild(el("td", cls));
    const badge = el("span", "badge");
    tr.querySelector("td.state").appendChild(badge);
    const acts = el("span", "acts");
    const reason = $("reason-template").cloneNode(true);
    reason.removeAttribute("id");
    reason.hidden = false;
    reason.removeAttribute("aria-hidden");
    reason.setAttribute("aria-label", t("js.wallboard.reasonfor", a.name || a.id));
    const toggle = button("", async (b) => {
      const to = b.dataset.action;
      const why = await setState(tr.dataset.agent, to, to === "paused" ? reason.value : "");
      note(tr, why || (to === "paused" ? t("js.wall.done.paused") : t("js.wall.done.ready")), !why);
    });
    toggle.className = "toggle";
    const logout = button(t("js.wallboard.logout"), () => confirmLogout(tr, true), "stop logout");
    acts.append(reason, toggle, " ", logout);
    const confirm = el("span", "confirm");
    confirm.hidden = true;
    const ask = el("span", "ask");
    confirm.append(ask, " ", button(t("js.wall.logout.yes"), async () => {
      confirmLogout(tr, false);
      const why = await setState(tr.dataset.agent, "logged_out");
      note(tr, why || t("js.wall.done.loggedout"), !why);
    }, "stop yes"), " ", button(t("js.wall.logout.no"), () => confirmLogout(tr, false), "no"));
    const msg = el("span", "row-msg");
    msg.setAttribute("role", "status");
    tr.querySelector("td.actions").append(acts, confirm, msg);
  }
  function confirmLogout(tr, on) {
    const a = tr.row || {};
    tr.dataset.confirm = on ? "1" : "";
    tr.querySelector(".acts").hidden = on;
    tr.querySelector(".confirm").hidden = !on;
    setText(tr.querySelector(".confirm .ask"), t("js.wall.logout.ask", a.name || tr.dataset.agent));
    if (on) tr.querySelector(".confirm .no").focus();
    else if (tr.row) fillAgent(tr, tr.row);
  }
  function fillAgent(tr, a) {
    // Cells by class: another part may add its own to the row (monitor.js).
    const td = (cls) => tr.querySelector("td." + cls);
    setText(td("name"), a.name ? a.name + " (" + a.id + ")" : a.id);
    const badge = td("state").querySelector(".badge");
    badge.dataset.state = a.state;
    setText(badge, label(a.state) + (a.reason ? ": " + reasonLabel(a.reason) : ""));
    setText(td("for"), dur((Date.now() - Date.parse(a.since)) / 1000));
    const qs = a.queues.map((m) => m.queue + (m.penalty ? ":" + m.penalty : ""));
    rebuild(td("queues"), qs.join(","), () => words(qs));
    const sk = Object.entries(a.skills).map(([k, v]) => k + ":" + v);
    rebuild(td("skills"), sk.join(","), () => words(sk));
    const acts = tr.querySelector(".acts");
    acts.hidden = a.state === "logged_out";
    const toggle = acts.querySelector(".toggle");
    const paused = a.state === "paused";
    toggle.dataset.action = paused ? "available" : "paused";
    setText(toggle, paused ? t("js.wallboard.ready") : t("js.wallboard.pause"));
    acts.querySelector("select").hidden = paused;
  }
  function renderAgents(rows) {
    agents = rows;
    const body = document.querySelector("#agents tbody");
    if (!body) return;
    keyed(body, "agent", rows, (a) => a.id, makeAgent, fillAgent, t("js.noagents"), 6);
    const sel = $("edit-agent");
    if (document.activeElement === sel) return;
    const chosen = sel.value;
    const opts = rows.map((a) => a.id + "\u0000" + (a.name ? a.name + " (" + a.id + ")" : a.id));
    if (sel.dataset.key !== opts.join("\u0001")) {
      sel.dataset.key = opts.join("\u0001");
      sel.replaceChildren(...rows.map((a) => { const o = el("option", "", a.name ? a.name + " (" + a.id + ")" : a.id); o.value = a.id; return o; }));
      if (chosen) sel.value = chosen;
    }
    if (!chosen && rows.length) fillEdit();
  }
  function setState(id, state, reason) {
    return api("POST", "/api/agents/" + encodeURIComponent(id) + "/state", { state, reason: reason || "" });
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
      const why = await api("PATCH", "/api/agents/" + encodeURIComponent($("edit-agent").value), { skills, queues });
      say(why || t("js.wallboard.changed"), !why);
    });
  }

  const segments = { vip: t("js.wall.segment.vip"), standard: t("js.wall.segment.standard"), b2b: t("js.wall.segment.b2b") };
  // caller shows who is calling: number, customer and segment, language and IVR choices.
  function caller(c) {
    const f = document.createDocumentFragment();
    f.append(el("span", "number", c.caller || t("js.wall.withheld")));
    if (c.customer || c.segment) {
      const who = el("span", "who-line");
      if (c.customer) who.append(el("span", "customer", c.customer));
      if (c.segment) {
        const seg = el("span", "segment", segments[c.segment] || c.segment);
        seg.dataset.segment = c.segment;
        who.append(" ", seg);
      }
      f.append(who);
    }
    const more = [];
    if (c.language) more.push(c.language.toUpperCase());
    if (c.ivr_path) more.push(c.ivr_path); // the menus answered, with their own labels
    if (more.length) f.append(el("span", "ivr", more.join(" · ")));
    f.append(el("span", "callid", c.id));
    return f;
  }
  function makeCall(tr, c) {
    for (const cls of ["caller", "queue", "position", "waited", "priority"]) tr.appendChild(el("td", cls));
    const input = el("input");
    input.type = "number";
    input.min = 0;
    input.max = 9;
    input.setAttribute("aria-label", t("js.wallboard.priorityof", c.id));
    input.addEventListener("input", () => { tr.dataset.dirty = "1"; });
    const set = button(t("js.wallboard.set"), async () => {
      const p = Number(input.value);
      const why = await api("PATCH", "/api/calls/" + encodeURIComponent(tr.dataset.call), { priority: p });
      if (!why) tr.dataset.dirty = "";
      note(tr, why || t("js.wall.done.priority", p), !why);
    });
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); set.click(); } });
    tr.children[4].append(input, " ", set, " ", el("span", "row-msg"));
    tr.children[4].querySelector(".row-msg").setAttribute("role", "status");
  }
  function fillCall(tr, c) {
    rebuild(tr.children[0], JSON.stringify([c.caller, c.customer, c.segment, c.language, c.ivr_path]), () => caller(c));
    setText(tr.children[1], c.queue);
    setText(tr.children[2], c.position);
    setText(tr.children[3], dur(c.waited_seconds));
    const input = tr.children[4].querySelector("input");
    if (input.value !== String(c.priority)) input.value = c.priority;
  }
  function renderWaiting(rows) {
    const body = document.querySelector("#waiting tbody");
    if (body) keyed(body, "call", rows, (c) => c.id, makeCall, fillCall, t("js.nocall"), 5);
  }

  // renderNodes shows each Asterisk node (only with several): connected or down, and for an
  // admin its calls and agents.
  function renderNodes(rows) {
    const p = $("nodes");
    p.hidden = rows.length === 0;
    rebuild(p, JSON.stringify(rows), () => {
      const f = document.createDocumentFragment();
      for (const n of rows) {
        let text = n.ready ? t("js.wall.node.up", n.name) : t("js.wall.node.down", n.name);
        if (n.calls !== undefined) text += " (" + t("js.wall.node.counts", n.calls, n.agents) + ")";
        f.append(el("span", n.ready ? "node" : "node down", text), " ");
      }
      return f;
    });
  }

  const q = $("queues").dataset.stream;
  wallStream("/api/queues/stream" + (q ? "?" + q : ""), { queues: renderQueues, agents: renderAgents, waiting: renderWaiting, nodes: renderNodes });
})();
