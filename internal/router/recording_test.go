package router

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"switchboard/acd"
)

// recTel serves stored recordings from memory; the first failures fetches fail.
type recTel struct {
	nopTelephony
	mu       sync.Mutex
	files    map[string][]byte
	failures int
	fetches  int
	deleted  []string
}

func (t *recTel) FetchRecording(ctx context.Context, name string) (io.ReadCloser, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fetches++
	if t.failures > 0 {
		t.failures--
		return nil, errors.New("connection reset")
	}
	b, ok := t.files[name]
	if !ok {
		return nil, ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (t *recTel) StoredRecordings(ctx context.Context) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var names []string
	for n := range t.files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func (t *recTel) DeleteRecording(ctx context.Context, name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.deleted = append(t.deleted, name)
	return nil
}

func testWAV(secs int) []byte {
	var b bytes.Buffer
	n := uint32(secs * 16000)
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, 36+n)
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, n)
	b.Write(make([]byte, n))
	return b.Bytes()
}

func event(t *testing.T, js string) Event {
	t.Helper()
	ev, err := decodeJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestCollectRecording(t *testing.T) {
	wav := testWAV(3)
	sum := sha256.Sum256(wav)
	tests := []struct {
		name      string
		file      []byte
		failures  int
		hookErr   error
		started   bool
		indexed   bool
		deleted   bool
		duration  time.Duration
		recording string
	}{
		{name: "fetched and indexed", file: wav, started: true, indexed: true, deleted: true, duration: 3 * time.Second},
		{name: "started missed", file: wav, indexed: true, deleted: true, duration: 3 * time.Second},
		{name: "two transient failures", file: wav, failures: 2, started: true, indexed: true, deleted: true, duration: 3 * time.Second},
		{name: "fetch keeps failing", file: wav, failures: 10, started: true},
		{name: "not a wav: indexed with asterisk's duration", file: []byte("garbage"), started: true, indexed: true, deleted: true, duration: 5 * time.Second},
		{name: "index fails: kept on asterisk", file: wav, started: true, hookErr: errors.New("db down")},
		{name: "not ours", file: wav, started: true, recording: "voicemail-1"},
		{name: "gone from asterisk", started: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := tt.recording
			if name == "" {
				name = "call-n1-1.1"
			}
			tel := &recTel{files: map[string][]byte{}, failures: tt.failures}
			if tt.file != nil {
				tel.files[name] = tt.file
			}
			dir := t.TempDir()
			var got []Recorded
			r, err := New(Config{Node: "n1", App: "switchboard", LoginAgents: true,
				Queues: []acd.QueueConfig{{Name: "q"}},
				Agents: []acd.AgentConfig{{ID: "a", Endpoint: "PJSIP/a", Queues: []acd.Membership{{Queue: "q"}}}},
				DIDs:   map[string]Route{"5551000": {Queue: "q"}},
			}, tel, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: &acd.ManualClock{T: time.Unix(1795405336, 0)},
				Recordings: RecordingOptions{Dir: dir, Index: func(rec Recorded) error {
					if tt.hookErr == nil {
						got = append(got, rec)
					}
					return tt.hookErr
				}}})
			if err != nil {
				t.Fatal(err)
			}
			r.u.rec.recs.backoff = time.Millisecond
			r.Connected(1) // offers start once reconciled
			for _, f := range r.loop.inbox.Drain() {
				f()
			}
			r.onARI(event(t, `{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"1.1","caller":{"number":"7999"}}}`))
			r.flush()
			r.onARI(event(t, `{"type":"StasisStart","args":["agent","n1-1.1"],"channel":{"id":"1.1-a1"}}`))
			r.flush()
			// The answer counts once the caller's worker has bridged the two.
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
				for _, f := range r.loop.inbox.Drain() {
					f()
					r.flush()
				}
				if v, _ := r.eng.Call("n1-1.1"); v.State == "connected" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("caller and agent never bridged")
				}
			}
			if tt.started {
				r.onARI(event(t, `{"type":"RecordingStarted","recording":{"name":"`+name+`","format":"wav","state":"recording","target_uri":"bridge:sb-call-1.1"}}`))
			}
			r.onARI(event(t, `{"type":"RecordingFinished","recording":{"name":"`+name+`","format":"wav","state":"done","duration":5,"target_uri":"bridge:sb-call-1.1"}}`))
			r.WaitRecordings()
			if (len(got) == 1) != tt.indexed {
				t.Fatalf("indexed %v, want %v", got, tt.indexed)
			}
			if (len(tel.deleted) == 1) != tt.deleted {
				t.Fatalf("deleted on asterisk %v, want %v", tel.deleted, tt.deleted)
			}
			want := map[string]float64{resultStored: 0, resultFetchFailed: 0, resultIndexFailed: 0}
			switch {
			case tt.indexed:
				want[resultStored] = 1
			case tt.hookErr != nil:
				want[resultIndexFailed] = 1
			case tt.recording == "":
				want[resultFetchFailed] = 1
			}
			for result, n := range want {
				var m dto.Metric
				r.u.rec.recs.m.results.WithLabelValues(result).Write(&m)
				if got := m.GetCounter().GetValue(); got != n {
					t.Errorf("switchboard_recordings_total{result=%q} = %v, want %v", result, got, n)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != name+".wav" {
					t.Fatalf("left in the store folder: %s", e.Name())
				}
			}
			if !tt.indexed {
				return
			}
			rec := got[0]
			data, _ := os.ReadFile(rec.Path)
			fsum := sha256.Sum256(data)
			if rec.Name != name || rec.CallID != "n1-1.1" || rec.Queue != "q" || rec.Agent != "a" || rec.Number != "7999" ||
				rec.Duration != tt.duration || rec.Size != int64(len(tt.file)) || rec.SHA256 != hex.EncodeToString(fsum[:]) || rec.Started.IsZero() {
				t.Fatalf("recorded %+v", rec)
			}
			if bytes.Equal(tt.file, wav) && rec.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatal("checksum of another file")
			}
		})
	}
}

