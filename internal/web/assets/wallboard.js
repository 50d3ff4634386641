// Keeps the wallboard table current from the server-sent event stream.
(function () {
  const pct = (x) => Math.round(x * 100) + "%";
  const secs = (x) => Math.round(x) + " s";
  function render(rows) {
    const body = document.querySelector("#queues tbody");
    body.replaceChildren(...rows.map((q) => {
      const tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      if (q.answered > 0 && q.service_level < q.service_level_goal) tr.className = "below";
      const cells = [q.queue, q.waiting, secs(q.longest_wait_seconds), q.agents_available, q.agents_busy,
        q.agents_paused, q.answered ? pct(q.service_level) : "–", q.window_answered ? pct(q.window_service_level) : "–",
        secs(q.asa_seconds), secs(q.aht_seconds), q.abandoned, q.answered];
      for (const c of cells) {
        const td = document.createElement("td");
        td.textContent = c;
        tr.appendChild(td);
      }
      return tr;
    }));
    document.getElementById("updated").textContent = "Updated " + new Date().toLocaleTimeString();
  }
  const es = new EventSource("/api/queues/stream");
  es.addEventListener("queues", (e) => render(JSON.parse(e.data) || []));
})();
