// The page's texts from the message catalogue (the #i18n block nav.html writes): t(key, args...)
// fills each %s or %d in turn; tOr(key, fallback) is fallback when the catalogue lacks key.
(function () {
  "use strict";
  const el = document.getElementById("i18n");
  const texts = el ? JSON.parse(el.textContent) : {};
  window.t = (key, ...args) => {
    let s = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
    for (const a of args) s = s.replace(/%[sd]/, () => String(a));
    return s;
  };
  // fmtWhen(iso, seconds) writes a time as the server's pages do: in the reader's zone (the
  // sb-zone meta: their profile's, else the center's) and as their language writes dates.
  const zoneMeta = document.querySelector('meta[name="sb-zone"]');
  const zone = zoneMeta ? zoneMeta.content : undefined;
  window.fmtWhen = (iso, seconds) => {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    const opts = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (seconds) opts.second = "2-digit";
    const p = {};
    for (const x of new Intl.DateTimeFormat("en-GB", opts).formatToParts(d)) p[x.type] = x.value;
    const time = p.hour + ":" + p.minute + (seconds ? ":" + p.second : "");
    return document.documentElement.lang === "ru" ? `${p.day}.${p.month}.${p.year} ${time}` : `${p.year}-${p.month}-${p.day} ${time}`;
  };
  // ivrPath(labels, did, steps) writes an IVR path with the menus' own labels (labels from
  // /api/ivr/labels; without them, the node ids and keys pressed).
  window.ivrPath = (labels, did, steps) => (steps || []).map((s) => {
    const flow = labels && labels.flows && labels.dids ? labels.flows[labels.dids[did]] : null;
    const n = flow ? flow[s.node] : null;
    const name = n ? n.label : s.node;
    const input = s.input && n && n.choices && n.choices[s.input] ? n.choices[s.input] : s.input;
    return input ? name + ": " + input : name;
  }).join(" → ");
  window.tOr = (key, fallback) => (Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : fallback);
})();
