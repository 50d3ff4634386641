// The desktop's browser phone: the agent works on "this browser" (a SIP endpoint registered
// over Asterisk's secure websocket with JsSIP) or on a desk phone. An offer rings (the
// project's ring tone), blinks the tab title, colours the card, counts the ring timeout down
// and raises a notification when the tab is in the background; a missed offer says so and
// clears. Answer, reject, hang up, hold (the browser stops sending), mute, and the choice of
// microphone and speaker (headset).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const card = $("softphone");
  if (!card) return;
  const title = document.title;
  let cfg = null;      // GET /api/agent/softphone
  let ua = null;       // the JsSIP user agent while the mode is "browser"
  let session = null;  // the offer or call
  let local = null;    // the microphone's stream of the call
  let held = false, muted = false;
  let timers = [];     // the offer's and the call's intervals
  let missedTimer = 0;
  let notice = null;   // the offer's notification
  let answered = 0;    // when the call was answered (ms)
  let until = 0;       // when the offer stops ringing (ms)
  let lastOffer = null; // the desk's latest offered pop: {at (ms), ring (s)}
  window.addEventListener("sb-pop", (e) => {
    const p = e.detail || {};
    if (p.kind !== "offered" || !(p.ring_timeout_s > 0)) return;
    lastOffer = { at: Date.now(), ring: p.ring_timeout_s };
    if (card.classList.contains("ringing")) until = lastOffer.at + lastOffer.ring * 1000;
  });
  const ring = $("sp-ring");

  const statusText = {
    off: () => t("phone.js.status.off"), connecting: () => t("phone.js.status.connecting"),
    reconnecting: () => t("phone.js.status.reconnecting"), connected: () => t("phone.js.status.connected"),
    ready: () => t("phone.js.status.ready"), ringing: () => t("phone.js.status.ringing"),
    oncall: () => t("phone.js.status.oncall"), held: () => t("phone.js.status.held"),
  };
  function status(key, state) {
    const s = $("sp-status");
    s.textContent = statusText[key]();
    s.dataset.sp = state || key;
  }
  function error(text) {
    $("sp-error").textContent = text || "";
    $("sp-error").hidden = !text;
  }
  const dur = (s) => Math.floor(s / 60) + ":" + String(Math.floor(s % 60)).padStart(2, "0");
  function clearTimers() {
    timers.forEach(clearInterval);
    timers = [];
  }
  function every(ms, f) {
    f();
    timers.push(setInterval(f, ms));
  }

  async function getJSON(path) {
    try {
      const r = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      return r.ok ? await r.json() : null;
    } catch (e) {
      return null;
    }
  }

  // The microphone: permission, and the devices (their names need the permission).
  async function microphone() {
    const dev = $("sp-mic").value;
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: dev ? { deviceId: { exact: dev } } : true, video: false });
    } catch (e) {
      if (e && (e.name === "NotFoundError" || e.name === "OverconstrainedError")) error(t("phone.js.err.nomic"));
      else if (e && e.name === "NotAllowedError") error(t("phone.js.err.denied"));
      else error(t("phone.js.err.mic", (e && e.message) || String(e)));
      return null;
    }
  }
  async function devices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    const list = await navigator.mediaDevices.enumerateDevices();
    fill($("sp-mic"), list.filter((d) => d.kind === "audioinput"), "sp.mic");
    const speakers = list.filter((d) => d.kind === "audiooutput");
    $("sp-speaker").disabled = !("setSinkId" in HTMLMediaElement.prototype) || !speakers.length;
    fill($("sp-speaker"), speakers, "sp.speaker");
    sink();
  }
  function fill(sel, list, key) {
    const want = localStorage.getItem(key) || sel.value;
    sel.replaceChildren(...list.map((d, i) => {
      const o = document.createElement("option");
      o.value = d.deviceId;
      o.textContent = d.label || t("phone.js.device", i + 1);
      return o;
    }));
    if (list.some((d) => d.deviceId === want)) sel.value = want;
  }
  function sink() {
    const id = $("sp-speaker").value;
    if (!id || !("setSinkId" in HTMLMediaElement.prototype)) return;
    for (const a of [$("sp-remote"), ring]) a.setSinkId(id).catch(() => error(t("phone.js.err.speaker")));
  }
  $("sp-mic").addEventListener("change", () => localStorage.setItem("sp.mic", $("sp-mic").value));
  $("sp-speaker").addEventListener("change", () => {
    localStorage.setItem("sp.speaker", $("sp-speaker").value);
    sink();
  });
  $("sp-notify").addEventListener("click", askNotify);
  function askNotify() {
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().then(showNotify, showNotify);
  }
  function showNotify() {
    $("sp-notify").hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  // The mode: this browser (registered) or a desk phone (the login form's phone field).
  function mode() {
    const m = document.querySelector('input[name="sp-mode"]:checked');
    return m ? m.value : "desk";
  }
  async function setMode(m, byHand) {
    for (const r of document.querySelectorAll('input[name="sp-mode"]')) r.checked = r.value === m;
    localStorage.setItem("sp.mode", m);
    const ep = $("endpoint");
    if (ep) {
      ep.readOnly = m === "browser";
      if (m === "browser") ep.value = cfg.endpoint;
      else if (ep.value === cfg.endpoint) ep.value = "";
    }
    card.classList.toggle("browser", m === "browser");
    if (m === "browser") {
      if (byHand) askNotify();
      await start();
    } else stop();
  }
  for (const r of document.querySelectorAll('input[name="sp-mode"]')) r.addEventListener("change", () => setMode(r.value, true));

  // sipLibrary loads JsSIP once, only on desktops with a softphone.
  let sipLib = null;
  function sipLibrary() {
    sipLib = sipLib || new Promise((resolve) => {
      const s = document.createElement("script");
      s.src = "/assets/lib/jssip.js";
      s.onload = () => resolve(typeof JsSIP !== "undefined");
      s.onerror = () => resolve(false);
      document.head.appendChild(s);
    });
    return sipLib;
  }

  let starting = false;
  async function start() {
    if (ua || starting) return;
    starting = true;
    try {
      await register();
    } finally {
      starting = false;
    }
  }
  async function register() {
    if (!(await sipLibrary())) {
      status("off");
      return error(t("phone.js.err.lib"));
    }
    const mic = await microphone();
    if (!mic) return status("off");
    mic.getTracks().forEach((tr) => tr.stop());
    await devices();
    error("");
    let socket;
    try {
      socket = new JsSIP.WebSocketInterface(cfg.ws_url);
    } catch (e) {
      status("off");
      return error(t("phone.js.err.ws", cfg.ws_url));
    }
    ua = new JsSIP.UA({
      sockets: [socket], uri: cfg.uri, authorization_user: cfg.auth_user, password: cfg.password,
      register: true, register_expires: 120, session_timers: false, user_agent: "Switchboard desktop",
      connection_recovery_min_interval: 2, connection_recovery_max_interval: 20,
    });
    let everConnected = false;
    ua.on("connecting", () => status(everConnected ? "reconnecting" : "connecting", "connecting"));
    ua.on("connected", () => {
      everConnected = true;
      error("");
      status("connected", "connecting");
    });
    ua.on("disconnected", () => {
      status(everConnected ? "reconnecting" : "connecting", "lost");
      error(everConnected ? t("phone.js.err.lost", cfg.ws_url) : t("phone.js.err.ws", cfg.ws_url));
    });
    ua.on("registered", () => {
      error("");
      status("ready");
    });
    ua.on("unregistered", () => status("connected", "connecting"));
    ua.on("registrationFailed", (e) => {
      status("off", "lost");
      error(t("phone.js.err.register", (e && e.cause) || ""));
    });
    ua.on("newRTCSession", (e) => {
      if (e.originator !== "remote") return;
      if (session) return e.session.terminate({ status_code: 486 });
      offer(e.session, e.request);
    });
    ua.start();
  }
  function stop() {
    if (!ua) return;
    if (session) session.terminate();
    ua.stop();
    ua = null;
    status("off");
    error("");
  }

  // An offer: ring, blink, notify, count down; answer or reject.
  function offer(s, req) {
    session = s;
    held = muted = false;
    const name = s.remote_identity.display_name, number = s.remote_identity.uri.user;
    const from = (name && number && name.toLowerCase() !== number.toLowerCase() ? name + " (" + number + ")" : name || number) || t("phone.js.unknown");
    $("sp-from").textContent = from;
    clearMissed();
    $("sp-offer").hidden = false;
    $("sp-incall").hidden = true;
    card.classList.add("ringing");
    document.body.classList.add("sp-ringing");
    status("ringing");
    ring.currentTime = 0;
    ring.play().catch(() => error(t("phone.js.err.sound")));
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      notice = new Notification(t("phone.js.notify.title"), { body: from, tag: "switchboard-offer", requireInteraction: true });
      notice.onclick = () => {
        window.focus();
        notice.close();
      };
    }
    // The offer's ring time: its queue's, from the desk's offered pop when it came (before or
    // after the phone rang), else the site's default.
    until = Date.now() + (cfg.ring_timeout_s || 20) * 1000;
    if (lastOffer && Date.now() - lastOffer.at < 5000) until = lastOffer.at + lastOffer.ring * 1000;
    let blink = false;
    every(1000, () => {
      const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      $("sp-countdown").textContent = t("phone.js.countdown", left);
      blink = !blink;
      document.title = blink ? t("phone.js.title.ringing", from) : title;
    });
    s.on("accepted", connected);
    s.on("confirmed", connected);
    s.on("ended", () => finished(false));
    s.on("failed", (e) => finished(!answered && e.originator !== "local", e.cause));
    // Only the agent's own hold: a far end that holds the browser leaves its controls alone.
    s.on("hold", (e) => e.originator === "local" && showHold(true));
    s.on("unhold", (e) => e.originator === "local" && showHold(false));
    s.on("peerconnection", (e) => e.peerconnection.addEventListener("track", (ev) => {
      $("sp-remote").srcObject = ev.streams[0] || new MediaStream([ev.track]);
    }));
  }
  function stopRinging() {
    clearTimers();
    ring.pause();
    document.title = title;
    card.classList.remove("ringing");
    document.body.classList.remove("sp-ringing");
    $("sp-offer").hidden = true;
    if (notice) notice.close();
    notice = null;
  }
  $("sp-answer").addEventListener("click", async () => {
    if (!session) return;
    $("sp-answer").disabled = true;
    const s = session;
    local = await microphone();
    $("sp-answer").disabled = false;
    if (!local || s !== session) return;
    s.answer({ mediaStream: local, pcConfig: { iceServers: (cfg.ice_servers || []).map((u) => ({ urls: u })) } });
  });
  $("sp-reject").addEventListener("click", () => {
    if (session) session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
  });
  $("sp-hangup").addEventListener("click", () => {
    if (session) session.terminate();
  });
  function connected() {
    if (answered || !session) return;
    answered = Date.now();
    stopRinging();
    status("oncall");
    $("sp-incall").hidden = false;
    $("sp-peer").textContent = $("sp-from").textContent;
    every(1000, () => {
      $("sp-timer").textContent = dur((Date.now() - answered) / 1000);
      media();
    });
  }
  function finished(missed, cause) {
    const from = $("sp-from").textContent;
    stopRinging();
    if (local) local.getTracks().forEach((tr) => tr.stop());
    local = null;
    session = null;
    answered = 0;
    $("sp-incall").hidden = true;
    $("sp-remote").srcObject = null;
    $("sp-hold").setAttribute("aria-pressed", "false");
    $("sp-mute").setAttribute("aria-pressed", "false");
    $("sp-hold").textContent = t("phone.js.hold");
    $("sp-mute").textContent = t("phone.js.mute");
    if (ua) status(ua.isRegistered() ? "ready" : "connecting");
    if (missed && cause !== "Rejected" && cause !== "Busy") {
      $("sp-missed").textContent = t("phone.js.missed", from, new Date().toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" }));
      $("sp-missed").hidden = false;
      missedTimer = setTimeout(clearMissed, 60000);
    }
  }
  function clearMissed() {
    clearTimeout(missedTimer);
    $("sp-missed").hidden = true;
  }
  $("sp-missed").addEventListener("click", clearMissed);

  // Hold: a re-INVITE (sendonly), and the browser stops sending its microphone.
  $("sp-hold").addEventListener("click", () => {
    if (!session || !answered) return;
    if (held) session.unhold();
    else session.hold();
  });
  function showHold(on) {
    held = on;
    const pc = session && session.connection;
    if (pc && local) {
      const track = local.getAudioTracks()[0];
      track.enabled = !muted;
      for (const s of pc.getSenders()) if (!s.track || s.track.kind === "audio") s.replaceTrack(on ? null : track);
    }
    $("sp-hold").setAttribute("aria-pressed", String(on));
    $("sp-hold").textContent = on ? t("phone.js.resume") : t("phone.js.hold");
    status(on ? "held" : "oncall");
  }
  $("sp-mute").addEventListener("click", () => {
    if (!session || !answered) return;
    muted = !muted;
    if (muted) session.mute({ audio: true });
    else session.unmute({ audio: true });
    $("sp-mute").setAttribute("aria-pressed", String(muted));
    $("sp-mute").textContent = muted ? t("phone.js.unmute") : t("phone.js.mute");
  });

  // media shows the audio packets of the call both ways (no sound is no mystery).
  async function media() {
    const pc = session && session.connection;
    if (!pc) return;
    let rx = 0, tx = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.kind === "audio" && r.type === "inbound-rtp") rx += r.packetsReceived || 0;
      if (r.kind === "audio" && r.type === "outbound-rtp") tx += r.packetsSent || 0;
    });
    const m = $("sp-media");
    m.dataset.in = rx;
    m.dataset.out = tx;
    m.textContent = t("phone.js.media", rx, tx);
  }

  window.addEventListener("beforeunload", () => {
    if (ua) ua.stop();
  });

  // The phone is chosen before logging in: while the agent is logged in, the choice stays.
  const state = $("state");
  function lockMode() {
    const on = state && state.dataset.state && state.dataset.state !== "logged_out";
    for (const r of document.querySelectorAll('input[name="sp-mode"]')) r.disabled = !!on;
  }
  if (state) new MutationObserver(lockMode).observe(state, { attributes: true, attributeFilter: ["data-state"] });

  (async function init() {
    cfg = await getJSON("/api/agent/softphone");
    if (!cfg || !cfg.enabled) return;
    card.hidden = false;
    showNotify();
    if (navigator.mediaDevices) navigator.mediaDevices.addEventListener("devicechange", devices);
    const me = await getJSON("/api/agent");
    const saved = localStorage.getItem("sp.mode");
    const m = me && me.state !== "logged_out" ? (me.endpoint === cfg.endpoint ? "browser" : "desk") : saved || "desk";
    await setMode(m, false);
    lockMode();
  })();
})();
