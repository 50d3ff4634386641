package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"switchboard/internal/account"
)

// Profiles keeps each user's own choices (internal/store's users).
type Profiles interface {
	SetProfile(ctx context.Context, userID int64, p account.Profile) error
}

// zones are offered on the profile page; any IANA name is accepted.
var zones = []string{"UTC", "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
	"Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok", "Asia/Magadan",
	"Asia/Kamchatka", "Europe/London", "Europe/Berlin", "Europe/Minsk", "Asia/Almaty", "America/New_York"}

// zoneOf is the zone r's pages show times in: the user's choice, else the center's
// (Options.TimeZone), else UTC.
func (s *server) zoneOf(r *http.Request) *time.Location {
	if sess := sessionFrom(r.Context()); sess != nil && sess.User.Profile.TimeZone != "" {
		if loc, err := account.LoadZone(sess.User.Profile.TimeZone); err == nil {
			return loc
		}
	}
	if s.opt.TimeZone != nil {
		return s.opt.TimeZone
	}
	return time.UTC
}

// profilePage: GET /profile, and POST /profile (form: csrf, language, time_zone, and a
// supervisor's or admin's monitor_phone).
func (s *server) profilePage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	center := "UTC"
	if s.opt.TimeZone != nil {
		center = s.opt.TimeZone.String()
	}
	p := sess.User.Profile
	data := map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Zones": zones, "Center": center, "Langs2": langs}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(sess.CSRF)) != 1 {
			http.Error(w, "bad csrf token", http.StatusForbidden)
			return
		}
		p = account.Profile{Language: r.PostForm.Get("language"), TimeZone: r.PostForm.Get("time_zone"),
			MonitorPhone: strings.TrimSpace(r.PostForm.Get("monitor_phone"))}
		if sess.User.Role == "agent" {
			p.MonitorPhone = sess.User.Profile.MonitorPhone // agents do not monitor: the page has no such field
		}
		lang := langOf(r)
		if err := p.Check(langs); err != nil {
			data["Profile"], data["Error"] = p, T(lang, "profile.invalid")
			switch {
			case strings.HasPrefix(err.Error(), "monitor_phone:"):
				data["Error"] = T(lang, "profile.badphone", p.MonitorPhone)
			case p.Language == "" || knownLang(p.Language):
				data["Error"] = T(lang, "profile.badzone", p.TimeZone)
			}
			s.renderStatus(w, r, http.StatusUnprocessableEntity, "profile.html", data)
			return
		}
		if err := s.opt.Profiles.SetProfile(r.Context(), sess.User.ID, p); err != nil {
			s.opt.Logger.Error("profile", "user", sess.User.Username, "err", err)
			data["Profile"], data["Error"] = p, T(lang, "profile.failed")
			s.renderStatus(w, r, http.StatusServiceUnavailable, "profile.html", data)
			return
		}
		s.opt.Logger.Info("profile changed", "user", sess.User.Username, "language", p.Language, "time_zone", p.TimeZone,
			"monitor_phone", p.MonitorPhone)
		http.Redirect(w, r, "/profile?saved=1", http.StatusSeeOther)
		return
	}
	data["Profile"], data["Saved"] = p, r.URL.Query().Get("saved") != ""
	data["Now"] = time.Now()
	s.render(w, r, "profile.html", data)
}
