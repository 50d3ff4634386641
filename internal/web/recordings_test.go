package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/recording"
)

// memRecordings is an in-memory recording index; the PostgreSQL one is tested in
// internal/store and through the daemon.
type memRecordings struct {
	mu    sync.Mutex
	rows  []recording.Recording
	audit []account.AuditEntry
	fail  bool // Audit fails
}

func (m *memRecordings) SearchRecordings(_ context.Context, f recording.Query, limit int, _ string) ([]recording.Recording, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []recording.Recording
	for _, r := range m.rows {
		if (f.Queues != nil && !slices.Contains(f.Queues, r.Queue)) || (f.Queue != "" && f.Queue != r.Queue) ||
			(f.Agent != "" && f.Agent != r.Agent) || (f.Number != "" && f.Number != r.Number) ||
			(f.MinDuration > 0 && r.Duration < f.MinDuration) || (!f.From.IsZero() && r.Started.Before(f.From)) {
			continue
		}
		out = append(out, r)
	}
	return out, "", nil
}

func (m *memRecordings) Recording(_ context.Context, name string) (*recording.Recording, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rows {
		if r.Name == name {
			return &r, nil
		}
	}
	return nil, errNotFound
}

func (m *memRecordings) Audit(_ context.Context, e account.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return io.ErrClosedPipe
	}
	m.audit = append(m.audit, e)
	return nil
}

func (m *memRecordings) audits() []account.AuditEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.audit)
}

// newRecordingSite: alice (agent 1001) and bob (agent 1002), sue supervising billing, root.
// r1: billing, alice; r2: support, bob; r3: billing, bob, whose file is damaged; r4: its file
// is missing.
func newRecordingSite(t *testing.T) *recSite { return newRecordingSiteWith(t, nil) }

// newRecordingSiteWith is newRecordingSite with the options changed by edit first.
func newRecordingSiteWith(t *testing.T, edit func(*Options)) *recSite {
	users := testUsers("sue", "root", "alice", "bob")
	dir := t.TempDir()
	recs := &memRecordings{}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i, r := range []struct{ name, queue, agent string }{
		{"r1", "billing", "1001"}, {"r2", "support", "1002"}, {"r3", "billing", "1002"}, {"r4", "billing", "1001"},
	} {
		data := bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
		path := filepath.Join(dir, r.name+".wav")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		recs.rows = append(recs.rows, recording.Recording{Name: r.name, CallID: "ast1-" + r.name, Queue: r.queue, Agent: r.agent,
			Number: "7999000000" + string(rune('1'+i)), Started: t0.Add(time.Duration(i) * time.Minute), Duration: time.Duration(i+1) * time.Minute,
			Size: int64(len(data)), Format: "wav", SHA256: hex.EncodeToString(sum[:]), Path: path})
	}
	// r3: same size, one byte changed; r4: gone.
	b, _ := os.ReadFile(recs.rows[2].Path)
	b[10] = 'z'
	os.WriteFile(recs.rows[2].Path, b, 0o600)
	os.Remove(recs.rows[3].Path)
	logs := &bytes.Buffer{}
	opt := Options{Users: users, Live: func() Live { return Live{} }, Recordings: recs,
		RecordCall: func(_ context.Context, agent, call string) error {
			switch {
			case call == "c1" && agent == "1001":
				return nil
			case call == "c1":
				return &acd.Error{Code: acd.EConflict, Message: "not yours"}
			case call == "c2":
				return &acd.Error{Code: acd.EInvalid, Message: "never records"}
			case call == "c3":
				return io.ErrUnexpectedEOF
			}
			return &acd.Error{Code: acd.ENotFound, Message: "no call"}
		},
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: logs}, nil))}
	if edit != nil {
		edit(&opt)
	}
	ts := httptest.NewServer(Handler(opt))
	t.Cleanup(ts.Close)
	return &recSite{site: &site{t: t, ts: ts, logs: logs}, recs: recs, users: users, dir: dir}
}

