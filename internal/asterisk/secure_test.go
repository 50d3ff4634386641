package asterisk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/ariemu"
	"switchboard/internal/asterisk"
	"switchboard/internal/router"
)

// syncBuffer is a log sink the router's goroutines may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

// inBridge reports whether channel ch is in the call's bridge.
func inBridge(t *testing.T, url, ch string) bool {
	req, _ := http.NewRequest("GET", url+"/bridges/sb-call-"+ch, nil)
	req.SetBasicAuth("sb", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct{ Channels []string }
	_ = json.NewDecoder(resp.Body).Decode(&b)
	return slices.Contains(b.Channels, ch)
}

// recordedCall starts a router that records line1 into an index, with its log captured at
// debug level, and connects one caller to a1; it returns the caller's channel.
func recordedCall(t *testing.T, g *rig, log *syncBuffer) (string, *memIndex) {
	t.Helper()
	idx := &memIndex{rows: map[string]router.Recorded{}}
	dir := t.TempDir()
	g.logTo = log
	g.options = func(o *router.Options) { o.RecordingsDir, o.Recorded = dir, idx.index }
	g.emu.SetPhone("PJSIP/1001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	cfg := recordingConfig()
	cfg.SecureTimeout = 2 * time.Second
	g.start(cfg)
	t.Cleanup(g.r.WaitRecordings)
	ch := g.place(ariemu.Caller{Number: "79990003333"})
	g.eventually("recording", func() bool { return liveState(t, g.url, "call-"+callID(ch)) == "recording" })
	return ch, idx
}

// The agent pauses and resumes the recording; the file leaves the paused time out.
func TestRecordingPauseResume(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	ch, idx := recordedCall(t, g, &syncBuffer{})
	id, name, ctx := callID(ch), "call-"+callID(ch), context.Background()
	if err := g.r.PauseRecording(ctx, "a2", id); acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("another agent paused the call: %v", err)
	}
	if err := g.r.PauseRecording(ctx, "a1", "ast1-nope"); acd.ErrorCode(err) != acd.ENotFound {
		t.Fatalf("pause of no call: %v", err)
	}
	if err := g.r.PauseRecording(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if s := liveState(t, g.url, name); s != "paused" {
		t.Fatalf("recording %s after pause", s)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := g.r.ResumeRecording(ctx, "a1", id); err != nil {
		t.Fatal(err)
	}
	if s := liveState(t, g.url, name); s != "recording" {
		t.Fatalf("recording %s after resume", s)
	}
	time.Sleep(300 * time.Millisecond)
	if err := g.emu.Hangup(ch); err != nil {
		t.Fatal(err)
	}
	call := g.ended(ch)
	var rec router.Recorded
	g.eventually("recording indexed", func() bool { var ok bool; rec, ok = idx.get(name); return ok })
	talked := call.Ended.Sub(call.Bridged)
	if rec.Duration <= 0 || rec.Duration > talked-1400*time.Millisecond {
		t.Fatalf("recorded %v of a %v call paused for 1.5 s", rec.Duration, talked)
	}
}

// A secure entry pauses the recording first, takes the caller's digits, keeps them masked in
// the call's data, resumes the recording, and never writes the digits to a log.
func TestSecureCollect(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	log := &syncBuffer{}
	ch, idx := recordedCall(t, g, log)
	id, name := callID(ch), "call-"+callID(ch)
	type result struct {
		masked string
		err    error
	}
	got := make(chan result, 1)
	started := time.Now()
	go func() {
		m, err := g.r.SecureCollect(context.Background(), "a1", id, "card", 12, 19)
		got <- result{m, err}
	}()
	g.eventually("recording paused", func() bool { return liveState(t, g.url, name) == "paused" })
	// The caller leaves the bridge for the entry: the agent does not hear the tones.
	g.eventually("caller out of the bridge", func() bool { return !inBridge(t, g.url, ch) })
	time.Sleep(100 * time.Millisecond) // the router opens the entry once the caller is out
	const card = "4111111111111111"
	for _, d := range card + "#" {
		if err := g.emu.PressDigit(ch, string(d)); err != nil {
			t.Fatal(err)
		}
	}
	res := <-got
	paused := time.Since(started)
	if res.err != nil || res.masked != "************1111" {
		t.Fatalf("secure entry: %+v", res)
	}
	if v, _ := g.call(id); v.Data["card"] != "************1111" {
		t.Fatalf("call data: %v", v.Data)
	}
	// A name the call already carries from elsewhere (the CRM's customer id) is refused: the
	// masked digits must not overwrite it. The entry's own name may be taken again.
	if err := g.r.Do(context.Background(), func(e *acd.Engine) error {
		return e.UpdateCall(id, acd.CallUpdate{Data: map[string]string{"customer": "17"}})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.r.SecureCollect(context.Background(), "a1", id, "customer", 3, 4); acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("an entry over the call's customer id: %v", err)
	}
	if v, _ := g.call(id); v.Data["customer"] != "17" || liveState(t, g.url, name) != "recording" {
		t.Fatalf("after the refused entry: data %v, recording %s", v.Data, liveState(t, g.url, name))
	}
	g.eventually("recording resumed", func() bool { return liveState(t, g.url, name) == "recording" })
	if !inBridge(t, g.url, ch) {
		t.Fatal("the caller is not back with the agent")
	}
	// A second entry that the caller leaves short is refused, and the recording resumes again.
	go func() {
		m, err := g.r.SecureCollect(context.Background(), "a1", id, "cvv", 3, 4)
		got <- result{m, err}
	}()
	g.eventually("recording paused again", func() bool { return liveState(t, g.url, name) == "paused" })
	time.Sleep(100 * time.Millisecond)
	_ = g.emu.PressDigit(ch, "7")
	_ = g.emu.PressDigit(ch, "#")
	if res := <-got; acd.ErrorCode(res.err) != acd.EInvalid {
		t.Fatalf("short entry: %+v", res)
	}
	g.eventually("recording resumed", func() bool { return liveState(t, g.url, name) == "recording" })
	if err := g.emu.Hangup(ch); err != nil {
		t.Fatal(err)
	}
	call := g.ended(ch)
	var rec router.Recorded
	g.eventually("recording indexed", func() bool { var ok bool; rec, ok = idx.get(name); return ok })
	if talked := call.Ended.Sub(call.Bridged); rec.Duration > talked-paused+100*time.Millisecond {
		t.Fatalf("recorded %v of a %v call with %v of secure entry", rec.Duration, talked, paused)
	}
	logs := log.String()
	if !strings.Contains(logs, "secure entry started") {
		t.Fatalf("log not captured:\n%s", logs)
	}
	for _, secret := range []string{card, "41111111", "1111111111"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the digits reached the log:\n%s", logs)
		}
	}
}

// failPause is Asterisk refusing to pause recordings.
type failPause struct{ *asterisk.REST }

func (failPause) PauseRecording(string) error { return errors.New("ari: 500 Internal Server Error") }

// When the recording cannot be paused, nothing is collected: the caller's digits go nowhere.
func TestSecureCollectFailsClosed(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	g.wrap = func(r *asterisk.REST) router.Telephony { return failPause{r} }
	ch, _ := recordedCall(t, g, &syncBuffer{})
	id := callID(ch)
	_, err := g.r.SecureCollect(context.Background(), "a1", id, "card", 12, 19)
	if !errors.Is(err, router.ErrRecordingNotPaused) {
		t.Fatalf("secure entry with a recording that cannot pause: %v", err)
	}
	for _, d := range "4111111111111111#" {
		_ = g.emu.PressDigit(ch, string(d))
	}
	time.Sleep(200 * time.Millisecond)
	if v, _ := g.call(id); v.Data["card"] != "" {
		t.Fatalf("digits collected: %v", v.Data)
	}
	if s := liveState(t, g.url, "call-"+id); s != "recording" {
		t.Fatalf("recording %s", s)
	}
	if _, err := g.r.SecureCollect(context.Background(), "a1", id, "Card!", 1, 2); acd.ErrorCode(err) != acd.EInvalid {
		t.Fatalf("bad name: %v", err)
	}
	_ = g.emu.Hangup(ch)
	g.ended(ch)
}

// Pausing a call that is not recorded (line2 records nothing) is a conflict: Asterisk, asked,
// knows no such recording.
func TestPauseWithoutRecording(t *testing.T) {
	t.Parallel()
	g := newRig(t)
	g.emu.SetPhone("PJSIP/2001", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	g.start(recordingConfig())
	ch := g.place(ariemu.Caller{DID: "5552000", Number: "79990004444"})
	id := callID(ch)
	g.eventually("connected", func() bool { v, ok := g.call(id); return ok && v.State == "connected" })
	err := g.r.PauseRecording(context.Background(), "b1", id)
	if acd.ErrorCode(err) != acd.EConflict || !strings.Contains(err.Error(), "not being recorded") {
		t.Fatalf("pause of an unrecorded call: %v", err)
	}
}
