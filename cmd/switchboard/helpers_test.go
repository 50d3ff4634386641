package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/pgtest"
	"switchboard/internal/testkit"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// demoDaemon starts the daemon on the demo configuration against an emulator whose phones
// all answer, with a fresh PostgreSQL database and data folder; it returns once reconciled.
// Every agent starts logged in (agents_login: all), so that calls are served without a desktop
// login first; tweak changes the configuration before the daemon starts.
func demoDaemon(t *testing.T, tweak ...func(*config.Config)) (*ariemu.Server, *daemon, *config.Config) {
	t.Helper()
	return demoDaemonYAML(t, demoYAML, tweak...)
}

// demoDaemonWith is demoDaemon with the configuration changed by edit first.
func demoDaemonWith(t *testing.T, edit func(*config.Config)) (*ariemu.Server, *daemon, *config.Config) {
	t.Helper()
	if edit == nil {
		return demoDaemonYAML(t, demoYAML)
	}
	return demoDaemonYAML(t, demoYAML, edit)
}

// demoDaemonYAML is demoDaemon on another configuration.
func demoDaemonYAML(t *testing.T, yaml []byte, tweak ...func(*config.Config)) (*ariemu.Server, *daemon, *config.Config) {
	t.Helper()
	return demoDaemonEmu(t, ariemu.Options{}, yaml, tweak...)
}

// demoDaemonEmu is demoDaemonYAML with an emulator built with opts (e.g. a Speed that shortens
// the prompts); the credentials are set here.
func demoDaemonEmu(t *testing.T, opts ariemu.Options, yaml []byte, tweak ...func(*config.Config)) (*ariemu.Server, *daemon, *config.Config) {
	t.Helper()
	opts.Username, opts.Password = "u", "p"
	emu, err := ariemu.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	addr, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadConfig(bytes.NewReader(yaml), "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ARI.URL, cfg.ARI.User, cfg.ARI.Password = "http://"+addr+"/ari", "u", "p"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Database.URL = pgtest.URL(t)
	cfg.Database.DataDir = t.TempDir()
	cfg.AgentsLogin = config.AgentsLoginAll
	for _, f := range tweak {
		f(cfg)
	}
	for _, a := range cfg.Agents {
		emu.SetPhone(a.Endpoint, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := startDaemon(context.Background(), cfg, daemonOptions{Logger: log, MetricsToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	testkit.Eventually(t, "connected", func() bool { return d.router.Reconciliations() > 0 })
	return emu, d, cfg
}

// login signs in through the form (accounts made with the password "a long password").
func login(t *testing.T, addr, user string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get("http://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatal("no login form")
	}
	resp, err = c.PostForm("http://"+addr+"/login", url.Values{"csrf": {string(m[1])}, "username": {user}, "password": {"a long password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c
}

// testAccount is an account a test makes; each has the password login signs in with.
type testAccount struct {
	name, role, agent string
	queues            []string
}

// addAccounts makes the accounts in d's store.
func addAccounts(t *testing.T, d *daemon, accounts ...testAccount) {
	t.Helper()
	for _, a := range accounts {
		if err := addUser(context.Background(), d.store, a.name, a.role, a.agent, a.queues, "a long password"); err != nil {
			t.Fatal(err)
		}
	}
}

// csrfField holds a page's CSRF token: the forms' hidden field or the pages' meta tag.
var csrfField = regexp.MustCompile(`name="csrf" (?:value|content)="([^"]+)"`)

// pageCSRF reads the session's CSRF token from a page every role may open.
func pageCSRF(t *testing.T, c *http.Client, addr string) string {
	t.Helper()
	return csrfOn(t, c, "http://"+addr+"/recordings")
}

// csrfOn reads the session's CSRF token from the page at url.
func csrfOn(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	code, page := fetch(t, c, url, "")
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf token in %s (%d)", url, code)
	}
	return string(m[1])
}

// apiSend sends body as JSON with the session's CSRF token (none if csrf is empty) and returns
// the answer's status and body.
func apiSend(t *testing.T, c *http.Client, method, url, csrf, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// apiCall is apiSend that decodes a successful answer into out (if not nil).
func apiCall(t *testing.T, c *http.Client, method, url, csrf, body string, out any) int {
	t.Helper()
	code, answer := apiSend(t, c, method, url, csrf, body)
	if out != nil && code < 300 {
		if err := json.Unmarshal([]byte(answer), out); err != nil {
			t.Fatal(err)
		}
	}
	return code
}

// ariGet asks the emulator's ARI for path as the daemon does and decodes the answer into out
// (if not nil, as far as it decodes); it returns the status.
func ariGet(t *testing.T, cfg *config.Config, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", cfg.ARI.URL+path, nil)
	req.SetBasicAuth(cfg.ARI.User, cfg.ARI.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
