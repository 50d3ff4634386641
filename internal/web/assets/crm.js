// The ticket rows' change forms (customer and ticket pages): status and owner go to
// PATCH /api/tickets/{id}, whose rules decide; the answer, or why not, shows beside the row.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]').content;
  // The statuses each status may move to (crm.CheckTransition), from the table.
  const table = document.querySelector("table.tickets");
  const workflow = table && table.dataset.workflow ? JSON.parse(table.dataset.workflow) : {};
  const say = (form, text, ok) => {
    const out = form.querySelector(".result");
    out.textContent = text;
    out.className = "result " + (ok ? "ok" : "err");
  };
  for (const form of document.querySelectorAll("form.change")) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const id = form.dataset.ticket;
      const body = { status: form.elements.status.value, owner: form.elements.owner.value.trim() };
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        const resp = await fetch("/api/tickets/" + encodeURIComponent(id), {
          method: "PATCH",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify(body),
        });
        const data = await resp.json().catch(() => ({}));
        if (!resp.ok) {
          const why = { 403: "js.crm.forbidden", 409: "js.crm.conflict", 422: "js.crm.invalid" }[resp.status];
          say(form, why ? t(why) : t("js.crm.failed", resp.status), false);
          return;
        }
        const row = form.closest("tr");
        const badge = row.querySelector(".badge.status");
        badge.dataset.status = data.status;
        badge.textContent = t("js.crm.status." + data.status);
        row.querySelector(".owner").textContent = data.owner || "–";
        const select = form.elements.status;
        select.replaceChildren(...(workflow[data.status] || [data.status]).map((st) => {
          const o = new Option(t("js.crm.status." + st), st);
          o.selected = st === data.status;
          return o;
        }));
        say(form, t("js.crm.saved"), true);
      } catch (e) {
        say(form, t("js.crm.failed", e.message), false);
      } finally {
        button.disabled = false;
      }
    });
  }
})();
