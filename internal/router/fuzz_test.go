package router

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
)

// nopTelephony accepts every request; the fuzz test below is about the router's own
// handling of odd events (the real ARI path is tested against the emulator).
type nopTelephony struct{}

func (nopTelephony) Answer(context.Context, string) error                      { return nil }
func (nopTelephony) Hangup(context.Context, string, string) error              { return nil }
func (nopTelephony) Play(context.Context, string, string, []string) error      { return nil }
func (nopTelephony) StopPlayback(context.Context, string) error                { return nil }
func (nopTelephony) Originate(context.Context, Originate) error                { return nil }
func (nopTelephony) CreateBridge(context.Context, string, string) error        { return nil }
func (nopTelephony) DeleteBridge(context.Context, string) error                { return nil }
func (nopTelephony) AddChannel(context.Context, string, ...string) error       { return nil }
func (nopTelephony) BridgeMOH(context.Context, string, string) error           { return nil }
func (nopTelephony) ListBridges(context.Context) (map[string][]string, error)  { return nil, nil }
func (nopTelephony) HoldChannel(context.Context, string, string, string) error { return nil }
func (nopTelephony) RecordBridge(context.Context, string, string) error        { return nil }
func (nopTelephony) SetVar(context.Context, string, string, string) error      { return nil }
func (nopTelephony) Var(context.Context, string, string) (string, error)       { return "", ErrNotFound }
func (nopTelephony) AppState(context.Context) ([]string, []string, error)      { return nil, nil, nil }
func (nopTelephony) Channels(context.Context) ([]Channel, error)               { return nil, nil }
func (nopTelephony) BridgeChannels(context.Context, string) ([]string, error)  { return nil, nil }
func (nopTelephony) FetchRecording(context.Context, string) (io.ReadCloser, error) {
	return nil, ErrNotFound
}
func (nopTelephony) StoredRecordings(context.Context) ([]string, error)          { return nil, nil }
func (nopTelephony) DeleteRecording(context.Context, string) error               { return nil }
func (nopTelephony) PauseRecording(context.Context, string) error                { return nil }
func (nopTelephony) RemoveChannel(context.Context, string, string) error         { return nil }
func (nopTelephony) ResumeRecording(context.Context, string) error               { return nil }
func (nopTelephony) Continue(context.Context, string, string, string, int) error { return nil }

// Any sequence of messages, well-formed or not, leaves the router and its engine consistent:
// every call the router holds is one the engine holds and has its caller, and nothing panics.
func FuzzEvents(f *testing.F) {
	f.Add([]byte(`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"1.1","caller":{"number":"7999"}}}`),
		[]byte(`{"type":"StasisStart","args":["agent","n1-1.1"],"channel":{"id":"1.1-a1"}}`),
		[]byte(`{"type":"StasisEnd","channel":{"id":"1.1"}}`))
	f.Add([]byte(`{"type":"StasisStart","args":[],"channel":{"id":""}}`),
		[]byte(`{"type":"ChannelDestroyed","cause":17,"channel":{"id":"1.1-a1"}}`),
		[]byte(`{"type":"PlaybackFinished","playback":{"id":"x","target_uri":"channel:1.1"}}`))
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		r, err := New(Config{
			Node: "n1", App: "switchboard", LoginAgents: true,
			Queues: []acd.QueueConfig{{Name: "q"}},
			Agents: []acd.AgentConfig{{ID: "a", Endpoint: "PJSIP/a", Queues: []acd.Membership{{Queue: "q"}}}},
			DIDs:   map[string]Route{"5551000": {Queue: "q"}},
		}, nopTelephony{}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: &acd.ManualClock{T: time.Unix(1795405336, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		r.Connected(1) // offers start once reconciled
		for _, f := range r.loop.inbox.Drain() {
			f()
		}
		for _, msg := range [][]byte{a, b, c, a} {
			ev, err := decodeJSON(msg)
			if err != nil || ev == nil {
				continue
			}
			r.onARI(ev)
			r.flush()
		}
		for id, c := range r.calls {
			if _, ok := r.eng.Call(id); !ok {
				t.Fatalf("router holds call %s the engine does not", id)
			}
			if c.callerChan != "" && r.chans[c.callerChan] != c {
				t.Fatalf("call %s: caller channel not indexed", id)
			}
			if c.callerChan == "" && c.dialing() == nil {
				t.Fatalf("call %s held after its caller left", id)
			}
		}
	})
}

// decodeJSON reads an ARI event message as the adapter does (internal/asterisk decodes with
// the ARI client, which the router does not import): the fields the router's events carry.
func decodeJSON(msg []byte) (Event, error) {
	var m struct {
		Type    string
		Args    []string
		Cause   int
		Digit   string
		Channel struct {
			ID     string
			Caller *struct{ Number string }
		}
		Playback struct {
			ID        string
			TargetURI string `json:"target_uri"`
		}
		Recording struct {
			Name, Format, Cause string
			Duration            int
		}
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, err
	}
	rec := m.Recording
	switch m.Type {
	case "StasisStart":
		ev := StasisStart{Channel: m.Channel.ID, Args: m.Args}
		if m.Channel.Caller != nil {
			ev.Number = m.Channel.Caller.Number
		}
		return ev, nil
	case "StasisEnd":
		return StasisEnd{Channel: m.Channel.ID}, nil
	case "ChannelDestroyed":
		return ChannelDestroyed{Channel: m.Channel.ID, Cause: m.Cause}, nil
	case "PlaybackFinished":
		ch, ok := strings.CutPrefix(m.Playback.TargetURI, "channel:")
		if !ok {
			ch = ""
		}
		return PlaybackFinished{ID: m.Playback.ID, Channel: ch}, nil
	case "ChannelDtmfReceived":
		return DTMF{Channel: m.Channel.ID, Digit: m.Digit}, nil
	case "RecordingStarted":
		return RecordingStarted{Name: rec.Name, Format: rec.Format}, nil
	case "RecordingFinished":
		return RecordingFinished{Name: rec.Name, Format: rec.Format, Duration: time.Duration(rec.Duration) * time.Second}, nil
	case "RecordingFailed":
		return RecordingFailed{Name: rec.Name, Cause: rec.Cause}, nil
	}
	return nil, nil
}
