package asterisk_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
	"switchboard/recording"
)

// memIndex is an in-memory recording index; fail makes it refuse writes.
type memIndex struct {
	mu   sync.Mutex
	rows map[string]router.Recorded
	fail bool
}

func (m *memIndex) index(rec router.Recorded) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("index down")
	}
	m.rows[rec.Name] = rec
	return nil
}

func (m *memIndex) get(name string) (router.Recorded, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[name]
	return r, ok
}

// startRecordingRouter starts the router with a recording store folder and an index.
func startRecordingRouter(g *rig, cfg router.Config, dir string, idx *memIndex) (*router.Router, *playSpy) {
	return startRecordingRouterShared(g, cfg, dir, "", idx)
}

func startRecordingRouterShared(g *rig, cfg router.Config, dir, shared string, idx *memIndex) (*router.Router, *playSpy) {
	g.t.Helper()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	rest := &playSpy{REST: asterisk.NewREST(asterisk.RESTOptions{URL: g.url, App: cfg.App, Username: "sb", Password: "secret"})}
	r, err := router.New(cfg, rest, router.Options{Logger: logger, Probes: router.Probes{Registerer: prometheus.NewRegistry()},
		Recordings: router.RecordingOptions{Dir: dir, Shared: shared, Index: idx.index}})
	if err != nil {
		g.t.Fatal(err)
	}
	ev := asterisk.NewEvents(asterisk.EventsOptions{Types: router.EventTypes(), URL: g.url, App: cfg.App, Username: "sb",
		Password: "secret", Logger: logger, Registerer: prometheus.NewRegistry(), MinBackoff: 20 * time.Millisecond}, r)
	ctx, cancel := context.WithCancel(context.Background())
	g.r, g.cancel = r, cancel
	g.wg.Add(2)
	go func() { defer g.wg.Done(); _ = r.Run(ctx) }()
	go func() { defer g.wg.Done(); _ = ev.Run(ctx) }()
	g.t.Cleanup(func() { g.stop(); r.WaitRecordings() })
	g.eventually("router connected", func() bool { return r.Reconciliations() > 0 })
	return r, rest
}

// playSpy notes the router's playbacks and counts its fetches over ARI.
type playSpy struct {
	*asterisk.REST
	mu      sync.Mutex
	plays   []string // channel media
	fetches int
}

func (p *playSpy) FetchRecording(ctx context.Context, name string) (io.ReadCloser, error) {
	p.mu.Lock()
	p.fetches++
	p.mu.Unlock()
	return p.REST.FetchRecording(ctx, name)
}

func (p *playSpy) Play(ctx context.Context, ch, id string, media []string) error {
	p.mu.Lock()
	p.plays = append(p.plays, ch+" "+strings.Join(media, ","))
	p.mu.Unlock()
	return p.REST.Play(ctx, ch, id, media)
}

func (p *playSpy) played(entry string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.plays, entry)
}

func recordingConfig() router.Config {
	cfg := testConfig()
	cfg.Settings = map[string]router.QueueSettings{"line1": {RecordShare: 1, RecordingNotice: "beep"}}
	return cfg
}

// A call in a recording queue is recorded on Asterisk; when it ends the router fetches the
// file into the store folder, hashes it, reads its length from the WAV header, hands it to
// the index with the call's queue, agent and number, and then deletes Asterisk's copy.
func TestRecordingFetchedAndIndexed(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	dir := t.TempDir()
	idx := &memIndex{rows: map[string]router.Recorded{}}
	_, spy := startRecordingRouter(g, recordingConfig(), dir, idx)
	ch := g.place(ariemu.Caller{Number: "79990002222", TalkTime: 1200 * time.Millisecond})
	g.ended(ch)
	if !spy.played(ch + " sound:beep") {
		t.Fatalf("no recording notice to the caller: %v", spy.plays)
	}
	name := "call-" + callID(ch)
	var rec router.Recorded
	g.eventually("recording indexed", func() bool { var ok bool; rec, ok = idx.get(name); return ok })
	if rec.CallID != callID(ch) || rec.Queue != "line1" || rec.Agent != "a1" || rec.Number != "79990002222" || rec.Format != "wav" {
		t.Fatalf("indexed %+v", rec)
	}
	if rec.Duration < time.Second || rec.Duration > 2*time.Second || rec.Started.IsZero() {
		t.Fatalf("duration %v started %v", rec.Duration, rec.Started)
	}
	data, err := os.ReadFile(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != rec.Size || hex.EncodeToString(sum[:]) != rec.SHA256 {
		t.Fatalf("file %d bytes, index %d bytes / %s", len(data), rec.Size, rec.SHA256)
	}
	if st, err := os.Stat(rec.Path); err != nil || st.Size() < 44 {
		t.Fatalf("stored file: %v", err)
	}
	if w, err := recording.ReadWAV(mustOpen(t, rec.Path), rec.Size); err != nil || w.SampleRate != 8000 {
		t.Fatalf("stored wav: %+v %v", w, err)
	}
	g.eventually("asterisk's copy deleted", func() bool { return storedStatus(t, g.url, name) == http.StatusNotFound })
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("store folder holds %d entries (temporary files left?)", len(entries))
	}
}

