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
  window.tOr = (key, fallback) => (Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : fallback);
})();