func (s *recSite) search(c *http.Client, query string) (int, []string) {
	code, body := s.get(c, "/api/recordings"+query)
	if code != 200 {
		return code, nil
	}
	var got struct {
		Recordings []struct{ Name, URL string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		s.t.Fatal(err)
	}
	var names []string
	for _, r := range got.Recordings {
		names = append(names, r.Name)
		if r.URL != "/recordings/"+r.Name || strings.Contains(body, s.dir) {
			s.t.Fatalf("row %+v (the server path must not leak)", r)
		}
	}
	return code, names
}

func TestRecordingSearchScope(t *testing.T) {
	s := newRecordingSite(t)
	tests := []struct {
		user, query string
		code        int
		want        []string
	}{
		{"root", "", 200, []string{"r1", "r2", "r3", "r4"}},
		{"root", "?queue=support", 200, []string{"r2"}},
		{"root", "?number=79990000001", 200, []string{"r1"}},
		{"root", "?min_duration=150", 200, []string{"r3", "r4"}},
		{"root", "?min_duration=2m30s&from=2026-11-23T09:02:30Z", 200, []string{"r4"}},
		{"sue", "", 200, []string{"r1", "r3", "r4"}},
		{"sue", "?queue=support", 200, nil},
		{"alice", "", 200, []string{"r1", "r4"}},
		{"alice", "?agent=1001", 200, []string{"r1", "r4"}},
		{"alice", "?agent=1002", 403, nil},
		{"bob", "", 200, []string{"r2", "r3"}},
		{"root", "?from=yesterday", 400, nil},
		{"root", "?min_duration=-5", 400, nil},
		{"root", "?limit=0", 400, nil},
	}
	as := s.signedIn()
	for _, tt := range tests {
		c := as(tt.user)
		code, got := s.search(c, tt.query)
		if code != tt.code || !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: %d %v, want %d %v", tt.user, tt.query, code, got, tt.code, tt.want)
		}
	}
	if code, _ := s.get(s.client(), "/api/recordings"); code != http.StatusUnauthorized {
		t.Fatalf("without a session: %d", code)
	}
}

func (s *recSite) fetch(c *http.Client, path, rangeHdr string) (*http.Response, []byte) {
	req, _ := http.NewRequest("GET", s.ts.URL+path, nil)
	if rangeHdr != "" {
		req.Header.Set("Range", rangeHdr)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestRecordingPlayback(t *testing.T) {
	s := newRecordingSite(t)
	alice, bob, sue := s.as("alice"), s.as("bob"), s.as("sue")
	want, _ := os.ReadFile(s.recs.rows[0].Path)

	resp, body := s.fetch(alice, "/recordings/r1", "bytes=100-199")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, want[100:200]) ||
		resp.Header.Get("Content-Range") != "bytes 100-199/1000" || resp.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("range: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Range"), resp.Header.Get("Content-Type"))
	}
	resp, body = s.fetch(sue, "/recordings/r1?download=1", "")
	if resp.StatusCode != 200 || !bytes.Equal(body, want) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	// Someone else's call, another supervisor's queue, a name that is not there.
	for _, c := range []struct {
		who  *http.Client
		path string
		code int
	}{
		{bob, "/recordings/r1", http.StatusForbidden},
		{alice, "/recordings/r2", http.StatusForbidden},
		{sue, "/recordings/r2", http.StatusForbidden},
		{alice, "/recordings/nope", http.StatusNotFound},
		{alice, "/recordings/..%2Fetc", http.StatusNotFound},
		{bob, "/recordings/r3", http.StatusConflict}, // damaged: same size, other checksum
		{alice, "/recordings/r4", http.StatusGone},   // file missing
		{s.client(), "/recordings/r1", http.StatusUnauthorized},
	} {
		resp, body := s.fetch(c.who, c.path, "")
		if resp.StatusCode != c.code {
			t.Errorf("%s: %d, want %d", c.path, resp.StatusCode, c.code)
		}
		if c.code >= 400 && bytes.Contains(body, []byte("aaaa")) {
			t.Errorf("%s: refused but sent recording bytes", c.path)
		}
	}
	// Only what was served is audited: one play (alice's range), one download (sue).
	got := s.recs.audits()
	if len(got) != 2 || got[0].Actor != "alice" || got[0].Action != "play" || got[0].Object != "recording:r1" ||
		got[0].Detail != "range bytes=100-199" || got[1].Actor != "sue" || got[1].Action != "download" {
		t.Fatalf("audit %+v", got)
	}
	logs := s.logs.String()
	for _, want := range []string{"recording file damaged", "recording file missing", "recording access refused"} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %q in the log", want)
		}
	}
	// A file changed after it was verified once is caught (the checksum cache follows size and time).
	b := bytes.Repeat([]byte{'q'}, 1000)
	os.WriteFile(s.recs.rows[0].Path, b, 0o600)
	os.Chtimes(s.recs.rows[0].Path, time.Now(), time.Now().Add(time.Minute))
	if resp, _ := s.fetch(alice, "/recordings/r1", ""); resp.StatusCode != http.StatusConflict {
		t.Fatalf("altered after verification: %d", resp.StatusCode)
	}
}

