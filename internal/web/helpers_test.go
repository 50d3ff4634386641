package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/screenpop"
)

// The helpers the handler tests share: accounts, a site to sign in to, and requests with the
// session's CSRF token.

// userCatalog holds the accounts the tests sign in with; each password is the name + "-pass".
var userCatalog = map[string]account.User{
	"sue":   {ID: 1, Username: "sue", Role: "supervisor", Queues: []string{"billing"}},
	"root":  {ID: 2, Username: "root", Role: "admin"},
	"alice": {ID: 3, Username: "alice", Role: "agent", AgentID: "1001"},
	"bob":   {ID: 4, Username: "bob", Role: "agent", AgentID: "1002"},
	"heidi": {ID: 5, Username: "heidi", Role: "agent", AgentID: "1008"},
}

// testUsers is an account store with the named accounts of userCatalog.
func testUsers(names ...string) *memUsers {
	m := &memUsers{sessions: map[string]*account.Session{}, users: map[string]*account.User{}}
	for _, n := range names {
		u, ok := userCatalog[n]
		if !ok {
			panic("no test account " + n)
		}
		u.Queues = slices.Clone(u.Queues)
		// The lowest cost keeps a login far inside the short request timeouts some tests
		// set, even on a loaded machine; the server checks any cost the same way.
		h, _ := bcrypt.GenerateFromPassword([]byte(n+"-pass"), bcrypt.MinCost)
		u.PasswordHash = string(h)
		m.users[n] = &u
	}
	return m
}

// site is the web handler on a test server; logs holds what it logged.
type site struct {
	t    *testing.T
	ts   *httptest.Server
	logs *bytes.Buffer
}

func (s *site) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// A page's CSRF token: the forms' hidden field and the pages' meta tag.
var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	csrfMeta  = regexp.MustCompile(`name="csrf" content="([^"]+)"`)
)

// login walks the form and returns the final response.
func (s *site) login(c *http.Client, user, pass string) *http.Response {
	s.t.Helper()
	resp, err := c.Get(s.ts.URL + "/login")
	if err != nil {
		s.t.Fatal(err)
	}
	body := new(bytes.Buffer)
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	m := csrfField.FindStringSubmatch(body.String())
	if m == nil {
		s.t.Fatalf("no csrf field in the login page")
	}
	resp, err = c.PostForm(s.ts.URL+"/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {pass}})
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (s *site) get(c *http.Client, path string) (int, string) {
	resp, err := c.Get(s.ts.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := new(bytes.Buffer)
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// send makes a JSON request with the page's CSRF token (csrf "" : none).
func (s *site) send(c *http.Client, method, path, csrf, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *site) pageCSRF(c *http.Client, path string) string {
	s.t.Helper()
	code, page := s.get(c, path)
	m := csrfMeta.FindStringSubmatch(page)
	if code != 200 || m == nil {
		s.t.Fatalf("%s: %d, csrf meta %v", path, code, m)
	}
	return m[1]
}

type recSite struct {
	*site
	recs  *memRecordings
	users *memUsers
	dir   string
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *recSite) as(user string) *http.Client {
	c := s.client()
	if r := s.login(c, user, user+"-pass"); r.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login %s: %d", user, r.StatusCode)
	}
	return c
}

// signedIn hands out one client per user, signed in (as) on first use.
func (s *recSite) signedIn() func(user string) *http.Client {
	clients := map[string]*http.Client{}
	return func(user string) *http.Client {
		if clients[user] == nil {
			clients[user] = s.as(user)
		}
		return clients[user]
	}
}

func (s *recSite) csrf(user string) string {
	s.users.mu.Lock()
	defer s.users.mu.Unlock()
	for _, ss := range s.users.sessions {
		if ss.User.Username == user {
			return ss.CSRF
		}
	}
	s.t.Fatalf("no session of %s", user)
	return ""
}

// openStream opens the event stream at path; it closes when the test ends or after 5 s.
func (s *site) openStream(c *http.Client, path string) *http.Response {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	s.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", s.ts.URL+path, nil)
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// hubPops and deskOf give the web side the screen pop's hub and desk, as cmd/switchboard
// wires them.
func hubPops(h *screenpop.Hub) Pops { return screenpop.Feed{Hub: h} }

func deskOf(d *screenpop.Desk) Desk { return popDesk{d} }

type popDesk struct{ desk *screenpop.Desk }

func (d popDesk) Codes() []string { return d.desk.Codes() }

func (d popDesk) Wrapup(ctx context.Context, agent, callID string, w Wrapup) error {
	return d.desk.Wrapup(ctx, agent, callID, screenpop.Wrapup(w))
}

func (d popDesk) ScheduleCallback(ctx context.Context, agent, callID, number string, at time.Time) (ScheduledCallback, error) {
	s, err := d.desk.ScheduleCallback(ctx, agent, callID, number, at)
	return ScheduledCallback(s), err
}

// errNotFound is what the fakes return for a missing row: an error with the not-found code,
// like the store's.
var errNotFound error = &acd.Error{Code: acd.ENotFound, Message: "not found"}
