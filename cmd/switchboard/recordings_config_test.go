package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/store"
	"switchboard/internal/testkit"
	"switchboard/recording"
)

// setRecording changes one queue's recording settings in c.
func setRecording(c *config.Config, queue string, f func(*config.Recording)) {
	m := c.Media[queue]
	f(&m.Recording)
	c.Media[queue] = m
}

// reloadDemo reloads the daemon with the demo configuration changed by tweak.
func reloadDemo(t *testing.T, d *daemon, tweak func(*config.Config)) {
	t.Helper()
	next, err := config.LoadConfig(bytes.NewReader(demoYAML), "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	next.Database, next.ARI, next.HTTP = d.cfg.Database, d.cfg.ARI, d.cfg.HTTP
	tweak(next)
	if err := d.reload(context.Background(), next); err != nil {
		t.Fatal(err)
	}
}

// Each queue keeps its recordings as long as its retention says: billing's (30 days) 40-day-old
// recording is purged, file and row, with an audit row; support-l1's (the default 90 days) is
// kept until a reload shortens support-l1's retention.
func TestRecordingRetentionFromConfig(t *testing.T) {
	_, d, cfg := demoDaemon(t, func(c *config.Config) {
		setRecording(c, "billing", func(r *config.Recording) { r.Retention = 30 * 24 * time.Hour })
	})
	if got := cfg.Media["support-l1"].Recording.Retention; got != config.DefaultRetention {
		t.Fatalf("support-l1 retention %s, want the default", got)
	}
	ctx := context.Background()
	dir := cfg.RecordingsDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-40 * 24 * time.Hour)
	path := func(q string) string { return filepath.Join(dir, "call-old-"+q+".wav") }
	for _, q := range []string{"billing", "support-l1"} {
		if err := os.WriteFile(path(q), []byte("RIFF"), 0o600); err != nil {
			t.Fatal(err)
		}
		rec := recording.Recording{Name: "call-old-" + q, CallID: "old-" + q, Queue: q, Started: old, Size: 4, Format: "wav", Path: path(q)}
		if err := d.store.IndexRecording(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(q string) bool {
		_, err := d.store.Recording(ctx, "call-old-"+q)
		_, ferr := os.Stat(path(q))
		if store.IsNotFound(err) != os.IsNotExist(ferr) {
			t.Fatalf("%s: row and file disagree: %v, %v", q, err, ferr)
		}
		return store.IsNotFound(err)
	}
	if _, err := d.purgeRecordings(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !gone("billing") || gone("support-l1") {
		t.Fatalf("after the purge: billing gone %v, support-l1 gone %v", gone("billing"), gone("support-l1"))
	}
	trail, err := d.store.AuditTrail(ctx, "recording:call-old-billing")
	if err != nil || len(trail) != 1 || trail[0].Action != "purge" || !strings.Contains(trail[0].Detail, "720h") {
		t.Fatalf("audit: %+v %v", trail, err)
	}

	reloadDemo(t, d, func(c *config.Config) {
		setRecording(c, "support-l1", func(r *config.Recording) { r.Retention = 7 * 24 * time.Hour })
	})
	if _, err := d.purgeRecordings(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !gone("support-l1") {
		t.Fatal("support-l1's recording outlived the retention reloaded")
	}
}

// The caller of a recorded call hears the queue's configured notice; after a reload setting
// none, the next recorded call plays no notice.
func TestRecordingNoticeFromConfig(t *testing.T) {
	emu, d, _ := demoDaemon(t, func(c *config.Config) {
		setRecording(c, "billing", func(r *config.Recording) { r.Notice = "beeperr" })
	})
	call := func() []string {
		t.Helper()
		ch, err := emu.PlaceCaller(ariemu.Caller{Number: "79995550002", DID: "5552000", TalkTime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, "recording indexed", func() bool { _, err := d.store.Recording(context.Background(), "call-demo-"+ch); return err == nil })
		rec, _ := emu.Call(ch)
		return rec.Played
	}
	if played := call(); !slices.Contains(played, "sound:beeperr") || slices.Contains(played, "sound:beep") {
		t.Fatalf("played %q, want the configured notice sound:beeperr", played)
	}
	reloadDemo(t, d, func(c *config.Config) {
		setRecording(c, "billing", func(r *config.Recording) { r.Notice = "" })
	})
	if played := call(); slices.ContainsFunc(played, func(m string) bool { return strings.HasPrefix(m, "sound:beep") }) {
		t.Fatalf("played %q with notice none", played)
	}
}

// With fetch: shared the daemon reads finished recordings from Asterisk's folder mounted here
// (a link to the emulator's folder) and never fetches one over ARI; with fetch: ari it does.
func TestRecordingsFetchModeFromConfig(t *testing.T) {
	for _, mode := range []config.RecordingFetch{config.FetchARI, config.FetchShared} {
		t.Run(string(mode), func(t *testing.T) {
			var fetches atomic.Int32
			mount := filepath.Join(t.TempDir(), "asterisk-recording")
			emu, d, _ := demoDaemon(t, func(c *config.Config) {
				target, _ := url.Parse(strings.TrimSuffix(c.ARI.URL, "/ari"))
				proxy := httputil.NewSingleHostReverseProxy(target)
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/ari/recordings/stored/") && strings.HasSuffix(r.URL.Path, "/file") {
						fetches.Add(1)
					}
					proxy.ServeHTTP(w, r)
				}))
				t.Cleanup(ts.Close)
				c.ARI.URL = ts.URL + "/ari"
				if mode == config.FetchShared {
					c.Recordings = config.Recordings{Fetch: config.FetchShared, SharedDir: mount}
				}
			})
			if err := os.Symlink(emu.RecordingsDir(), mount); err != nil {
				t.Fatal(err)
			}
			ch, err := emu.PlaceCaller(ariemu.Caller{Number: "79995550003", DID: "5552000", TalkTime: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			name := "call-demo-" + ch
			testkit.Eventually(t, "recording indexed", func() bool {
				r, err := d.store.Recording(context.Background(), name)
				return err == nil && r.Size > 44
			})
			// Asterisk's copy is deleted once the index has the recording, so just after.
			testkit.Eventually(t, "asterisk's copy deleted", func() bool {
				_, err := os.Stat(filepath.Join(mount, name+".wav"))
				return os.IsNotExist(err)
			})
			if n := fetches.Load(); (mode == config.FetchShared) != (n == 0) {
				t.Fatalf("%d fetches over ARI with fetch %s", n, mode)
			}
		})
	}
}

// check-config reports bad recording keys with their lines.
func TestCheckConfigRecordingKeys(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("recordings:\n  fetch: shared\nqueues:\n  - name: q\n    recording: {policy: always, retention: 0d, notice: \"sound:beep\"}\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"check-config", "-c", bad}, &out, &errb); code != 1 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, want := range []string{
		bad + ":2: recordings.fetch: fetch shared needs shared_dir",
		bad + ":5: queues[0].recording.retention: must be positive",
		bad + `:5: queues[0].recording.notice: "sound:beep" is not a sound name`,
	} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("errors lack %q:\n%s", want, errb.String())
		}
	}
}
