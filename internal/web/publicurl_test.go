package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
)

// publicSite is newSite behind a proxy whose public address is public.
func publicSite(t *testing.T, public string) *site {
	t.Helper()
	users := testUsers("sue")
	live := Live{At: time.Now(), Queues: []acd.QueueStats{{Queue: "billing"}}}
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return live }, PublicURL: public,
		Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(ts.Close)
	return &site{t: t, ts: ts}
}

// viaProxy sends the request as the TLS-terminating proxy would: X-Forwarded-Proto: https.
type viaProxy struct{ proto string }

func (p viaProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if p.proto != "" {
		r.Header.Set("X-Forwarded-Proto", p.proto)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestPublicURLHTTPS: with an https public address the login's and the session's cookies are
// Secure and every answer asks for HTTPS (HSTS); /login asked over plain http redirects to the
// public address and takes no password there.
func TestPublicURLHTTPS(t *testing.T) {
	s := publicSite(t, "https://sb.example.com")
	c := s.client()
	c.Transport = viaProxy{"https"}
	resp := s.login(c, "sue", "sue-pass")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login through the proxy: %d", resp.StatusCode)
	}
	if ck := cookieNamed(resp, sessionCookie); ck == nil || !ck.Secure || !ck.HttpOnly {
		t.Fatalf("session cookie %+v, want Secure and HttpOnly", ck)
	}
	if h := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Fatalf("Strict-Transport-Security %q", h)
	}
	page, err := c.Get(s.ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if ck := cookieNamed(page, loginCSRF); page.StatusCode != 200 || ck == nil || !ck.Secure {
		t.Fatalf("login page through the proxy: %d, form cookie %+v", page.StatusCode, ck)
	}

	for _, proto := range []string{"", "http"} {
		plain := s.client()
		plain.Transport = viaProxy{proto}
		resp, err := plain.Get(s.ts.URL + "/login?next=x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://sb.example.com/login" {
			t.Errorf("GET /login over http (X-Forwarded-Proto %q): %d to %q, want 302 to https://sb.example.com/login",
				proto, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = plain.PostForm(s.ts.URL+"/login", url.Values{"username": {"sue"}, "password": {"sue-pass"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://sb.example.com/login" || cookieNamed(resp, sessionCookie) != nil {
			t.Errorf("POST /login over http (X-Forwarded-Proto %q): %d to %q, cookies %v; want 303 to the https login and no session",
				proto, resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
		}
	}
}

// TestPublicURLHTTPOrNone: without an https public address nothing is redirected and cookies
// are Secure only on a TLS connection.
func TestPublicURLHTTPOrNone(t *testing.T) {
	for _, public := range []string{"", "http://sb.example.com"} {
		s := publicSite(t, public)
		c := s.client()
		resp := s.login(c, "sue", "sue-pass")
		if ck := cookieNamed(resp, sessionCookie); resp.StatusCode != http.StatusSeeOther || ck == nil || ck.Secure {
			t.Errorf("public %q: login %d, session cookie %+v, want not Secure", public, resp.StatusCode, ck)
		}
		if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("public %q: Strict-Transport-Security %q over http", public, h)
		}
	}
}
