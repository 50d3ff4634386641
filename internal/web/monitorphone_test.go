package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A supervisor keeps the phone they listen on in their profile (stored in users): the profile
// page shows it, the wallboard hands it to monitor.js, and a phone of the wrong form is refused
// with a sentence. An agent's profile has no such field.
func TestMonitorPhoneInProfile(t *testing.T) {
	s, _, _ := crmStoreSite(t)
	sue := s.signIn("sue")
	post := func(b *browser, v url.Values) (int, string) {
		v.Set("csrf", b.csrf)
		req, _ := http.NewRequest("POST", s.ts.URL+"/profile", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "en")
		c := *b.c
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		page, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(page)
	}
	if code, page := post(sue, url.Values{"language": {"en"}, "monitor_phone": {"9001; drop"}}); code != 422 ||
		!strings.Contains(page, "is not a phone; write it like PJSIP/9001") {
		t.Fatalf("bad phone: %d\n%s", code, page)
	}
	if code, _ := post(sue, url.Values{"language": {"en"}, "monitor_phone": {" PJSIP/9001 "}}); code != 303 {
		t.Fatalf("save: %d", code)
	}
	if _, page := s.get(sue.c, "/profile"); !strings.Contains(page, `id="profile-monitor-phone" value="PJSIP/9001"`) {
		t.Fatalf("profile page:\n%s", page)
	}
	if _, page := s.get(sue.c, "/wallboard"); !strings.Contains(page, `<meta name="monitor-phone" content="PJSIP/9001">`) {
		t.Fatalf("wallboard:\n%s", page)
	}
	alice := s.signIn("alice")
	if _, page := s.get(alice.c, "/profile"); strings.Contains(page, "profile-monitor-phone") {
		t.Fatal("an agent's profile offers a monitoring phone")
	}
}
