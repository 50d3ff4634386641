package router_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/router"
	"switchboard/internal/router/routertest"
)

func recordingConfig() router.Config {
	cfg := testConfig()
	cfg.Settings = map[string]router.QueueSettings{"line1": {RecordShare: 1, RecordingNotice: "beep"}}
	cfg.IVR.SecureTimeout = 2 * time.Second
	return cfg
}

// recordedCall connects a caller of line1 to a1; the call is recorded and the caller hears
// the recording notice.
func recordedCall(t *testing.T, opt routertest.Options) (*routertest.Harness, string) {
	t.Helper()
	h := start(t, recordingConfig(), opt)
	c := h.Inbound("5551000", "+79990003333")
	h.TakeRequests()
	h.Answer("c1-a1")
	// A recorded call's SB_ANSWER names its recording: set on the caller at the answer.
	h.ExpectRequests(cat(bridged(c, "c1-a1"), []string{"POST /channels/c1/variable?variable=SB_ANSWER&value=a1|*|call-ast1-c1",
		"POST /bridges/sb-call-c1/record?name=call-ast1-c1",
		"POST /channels/c1/play/sb-recnotice-c1?media=sound:beep"})...)
	if live, paused := h.Recording("call-ast1-c1"); !live || paused {
		t.Fatalf("recording live %v paused %v", live, paused)
	}
	return h, c
}

// The agent pauses and resumes the recording of its own call; another agent, or a call that
// does not exist, is refused without a request.
func TestRecordingPauseResume(t *testing.T) {
	h, c := recordedCall(t, routertest.Options{})
	r, ctx := h.Router(), context.Background()
	if err := h.Await(func() error { return r.PauseRecording(ctx, "a2", "ast1-c1") }); acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("another agent paused the call: %v", err)
	}
	if err := h.Await(func() error { return r.PauseRecording(ctx, "a1", "ast1-nope") }); acd.ErrorCode(err) != acd.ENotFound {
		t.Fatalf("pause of no call: %v", err)
	}
	h.ExpectRequests()
	if err := h.Await(func() error { return r.PauseRecording(ctx, "a1", "ast1-c1") }); err != nil {
		t.Fatal(err)
	}
	h.ExpectRequests("POST /recordings/live/call-ast1-c1/pause")
	if _, paused := h.Recording("call-ast1-c1"); !paused {
		t.Fatal("recording not paused")
	}
	h.Advance(1500 * time.Millisecond)
	if err := h.Await(func() error { return r.ResumeRecording(ctx, "a1", "ast1-c1") }); err != nil {
		t.Fatal(err)
	}
	h.ExpectRequests("DELETE /recordings/live/call-ast1-c1/pause")
	if live, paused := h.Recording("call-ast1-c1"); !live || paused {
		t.Fatalf("after resume: live %v paused %v", live, paused)
	}
	h.Hangup(c)
	h.ExpectRequests("DELETE /channels/c1-a1?reason=normal", "DELETE /bridges/sb-call-c1")
	if live, _ := h.Recording("call-ast1-c1"); live {
		t.Fatal("recording still live after the call")
	}
}

