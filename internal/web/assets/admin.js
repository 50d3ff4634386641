// Accounts admin: creates, changes and deletes users, edits an agent's phone and skills, and
// makes and revokes API tokens, through the JSON API.
(function () {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const message = document.getElementById("message");
  const list = (s) => s.split(",").map((x) => x.trim()).filter((x) => x !== "");

  async function call(method, path, body) {
    const resp = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!resp.ok) {
      let text = resp.status + " " + resp.statusText;
      try { text = (await resp.json()).error.message; } catch (e) { /* not the API's shape */ }
      message.textContent = text;
      throw new Error(text);
    }
    message.textContent = "";
    return resp.status === 204 ? null : resp.json();
  }

  document.querySelector("#users tbody").addEventListener("click", async (ev) => {
    const action = ev.target.dataset.action;
    if (!action) return;
    const tr = ev.target.closest("tr");
    const field = (n) => tr.querySelector('[name="' + n + '"]').value;
    if (action === "delete") {
      if (!confirm(t("js.admin.confirmdelete", tr.dataset.username))) return;
      await call("DELETE", "/api/users/" + tr.dataset.id);
      tr.remove();
      return;
    }
    const patch = { role: field("role"), agent_id: field("agent_id").trim(), queues: list(field("queues")) };
    if (field("password") !== "") patch.password = field("password");
    await call("PATCH", "/api/users/" + tr.dataset.id, patch);
    location.reload();
  });

  document.getElementById("new-user").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    await call("POST", "/api/users", {
      username: f.username.value.trim(), role: f.role.value, password: f.password.value,
      agent_id: f.agent_id.value.trim(), queues: list(f.queues.value),
    });
    location.reload();
  });

  document.getElementById("agent").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const patch = {};
    if (f.endpoint.value.trim() !== "") patch.endpoint = f.endpoint.value.trim();
    if (f.skills.value.trim() !== "") {
      patch.skills = {};
      for (const s of list(f.skills.value)) {
        const [name, level] = s.split(":");
        patch.skills[name.trim()] = parseInt(level, 10);
      }
    }
    await call("PATCH", "/api/agents/" + encodeURIComponent(f.id.value.trim()), patch);
    message.textContent = t("js.admin.agentsaved", f.id.value);
  });

  document.querySelector("#tokens tbody").addEventListener("click", async (ev) => {
    if (ev.target.dataset.action !== "revoke") return;
    await call("DELETE", "/api/tokens/" + ev.target.closest("tr").dataset.id);
    location.reload();
  });

  document.getElementById("new-token").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target.elements;
    const tok = await call("POST", "/api/tokens", { name: f.name.value.trim(), user_id: parseInt(f.user_id.value, 10) });
    const secret = document.getElementById("secret");
    secret.textContent = t("js.admin.token", tok.username) + ": " + tok.token;
    secret.classList.remove("hidden");
  });
})();
