// The wallboard's stream, shared by the wallboard and its TV view: wallStream(url, handlers)
// opens the server-sent events at url and hands each named event's JSON to its handler. When
// the stream errs or says nothing for 3 s (the server sends every second), #conn shows
// "disconnected, reconnecting" and the body gets the class "stale" (the figures grey out);
// it reconnects until the stream speaks again. A session that has ended goes to the login.
(function () {
  "use strict";
  const quiet = 3000, stalled = 8000, retry = 2000;
  window.wallStream = function (url, handlers) {
    const banner = document.getElementById("conn");
    let es = null, last = Date.now(), opened = Date.now(), down = false, timer = null;
    function setDown(d) {
      if (d === down) return;
      down = d;
      if (banner) banner.hidden = !d;
      document.body.classList.toggle("stale", d);
    }
    function open() {
      if (es) es.close();
      opened = Date.now();
      es = new EventSource(url);
      for (const [name, fn] of Object.entries(handlers)) {
        es.addEventListener(name, (e) => {
          last = Date.now();
          setDown(false);
          let data = null;
          try { data = JSON.parse(e.data); } catch (err) { return; }
          fn(data || []);
        });
      }
      es.onerror = () => {
        setDown(true);
        if (es.readyState === EventSource.CLOSED) later();
      };
    }
    // later reopens the stream soon, unless the session has ended: then to the login.
    function later() {
      if (timer) return;
      timer = setTimeout(async () => {
        timer = null;
        try {
          const resp = await fetch("/api/queues?queues=", { credentials: "same-origin", headers: { Accept: "application/json" } });
          if (resp.status === 401) {
            location.assign("/login");
            return;
          }
        } catch (e) { /* the server is away: keep trying */ }
        open();
      }, retry);
    }
    setInterval(() => {
      const now = Date.now();
      if (now - last > quiet) setDown(true);
      // A stream that stays silent while open (a proxy holding it, a server gone without a
      // word) is opened again.
      if (now - last > stalled && now - opened > stalled) later();
    }, 500);
    open();
  };
})();