// A secure entry pauses the recording first, takes the caller out of the call bridge (the
// agent hears no tones), plays the prompt, takes the digits, keeps them masked in the call's
// data, puts the caller back and resumes the recording; the digits never reach a log or
// Asterisk. A name the call already carries is refused; an entry left short is refused and
// the recording resumes all the same.
func TestSecureCollect(t *testing.T) {
	h, c := recordedCall(t, routertest.Options{})
	r, ctx := h.Router(), context.Background()
	type result struct {
		masked string
		err    error
	}
	got := make(chan result, 1)
	h.Go(func() {
		m, err := r.SecureCollect(ctx, "a1", "ast1-c1", "card", 12, 19)
		got <- result{m, err}
	})
	h.ExpectRequests("POST /recordings/live/call-ast1-c1/pause",
		"POST /bridges/sb-call-c1/removeChannel?channel=c1",
		"POST /channels/c1/play/sb-secure-c1-1?media=sound:beep")
	if _, paused := h.Recording("call-ast1-c1"); !paused {
		t.Fatal("recording not paused during the entry")
	}
	if ch, _ := h.Channel(c); ch.Bridge != "" {
		t.Fatalf("the caller is still in %s during the entry", ch.Bridge)
	}
	const card = "4111111111111111"
	h.Press(c, card+"#")
	h.ExpectRequests("DELETE /playbacks/sb-secure-c1-1",
		"POST /bridges/sb-call-c1/addChannel?channel=c1",
		"DELETE /recordings/live/call-ast1-c1/pause")
	if res := <-got; res.err != nil || res.masked != "************1111" {
		t.Fatalf("secure entry: %+v", res)
	}
	if v, _ := h.EngineCall("ast1-c1"); v.Data["card"] != "************1111" {
		t.Fatalf("call data: %v", v.Data)
	}
	if ch, _ := h.Channel(c); ch.Bridge != "sb-call-c1" {
		t.Fatal("the caller is not back with the agent")
	}
	if live, paused := h.Recording("call-ast1-c1"); !live || paused {
		t.Fatalf("after the entry: live %v paused %v", live, paused)
	}

	// The CRM's customer id on the call is not overwritten.
	if err := h.Do(func(e *acd.Engine) error {
		return e.UpdateCall("ast1-c1", acd.CallUpdate{Data: map[string]string{"customer": "17"}})
	}); err != nil {
		t.Fatal(err)
	}
	err := h.Await(func() error { _, err := r.SecureCollect(ctx, "a1", "ast1-c1", "customer", 3, 4); return err })
	if acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("an entry over the call's customer id: %v", err)
	}
	h.ExpectRequests()
	if v, _ := h.EngineCall("ast1-c1"); v.Data["customer"] != "17" {
		t.Fatalf("after the refused entry: %v", v.Data)
	}

	// An entry left short.
	h.Go(func() {
		m, err := r.SecureCollect(ctx, "a1", "ast1-c1", "cvv", 3, 4)
		got <- result{m, err}
	})
	h.ExpectRequests("POST /recordings/live/call-ast1-c1/pause",
		"POST /bridges/sb-call-c1/removeChannel?channel=c1",
		"POST /channels/c1/play/sb-secure-c1-2?media=sound:beep")
	h.Press(c, "7#")
	if res := <-got; acd.ErrorCode(res.err) != acd.EInvalid {
		t.Fatalf("short entry: %+v", res)
	}
	h.ExpectRequests("DELETE /playbacks/sb-secure-c1-2",
		"POST /bridges/sb-call-c1/addChannel?channel=c1",
		"DELETE /recordings/live/call-ast1-c1/pause")
	if live, paused := h.Recording("call-ast1-c1"); !live || paused {
		t.Fatalf("after the short entry: live %v paused %v", live, paused)
	}

	// Silence: the entry ends after the secure timeout (2 s) with nothing.
	h.Go(func() {
		m, err := r.SecureCollect(ctx, "a1", "ast1-c1", "cvv", 3, 4)
		got <- result{m, err}
	})
	h.TakeRequests()
	h.Advance(2 * time.Second)
	if res := <-got; acd.ErrorCode(res.err) != acd.EInvalid {
		t.Fatalf("silent entry: %+v", res)
	}
	h.ExpectRequests("DELETE /playbacks/sb-secure-c1-3",
		"POST /bridges/sb-call-c1/addChannel?channel=c1",
		"DELETE /recordings/live/call-ast1-c1/pause")

	logs := h.Log()
	if !strings.Contains(logs, "secure entry started") {
		t.Fatalf("log not captured:\n%s", logs)
	}
	for _, secret := range []string{card, "41111111", "1111111111"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("the digits reached the log:\n%s", logs)
		}
		for _, req := range h.Requests() {
			if strings.Contains(req.Op, secret) {
				t.Fatalf("the digits reached Asterisk: %s", req.Op)
			}
		}
	}
}