// Leftovers on Asterisk are collected, except the recordings of calls still held.
func TestCollectStored(t *testing.T) {
	wav := testWAV(2)
	tel := &recTel{files: map[string][]byte{"call-n1-9.9": wav, "call-n1-1.1": wav, "voicemail-7": wav}}
	var got []Recorded
	r, err := New(Config{Node: "n1", App: "switchboard", Queues: []acd.QueueConfig{{Name: "q"}},
		DIDs: map[string]Route{"5551000": {Queue: "q"}}}, tel,
		Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: &acd.ManualClock{T: time.Unix(1795405336, 0)},
			Recordings: RecordingOptions{Dir: t.TempDir(), Index: func(rec Recorded) error { got = append(got, rec); return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	r.onARI(event(t, `{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"1.1","caller":{"number":"7999"}}}`))
	r.flush()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	n, err := r.CollectStored(ctx)
	if err != nil || n != 1 || len(got) != 1 {
		t.Fatalf("collected %d %v: %+v", n, err, got)
	}
	if rec := got[0]; rec.Name != "call-n1-9.9" || rec.CallID != "n1-9.9" || rec.Duration != 2*time.Second || !rec.Started.IsZero() || rec.Queue != "" {
		t.Fatalf("leftover %+v", rec)
	}
	if !slices.Equal(tel.deleted, []string{"call-n1-9.9"}) {
		t.Fatalf("deleted %v", tel.deleted)
	}
}

// A call's first recording is named after the call; any later one, or one of a call that
// may have been recorded before a restart, after the call and the time it starts; a name is
// never given twice, and every name leads back to its call.
func TestRecordingNames(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 123456789, time.UTC)
	c := &call{id: "n1-1796653776.0"}
	r := &recordingUnit{recs: newRecorder(Options{}, nil)}
	var got []string
	for range 3 {
		got = append(got, r.newRecording(c, at))
	}
	adopted := &call{id: "n1-sb-cb-7-1", rec: callRecs{recorded: true}}
	got = append(got, r.newRecording(adopted, at))
	want := []string{"call-n1-1796653776.0", "call-n1-1796653776.0-r20261123T090000.123Z",
		"call-n1-1796653776.0-r20261123T090000.124Z", "call-n1-sb-cb-7-1-r20261123T090000.123Z"}
	if !slices.Equal(got, want) {
		t.Fatalf("names:\n got  %v\n want %v", got, want)
	}
	for i, name := range got {
		if id := recordingCall(name); id != []string{c.id, c.id, c.id, adopted.id}[i] || !isRecordingName(name) {
			t.Errorf("recordingCall(%q) = %q", name, id)
		}
	}
	if c.rec.recording != want[2] || c.recordingOf() != want[2] {
		t.Errorf("current recording %q", c.rec.recording)
	}
	if id := recordingCall("call-n1-1.2-r2026"); id != "n1-1.2-r2026" {
		t.Errorf("a name without a full time suffix: call %q", id)
	}
}