// When the index cannot be written, the stored recording stays on Asterisk until a later
// CollectStored.
func TestRecordingKeptOnAsteriskWhenIndexFails(t *testing.T) {
	g := newRig(t)
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	idx := &memIndex{rows: map[string]router.Recorded{}, fail: true}
	r, _ := startRecordingRouter(g, recordingConfig(), t.TempDir(), idx)
	ch := g.place(ariemu.Caller{TalkTime: 300 * time.Millisecond})
	g.ended(ch)
	name := "call-" + callID(ch)
	g.eventually("recording finished on asterisk", func() bool { return storedStatus(t, g.url, name) == http.StatusOK })
	time.Sleep(300 * time.Millisecond)
	r.WaitRecordings()
	if code := storedStatus(t, g.url, name); code != http.StatusOK {
		t.Fatalf("stored recording after a failed index write: %d", code)
	}
	// Once the index is back, the leftover is collected.
	idx.mu.Lock()
	idx.fail = false
	idx.mu.Unlock()
	n, err := r.CollectStored(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("collected %d: %v", n, err)
	}
	if rec, ok := idx.get(name); !ok || rec.CallID != callID(ch) || rec.Size == 0 {
		t.Fatalf("leftover indexed as %+v", rec)
	}
	if code := storedStatus(t, g.url, name); code != http.StatusNotFound {
		t.Fatalf("stored recording after collection: %d", code)
	}
}

// With Asterisk's recording folder mounted, the router reads the file from it, not over ARI.
func TestRecordingFromSharedFolder(t *testing.T) {
	shared := t.TempDir()
	emu, err := ariemu.New(ariemu.Options{Username: "sb", Password: "secret", RecordingsDir: shared})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(func() { emu.Close(); ts.Close() })
	g := &rig{t: t, emu: emu, url: ts.URL + "/ari"}
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	idx := &memIndex{rows: map[string]router.Recorded{}}
	_, spy := startRecordingRouterShared(g, recordingConfig(), t.TempDir(), shared, idx)
	ch := g.place(ariemu.Caller{TalkTime: 500 * time.Millisecond})
	g.ended(ch)
	name := "call-" + callID(ch)
	g.eventually("recording indexed", func() bool { rec, ok := idx.get(name); return ok && rec.Size > 44 })
	g.eventually("asterisk's copy deleted", func() bool {
		_, err := os.Stat(filepath.Join(shared, name+".wav"))
		return os.IsNotExist(err)
	})
	spy.mu.Lock()
	defer spy.mu.Unlock()
	if spy.fetches != 0 {
		t.Fatalf("%d fetches over ARI with a shared folder", spy.fetches)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func storedStatus(t *testing.T, base, name string) int {
	req, _ := http.NewRequest("GET", base+"/recordings/stored/"+name, nil)
	req.SetBasicAuth("sb", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// liveState reads a live recording's state from ARI ("" when there is none).
func liveState(t *testing.T, url, name string) string {
	req, _ := http.NewRequest("GET", url+"/recordings/live/"+name, nil)
	req.SetBasicAuth("sb", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l struct{ State string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&l) != nil {
		return ""
	}
	return l.State
}