func TestRecordingNotServedWithoutAudit(t *testing.T) {
	s := newRecordingSite(t)
	s.recs.fail = true
	resp, body := s.fetch(s.as("alice"), "/recordings/r1", "")
	if resp.StatusCode != http.StatusServiceUnavailable || bytes.Contains(body, []byte("aaaa")) {
		t.Fatalf("audit down: %d", resp.StatusCode)
	}
}

func TestRecordOnDemandRoute(t *testing.T) {
	s := newRecordingSite(t)
	alice, bob, sue := s.as("alice"), s.as("bob"), s.as("sue")
	post := func(c *http.Client, call, token string) int {
		code, _ := s.send(c, "POST", "/api/calls/"+call+"/record", token, "")
		return code
	}
	tests := []struct {
		c          *http.Client
		user, call string
		code       int
	}{
		{alice, "alice", "c1", http.StatusNoContent},
		{bob, "bob", "c1", http.StatusConflict},
		{alice, "alice", "c2", http.StatusForbidden},
		{alice, "alice", "c3", http.StatusBadGateway},
		{alice, "alice", "c9", http.StatusNotFound},
		{sue, "sue", "c1", http.StatusForbidden}, // agents only
	}
	for _, tt := range tests {
		if got := post(tt.c, tt.call, s.csrf(tt.user)); got != tt.code {
			t.Errorf("%s %s: %d, want %d", tt.user, tt.call, got, tt.code)
		}
	}
	if got := post(alice, "c1", "forged"); got != http.StatusForbidden {
		t.Fatalf("forged csrf: %d", got)
	}
}

func TestRecordingsPage(t *testing.T) {
	s := newRecordingSite(t)
	if code, _ := s.get(s.client(), "/recordings"); code != http.StatusSeeOther {
		t.Fatalf("without a session: %d", code)
	}
	code, page := s.get(s.as("alice"), "/recordings?from=2026-11-23T08:00")
	if code != 200 || !strings.Contains(page, `src="/recordings/r1"`) || !strings.Contains(page, `src="/recordings/r4"`) ||
		strings.Contains(page, "/recordings/r2") || strings.Contains(page, `name="agent"`) {
		t.Fatalf("alice's page: %d\n%s", code, page)
	}
	if code, page := s.get(s.as("root"), "/recordings?queue=support"); code != 200 || !strings.Contains(page, `src="/recordings/r2"`) || strings.Contains(page, "/recordings/r1\"") {
		t.Fatalf("root's page: %d\n%s", code, page)
	}
	if code, _ := s.get(s.as("sue"), "/recordings?from=never"); code != http.StatusBadRequest {
		t.Fatalf("bad from: %d", code)
	}
	// With the desktop's agents, the page names them beside their ids.
	named := newRecordingSiteWith(t, func(o *Options) { o.Desktop = newMemDesktop() })
	if code, page := named.get(named.as("root"), "/recordings?agent=1001"); code != 200 || !strings.Contains(page, `<td>Alice <span class="id">(1001)</span></td>`) {
		t.Fatalf("named agents: %d\n%s", code, page)
	}
}
