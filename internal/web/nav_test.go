package web

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var (
	navBar    = regexp.MustCompile(`(?s)<nav aria-label="Pages">(.*?)</nav>`)
	navLinkRE = regexp.MustCompile(`<a href="([^"]+)"( aria-current="page")?>`)
)

// navOf lists a page's navigation links, the current one marked with a star.
func navOf(page string) string {
	m := navBar.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	var links []string
	for _, l := range navLinkRE.FindAllStringSubmatch(m[1], -1) {
		if l[2] != "" {
			l[1] += "*"
		}
		links = append(links, l[1])
	}
	return strings.Join(links, " ")
}

// Every signed-in page shows the pages the role may open on this server (no recordings, no
// desktop here), the current one marked; a page refused to a role answers 403 with that bar.
func TestNavigationBarAndForbiddenPage(t *testing.T) {
	s := newStoreSite(t, nil)
	root, sue, alice := s.signIn("root"), s.signIn("sue"), s.signIn("alice")
	for _, c := range []struct {
		who       *browser
		path      string
		code      int
		nav, text string
	}{
		{root, "/admin", 200, "/wallboard /reports /admin*", "Accounts"},
		{root, "/reports", 200, "/wallboard /reports* /admin", "Reports"},
		{sue, "/wallboard", 200, "/wallboard* /reports", "Wallboard"},
		{sue, "/admin", 403, "/wallboard /reports", "forbidden to your role (supervisor)"},
		{alice, "/reports", 403, "", "forbidden to your role (agent)"},
	} {
		resp, err := c.who.c.Get(s.ts.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page := string(body)
		if resp.StatusCode != c.code || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %q %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
		if got := navOf(page); got != c.nav || !strings.Contains(page, c.text) {
			t.Errorf("%s: nav %q, want %q; page has %q: %v", c.path, got, c.nav, c.text, strings.Contains(page, c.text))
		}
	}
	if code, body := s.send(alice.c, "GET", "/api/reports", "", ""); code != http.StatusForbidden || !strings.Contains(body, `"forbidden"`) {
		t.Errorf("the API still answers in JSON: %d %s", code, body)
	}
}