// When the recording cannot be paused, nothing is collected: the caller stays in the bridge
// and the digits go nowhere.
func TestSecureCollectFailsClosed(t *testing.T) {
	h, c := recordedCall(t, routertest.Options{})
	h.Fail("POST /recordings/live/*/pause", errors.New("ari: 500 Internal Server Error"))
	r, ctx := h.Router(), context.Background()
	err := h.Await(func() error { _, err := r.SecureCollect(ctx, "a1", "ast1-c1", "card", 12, 19); return err })
	if !errors.Is(err, router.ErrRecordingNotPaused) {
		t.Fatalf("secure entry with a recording that cannot pause: %v", err)
	}
	// The prompt was never played; the router stops it anyway (Asterisk answers 404).
	h.ExpectRequests("POST /recordings/live/call-ast1-c1/pause", "DELETE /playbacks/sb-secure-c1-1")
	h.Press(c, "4111111111111111#")
	h.ExpectRequests()
	if v, _ := h.EngineCall("ast1-c1"); v.Data["card"] != "" {
		t.Fatalf("digits collected: %v", v.Data)
	}
	if live, paused := h.Recording("call-ast1-c1"); !live || paused {
		t.Fatalf("recording live %v paused %v", live, paused)
	}
	if ch, _ := h.Channel(c); ch.Bridge != "sb-call-c1" {
		t.Fatalf("caller in %q", ch.Bridge)
	}
	if _, err := r.SecureCollect(ctx, "a1", "ast1-c1", "Card!", 1, 2); acd.ErrorCode(err) != acd.EInvalid {
		t.Fatalf("bad name: %v", err)
	}
}

// Pausing a call that is not recorded (line2 records nothing) is a conflict: Asterisk, asked,
// knows no such recording.
func TestPauseWithoutRecording(t *testing.T) {
	h := start(t, recordingConfig(), routertest.Options{})
	c := h.Inbound("5552000", "+79990004444")
	h.Answer(c + "-a1")
	h.TakeRequests()
	err := h.Await(func() error { return h.Router().PauseRecording(context.Background(), "b1", "ast1-c1") })
	if acd.ErrorCode(err) != acd.EConflict || !strings.Contains(err.Error(), "not being recorded") {
		t.Fatalf("pause of an unrecorded call: %v", err)
	}
	h.ExpectRequests("POST /recordings/live/call-ast1-c1/pause")
}

// A queue that does not record by itself records a connected call at its agent's request;
// when the call ends the recording is fetched, indexed with the call's queue and agent, and
// deleted on Asterisk.
func TestRecordOnDemand(t *testing.T) {
	var indexed []router.Recorded
	opt := routertest.Options{Router: router.Options{Recordings: router.RecordingOptions{Dir: t.TempDir(), Index: func(rec router.Recorded) error {
		indexed = append(indexed, rec)
		return nil
	}}}}
	h := start(t, testConfig(), opt)
	r, ctx := h.Router(), context.Background()
	if err := h.Await(func() error { return r.RecordOnDemand(ctx, "ast1-nope", "a1", nil) }); acd.ErrorCode(err) != acd.ENotFound {
		t.Fatalf("unknown call: %v", err)
	}
	c := h.Inbound("5551000", "+4930111")
	if err := h.Await(func() error { return r.RecordOnDemand(ctx, "ast1-c1", "a1", nil) }); acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("a call still ringing: %v", err)
	}
	h.Answer("c1-a1")
	h.TakeRequests()
	if err := h.Await(func() error { return r.RecordOnDemand(ctx, "ast1-c1", "a2", nil) }); acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("another agent: %v", err)
	}
	if err := h.Await(func() error { return r.RecordOnDemand(ctx, "ast1-c1", "a1", func(string) bool { return false }) }); acd.ErrorCode(err) != acd.EInvalid {
		t.Fatalf("policy refuses: %v", err)
	}
	h.ExpectRequests()
	if err := h.Await(func() error {
		return r.RecordOnDemand(ctx, "ast1-c1", "a1", func(q string) bool { return q == "line1" })
	}); err != nil {
		t.Fatal(err)
	}
	h.ExpectRequests("POST /bridges/sb-call-c1/record?name=call-ast1-c1",
		"POST /channels/c1/variable?variable=SB_ANSWER&value=a1|2030-01-07T09:00:00Z|call-ast1-c1")
	h.Advance(5 * time.Second)
	h.Hangup(c)
	h.ExpectRequests("DELETE /channels/c1-a1?reason=normal", "DELETE /bridges/sb-call-c1",
		"GET /recordings/stored/call-ast1-c1/file", "DELETE /recordings/stored/call-ast1-c1")
	h.ExpectHooks("recorded call-ast1-c1")
	if len(indexed) != 1 || indexed[0].Agent != "a1" || indexed[0].Queue != "line1" || indexed[0].Number != "+4930111" ||
		indexed[0].CallID != "ast1-c1" || indexed[0].Size != 44 {
		t.Fatalf("indexed %+v", indexed)
	}
}
