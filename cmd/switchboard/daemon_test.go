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
	"switchboard/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The daemon end to end: emulator over HTTP and websocket, router, journal into a real
// PostgreSQL, health and metrics over HTTP.
func TestDaemonWritesCallsAndServesMetrics(t *testing.T) {
	emu, err := ariemu.New(ariemu.Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	addr, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadConfig(bytes.NewReader(demoYAML), "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ARI.URL, cfg.ARI.User, cfg.ARI.Password = "http://"+addr+"/ari", "u", "p"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Database.URL = pgtest.URL(t)
	cfg.Database.DataDir = t.TempDir() // billing records: its recordings go here
	for _, a := range cfg.Agents {
		emu.SetPhone(a.Endpoint, ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := startDaemon(context.Background(), cfg, daemonOptions{Logger: log, MetricsToken: "tok", LoginAgents: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			d.close()
		}
	}()
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+d.addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	eventually(t, "healthy", func() bool { code, _ := get("/healthz", ""); return code == 200 })

	var chans []string
	for i := 0; i < 3; i++ {
		id, err := emu.PlaceCaller(ariemu.Caller{Number: "7999000000" + string(rune('1'+i)), DID: "5552000", TalkTime: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, id)
	}
	for _, ch := range chans {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rec, err := emu.WaitCall(ctx, ch, ariemu.Ended)
		cancel()
		if err != nil || rec.Outcome != ariemu.OutcomeCompleted {
			t.Fatalf("caller %s: %+v %v", ch, rec, err)
		}
	}
	if code, _ := get("/metrics", ""); code != 401 {
		t.Fatalf("metrics without a token: %d", code)
	}
	eventually(t, "metrics", func() bool {
		_, body := get("/metrics", "tok")
		return strings.Contains(body, `switchboard_calls_answered_total{queue="billing"} 3`)
	})
	// A supervisor signs in (accounts and sessions in PostgreSQL) and sees the queue.
	if err := addUser(context.Background(), d.store, "sue", "supervisor", "", []string{"billing"}, "a long password"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get("http://" + d.addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no login form")
	}
	resp, err = c.PostForm("http://"+d.addr+"/login", url.Values{"csrf": {string(m[1])}, "username": {"sue"}, "password": {"a long password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var got struct {
		Queues []struct {
			Queue    string
			Answered int64
		}
	}
	eventually(t, "the supervisor sees billing's three answered calls", func() bool {
		resp, err := c.Get("http://" + d.addr + "/api/queues")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got.Queues = nil
		json.NewDecoder(resp.Body).Decode(&got)
		return resp.StatusCode == 200 && len(got.Queues) == 1 && got.Queues[0].Queue == "billing" && got.Queues[0].Answered == 3
	})

	// Closing the daemon flushes the journal: every call is in the database, completed.
	d.close()
	closed = true
	st, err := store.Open(context.Background(), cfg.Database.URL, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, ch := range chans {
		c, err := st.Call(context.Background(), "demo-"+ch)
		if err != nil {
			t.Fatalf("call %s: %v", ch, err)
		}
		if c.Outcome != "completed" || c.Queue != "billing" || c.DID != "5552000" || c.CallerNumber != "7999000000"+string(rune('1'+i)) {
			t.Fatalf("call row: %+v", c)
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
