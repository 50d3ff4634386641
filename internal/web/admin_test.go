package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// storeSite is the HTTP side on a real database with three accounts: root (admin), sue
// (supervisor of billing) and alice (agent 1001); passwords are "<name>-password".
type storeSite struct {
	*site
	st  *store.Store
	ids map[string]int64
}

func newStoreSite(t *testing.T, kpis func(context.Context, time.Time, time.Time, []string) (float64, float64, bool, error)) *storeSite {
	t.Helper()
	return newStoreSiteWith(t, func(o *Options, _ *store.Store) { o.KPIs = kpis })
}

// newStoreSiteWith is newStoreSite with the options changed by edit (given the store) first.
func newStoreSiteWith(t *testing.T, edit func(*Options, *store.Store)) *storeSite {
	t.Helper()
	st := store.New(pgtest.Pool(t))
	ids := map[string]int64{}
	for _, u := range []account.User{
		{Username: "root", Role: "admin"},
		{Username: "sue", Role: "supervisor", Queues: []string{"billing"}},
		{Username: "alice", Role: "agent", AgentID: "1001"},
	} {
		u.PasswordHash, _ = account.HashPassword(u.Username + "-password")
		a, err := st.CreateAccount(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		ids[u.Username] = a.ID
	}
	live := Live{At: time.Now(), Queues: []acd.QueueStats{
		{Queue: "billing", SLThreshold: 20 * time.Second}, {Queue: "support", SLThreshold: 30 * time.Second},
	}}
	logs := &bytes.Buffer{}
	opt := Options{Users: st, Live: func() Live { return live }, Accounts: st, Reports: st,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}
	edit(&opt, st)
	h := Handler(opt)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &storeSite{site: &site{t: t, ts: ts, logs: logs}, st: st, ids: ids}
}

// browser is a signed-in client and its CSRF token (read from the admin page, or the
// wallboard's logout form for non-admins).
type browser struct {
	c    *http.Client
	csrf string
}

func (s *storeSite) signIn(user string) *browser {
	s.t.Helper()
	c := s.client()
	resp := s.login(c, user, user+"-password")
	if to := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || (to != "/wallboard" && to != "/agent") {
		s.t.Fatalf("login %s: %d %s", user, resp.StatusCode, to)
	}
	b := &browser{c: c}
	for _, p := range []string{"/admin", resp.Header.Get("Location")} {
		_, page := s.get(c, p)
		if m := csrfMeta.FindStringSubmatch(page); m != nil {
			b.csrf = m[1]
			break
		}
		if m := csrfField.FindStringSubmatch(page); m != nil {
			b.csrf = m[1]
			break
		}
	}
	return b
}

// do sends a JSON request; auth is "csrf" (the browser's token), "bearer <token>" or "".
func (s *storeSite) do(c *http.Client, method, path, auth string, body any) (int, string) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.ts.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(auth, "bearer "):
		req.Header.Set("Authorization", "Bearer "+strings.TrimPrefix(auth, "bearer "))
	case auth != "":
		req.Header.Set("X-CSRF-Token", auth)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func errCode(body string) string {
	var e apiError
	json.Unmarshal([]byte(body), &e)
	return e.Error.Code
}

func TestAdminManagesUsers(t *testing.T) {
	s := newStoreSite(t, nil)
	root := s.signIn("root")
	if root.csrf == "" {
		t.Fatal("no csrf meta on the admin page")
	}
	code, body := s.do(root.c, "GET", "/api/users", "", nil)
	if code != 200 || !strings.Contains(body, `"username":"alice"`) || strings.Contains(body, "$2a$") || strings.Contains(body, "password") {
		t.Fatalf("list: %d %s", code, body)
	}
	newbie := map[string]any{"username": "bob", "role": "agent", "agent_id": "1002", "password": "bob-password"}
	if code, body := s.do(root.c, "POST", "/api/users", "", newbie); code != 403 || errCode(body) != CodeCSRF {
		t.Fatalf("create without csrf: %d %s", code, body)
	}
	code, body = s.do(root.c, "POST", "/api/users", root.csrf, newbie)
	if code != 201 || strings.Contains(body, "bob-password") || strings.Contains(body, "$2a$") {
		t.Fatalf("create: %d %s", code, body)
	}
	var bob account.Account
	json.Unmarshal([]byte(body), &bob)
	u, err := s.st.UserByName(context.Background(), "bob")
	if err != nil || u.AgentID != "1002" || !strings.HasPrefix(u.PasswordHash, "$2a$") {
		t.Fatalf("stored: %+v %v", u, err)
	}
	if b := s.signIn("bob"); b == nil {
		t.Fatal("bob cannot sign in")
	}

	for _, tt := range []struct {
		name   string
		method string
		path   string
		body   any
		code   int
		errc   string
	}{
		{"taken username", "POST", "/api/users", newbie, 409, CodeConflict},
		{"agent without agent id", "POST", "/api/users", map[string]any{"username": "x", "role": "agent", "password": "0123456789"}, 422, CodeInvalid},
		{"unknown queue", "POST", "/api/users", map[string]any{"username": "x", "role": "supervisor", "queues": []string{"nope"}, "password": "0123456789"}, 422, CodeInvalid},
		{"short password", "POST", "/api/users", map[string]any{"username": "x", "role": "admin", "password": "short"}, 422, CodeInvalid},
		{"bad username", "POST", "/api/users", map[string]any{"username": "a b", "role": "admin", "password": "0123456789"}, 422, CodeInvalid},
		{"unknown field", "POST", "/api/users", map[string]any{"username": "x", "role": "admin", "password": "0123456789", "is_root": true}, 400, CodeInvalid},
		{"queues on an agent", "PATCH", fmt.Sprintf("/api/users/%d", bob.ID), map[string]any{"queues": []string{"billing"}}, 422, CodeInvalid},
		{"demote the last admin", "PATCH", fmt.Sprintf("/api/users/%d", s.ids["root"]), map[string]any{"role": "supervisor", "queues": []string{"billing"}}, 409, CodeConflict},
		{"delete the last admin", "DELETE", fmt.Sprintf("/api/users/%d", s.ids["root"]), nil, 409, CodeConflict},
		{"missing user", "DELETE", "/api/users/99999", nil, 404, CodeNotFound},
		{"bad id", "DELETE", "/api/users/x", nil, 404, CodeNotFound},
	} {
		if code, body := s.do(root.c, tt.method, tt.path, root.csrf, tt.body); code != tt.code || errCode(body) != tt.errc {
			t.Errorf("%s: %d %s, want %d %s", tt.name, code, body, tt.code, tt.errc)
		}
	}

	// bob becomes a supervisor of support with a new password; his old password stops working.
	code, body = s.do(root.c, "PATCH", fmt.Sprintf("/api/users/%d", bob.ID), root.csrf,
		map[string]any{"role": "supervisor", "agent_id": "", "queues": []string{"support"}, "password": "new-bob-password"})
	if code != 200 || !strings.Contains(body, `"queues":["support"]`) || !strings.Contains(body, `"agent_id":""`) {
		t.Fatalf("patch: %d %s", code, body)
	}
	if resp := s.login(s.client(), "bob", "bob-password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old password after the change: %d", resp.StatusCode)
	}
	if code, _ := s.do(root.c, "DELETE", fmt.Sprintf("/api/users/%d", bob.ID), root.csrf, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	trail, _ := s.st.AuditTrail(context.Background(), "user:bob")
	if len(trail) != 3 || trail[0].Actor != "root" || trail[1].Detail == "" || strings.Contains(trail[1].Detail, "new-bob") {
		t.Fatalf("audit trail: %+v", trail)
	}

	// Only admins manage accounts.
	sue := s.signIn("sue")
	if code, body := s.do(sue.c, "GET", "/api/users", "", nil); code != 403 || errCode(body) != CodeForbidden {
		t.Fatalf("supervisor listing users: %d %s", code, body)
	}
	if code, _ := s.get(sue.c, "/admin"); code != 403 {
		t.Fatalf("supervisor on /admin: %d", code)
	}
	if strings.Contains(s.logs.String(), "-password") {
		t.Fatal("a password reached the log")
	}
}

func TestAPITokensActAsTheirOwner(t *testing.T) {
	s := newStoreSite(t, nil)
	sue, root := s.signIn("sue"), s.signIn("root")
	code, body := s.do(sue.c, "POST", "/api/tokens", sue.csrf, map[string]any{"name": "wallboard tv"})
	var tok struct {
		ID       int64  `json:"id"`
		Token    string `json:"token"`
		Username string `json:"username"`
	}
	if json.Unmarshal([]byte(body), &tok); code != 201 || tok.Token == "" || tok.Username != "sue" {
		t.Fatalf("create: %d %s", code, body)
	}
	bearer := "bearer " + tok.Token

	// The token sees what sue sees, and only through the API.
	code, body = s.do(nil, "GET", "/api/queues", bearer, nil)
	if code != 200 || !strings.Contains(body, `"billing"`) || strings.Contains(body, `"support"`) {
		t.Fatalf("queues by token: %d %s", code, body)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := s.do(noRedirect, "GET", "/wallboard", bearer, nil); code != http.StatusSeeOther {
		t.Fatalf("page by token: %d, want the login redirect", code)
	}
	if code, body := s.do(nil, "GET", "/api/users", bearer, nil); code != 403 {
		t.Fatalf("supervisor token on users: %d %s", code, body)
	}
	if code, body := s.do(nil, "POST", "/api/tokens", bearer, map[string]any{"name": "more"}); code != 403 || errCode(body) != CodeForbidden {
		t.Fatalf("token minting a token: %d %s", code, body)
	}
	if code, body := s.do(nil, "GET", "/api/queues", "bearer nope", nil); code != 401 || errCode(body) != CodeUnauthorized {
		t.Fatalf("unknown token: %d %s", code, body)
	}

	// A token changes state without a CSRF token; a browser session still needs one.
	code, body = s.do(root.c, "POST", "/api/tokens", root.csrf, map[string]any{"name": "provisioning"})
	var rootTok struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	json.Unmarshal([]byte(body), &rootTok)
	alice := fmt.Sprintf("/api/users/%d", s.ids["alice"])
	if code, body := s.do(root.c, "PATCH", alice, "", map[string]any{"agent_id": "1003"}); code != 403 || errCode(body) != CodeCSRF {
		t.Fatalf("session without csrf: %d %s", code, body)
	}

	// Sue lists and revokes her own tokens only; the admin sees all.
	code, body = s.do(sue.c, "GET", "/api/tokens", "", nil)
	if code != 200 || strings.Count(body, `"id"`) != 1 || strings.Contains(body, tok.Token) || !strings.Contains(body, `"last_used_at":"`) {
		t.Fatalf("sue's list: %d %s", code, body)
	}
	if code, body := s.do(root.c, "GET", "/api/tokens", "", nil); code != 200 || strings.Count(body, `"id"`) != 2 {
		t.Fatalf("admin's list: %d %s", code, body)
	}
	if code, _ := s.do(sue.c, "DELETE", fmt.Sprintf("/api/tokens/%d", rootTok.ID), sue.csrf, nil); code != 404 {
		t.Fatalf("sue revoking root's token: %d", code)
	}
	if code, _ := s.do(sue.c, "DELETE", fmt.Sprintf("/api/tokens/%d", tok.ID), sue.csrf, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := s.do(nil, "GET", "/api/queues", bearer, nil); code != 401 {
		t.Fatalf("revoked token: %d", code)
	}
	if strings.Contains(s.logs.String(), tok.Token) || strings.Contains(s.logs.String(), rootTok.Token) {
		t.Fatal("a token reached the log")
	}
}

// TestTokensCannotManageAccountsOrTokens: an API token, even an admin's, may not create,
// change or delete accounts, nor list, make or revoke tokens: a leaked token must not be able
// to mint an account (which could then sign in and make tokens) or outlive its revocation.
// Those routes need a signed-in session.
func TestTokensCannotManageAccountsOrTokens(t *testing.T) {
	s := newStoreSite(t, nil)
	root := s.signIn("root")
	code, body := s.do(root.c, "POST", "/api/tokens", root.csrf, map[string]any{"name": "provisioning"})
	var tok struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if json.Unmarshal([]byte(body), &tok); code != 201 {
		t.Fatalf("token: %d %s", code, body)
	}
	bearer := "bearer " + tok.Token
	alice := fmt.Sprintf("/api/users/%d", s.ids["alice"])
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/users", nil},
		{"POST", "/api/users", map[string]any{"username": "mallory", "role": "admin", "password": "mallory-password"}},
		{"PATCH", alice, map[string]any{"agent_id": "1003"}},
		{"PATCH", alice, map[string]any{"password": "taken-over-1"}},
		{"DELETE", alice, nil},
		{"GET", "/api/tokens", nil},
		{"POST", "/api/tokens", map[string]any{"name": "more"}},
		{"DELETE", fmt.Sprintf("/api/tokens/%d", tok.ID), nil},
	} {
		if code, body := s.do(nil, tt.method, tt.path, bearer, tt.body); code != 403 || errCode(body) != CodeForbidden {
			t.Errorf("%s %s with an admin token: %d %s, want 403 forbidden", tt.method, tt.path, code, body)
		}
	}
	if _, err := s.st.UserByName(context.Background(), "mallory"); !store.IsNotFound(err) {
		t.Fatalf("the token made an account: %v", err)
	}
	if a, err := s.st.Account(context.Background(), s.ids["alice"]); err != nil || a.AgentID != "1001" {
		t.Fatalf("the token changed an account: %+v %v", a, err)
	}
	// The token still does what it may: read the API as its owner.
	if code, body := s.do(nil, "GET", "/api/queues", bearer, nil); code != 200 {
		t.Fatalf("the token reading queues: %d %s", code, body)
	}
}

// TestAccountChangesRevokeTokens: a new password from /admin ends the account's sessions and
// revokes its API tokens (which read /api/tickets until then); a new role or scope revokes
// the tokens too. The audit row says what was revoked.
func TestAccountChangesRevokeTokens(t *testing.T) {
	s := newStoreSiteWith(t, func(o *Options, st *store.Store) { o.CRM = st.CRM(store.CRMOptions{}) })
	root, alice, sue := s.signIn("root"), s.signIn("alice"), s.signIn("sue")
	token := func(b *browser) string {
		t.Helper()
		code, body := s.do(b.c, "POST", "/api/tokens", b.csrf, map[string]any{"name": "integration"})
		var tok struct{ Token string }
		if json.Unmarshal([]byte(body), &tok); code != 201 || tok.Token == "" {
			t.Fatalf("token: %d %s", code, body)
		}
		return "bearer " + tok.Token
	}
	aliceTok, sueTok := token(alice), token(sue)
	if code, body := s.do(nil, "GET", "/api/tickets", aliceTok, nil); code != 200 {
		t.Fatalf("alice's token before: %d %s", code, body)
	}
	if code, body := s.do(root.c, "PATCH", fmt.Sprintf("/api/users/%d", s.ids["alice"]), root.csrf, map[string]any{"password": "alice-new-password"}); code != 200 {
		t.Fatalf("password change: %d %s", code, body)
	}
	if code, _ := s.do(nil, "GET", "/api/tickets", aliceTok, nil); code != 401 {
		t.Errorf("alice's token after her password changed: %d, want 401", code)
	}
	if code, _ := s.get(alice.c, "/api/tickets"); code != 401 {
		t.Errorf("alice's session after her password changed: %d, want 401", code)
	}
	if code, body := s.do(root.c, "PATCH", fmt.Sprintf("/api/users/%d", s.ids["sue"]), root.csrf, map[string]any{"queues": []string{"billing", "support"}}); code != 200 {
		t.Fatalf("scope change: %d %s", code, body)
	}
	if code, _ := s.do(nil, "GET", "/api/queues", sueTok, nil); code != 401 {
		t.Errorf("sue's token after her scope changed: %d, want 401", code)
	}
	if code, _ := s.get(sue.c, "/api/queues"); code != 200 {
		t.Errorf("sue's session after her scope changed: %d, want 200 (sessions read the account anew)", code)
	}
	trail, _ := s.st.AuditTrail(context.Background(), "user:alice")
	if len(trail) != 1 || !strings.Contains(trail[0].Detail, "1 API token revoked") || !strings.Contains(trail[0].Detail, "session") {
		t.Errorf("alice's audit trail: %+v", trail)
	}
}
