package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The message catalogues: one JSON object per language (i18n/<lang>.json), key to text.
// Texts with arguments take fmt verbs (%s, %d).
//
//go:embed i18n/*.json
var catalogueFS embed.FS

// langs are the interface's languages; the first is the default.
var langs = []string{"en", "ru"}

// langNames name each language in itself, for the language switch.
var langNames = map[string]string{"en": "English", "ru": "Русский"}

var catalogues = loadCatalogues()

func loadCatalogues() map[string]map[string]string {
	all := map[string]map[string]string{}
	for _, l := range langs {
		b, err := catalogueFS.ReadFile("i18n/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n/%s.json: %v", l, err))
		}
		all[l] = m
	}
	return all
}

// langCookie keeps a person's choice of language.
const langCookie = "sb_lang"

// T is the text of key in lang (English when lang lacks it, the key itself when no catalogue
// has it), formatted with args when there are any.
func T(lang, key string, args ...any) string {
	s, ok := catalogues[lang][key]
	if !ok {
		if s, ok = catalogues["en"][key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func knownLang(l string) bool {
	_, ok := catalogues[l]
	return ok
}

// langOf is the language to answer r in: the signed-in user's profile, else the person's
// choice (the sb_lang cookie), else the browser's preferred language among ours
// (Accept-Language), else English.
func langOf(r *http.Request) string {
	if sess := sessionFrom(r.Context()); sess != nil && knownLang(sess.User.Profile.Language) {
		return sess.User.Profile.Language
	}
	if c, err := r.Cookie(langCookie); err == nil && knownLang(c.Value) {
		return c.Value
	}
	return acceptLang(r.Header.Get("Accept-Language"))
}

// acceptLang picks, from an Accept-Language header, the language of ours with the highest
// weight (the earliest on a tie); English when none is ours.
func acceptLang(h string) string {
	best, bestQ := langs[0], 0.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if knownLang(base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// withLangSwitch handles ?lang=xx on any GET: it keeps the choice in the sb_lang cookie and
// redirects to the same address without the parameter.
func (s *server) withLangSwitch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if l := q.Get("lang"); r.Method == http.MethodGet && l != "" && knownLang(l) {
			s.switchProfileLang(r, l)
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
				SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r)})
			q.Del("lang")
			to := "/" + strings.TrimLeft(r.URL.EscapedPath(), "/\\") // never //host: no open redirect
			if len(q) > 0 {
				to += "?" + q.Encode()
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// langLink is one entry of the language switch (nav.html).
type langLink struct {
	Code, Name string
	Current    bool
}

func langLinks(cur string) []langLink {
	out := make([]langLink, 0, len(langs))
	for _, l := range langs {
		out = append(out, langLink{Code: l, Name: langNames[l], Current: l == cur})
	}
	return out
}

// jsKeys are the catalogue keys the pages' scripts read (prefix "js.", and "phone.js." for
// the softphone), handed to them as JSON in the page.
func jsCatalogue(lang string) map[string]string {
	out := map[string]string{}
	for k := range catalogues["en"] {
		if strings.HasPrefix(k, "js.") || strings.HasPrefix(k, "phone.js.") {
			out[k] = T(lang, k)
		}
	}
	return out
}

// catalogueKeys lists a catalogue's keys, sorted.
func catalogueKeys(lang string) []string {
	keys := make([]string, 0, len(catalogues[lang]))
	for k := range catalogues[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// switchProfileLang makes the language switch change the profile of a signed-in user who
// chose a language there (the profile would otherwise win over the switch).
func (s *server) switchProfileLang(r *http.Request, l string) {
	c, err := r.Cookie(sessionCookie)
	if s.opt.Profiles == nil || s.opt.Users == nil || err != nil || c.Value == "" {
		return
	}
	sess, err := s.opt.Users.SessionByToken(r.Context(), c.Value, time.Now())
	if err != nil || sess.User.Profile.Language == "" || sess.User.Profile.Language == l {
		return
	}
	p := sess.User.Profile
	p.Language = l
	if err := s.opt.Profiles.SetProfile(r.Context(), sess.User.ID, p); err != nil {
		s.opt.Logger.Error("language switch", "user", sess.User.Username, "err", err)
	}
}
