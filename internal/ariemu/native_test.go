package ariemu

import (
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
)

// TestNativeClient drives the emulator with the REST side of the library the
// router uses (CyCoreSystems/ari/v5 client/native, without Connect) and
// decodes the websocket events with ari.DecodeEvent.
func TestNativeClient(t *testing.T) {
	e := newEnv(t, Options{Speed: 20})
	ws := e.connect("switchboard")
	cl := native.New(&native.Options{
		Application:  "switchboard",
		URL:          e.ts.URL + "/ari",
		WebsocketURL: "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/ari/events",
		Username:     testUser,
		Password:     testPass,
	})
	e.srv.SetPhone("PJSIP/agent1001", Phone{AnswerAfter: 200 * time.Millisecond})

	callerID, err := e.srv.PlaceCaller(Caller{Number: "79990001111", DID: "5551000"})
	if err != nil {
		t.Fatal(err)
	}
	ev := decode(t, ws.next("StasisStart"))
	ss, ok := ev.(*ari.StasisStart)
	if !ok || ss.Channel.ID != callerID || strings.Join(ss.Args, ",") != "inbound,5551000" || ss.Channel.Caller.Number != "79990001111" {
		t.Fatalf("StasisStart = %#v", ev)
	}
	if time.Since(time.Time(ss.Timestamp)) > time.Minute {
		t.Fatalf("timestamp = %v", ss.Timestamp)
	}
	caller := cl.Channel().Get(ari.NewKey(ari.ChannelKey, callerID))
	if err := caller.Answer(); err != nil {
		t.Fatalf("answer: %v", err)
	}
	data, err := caller.Data()
	if err != nil || data.State != "Up" || data.Dialplan.Exten != "5551000" {
		t.Fatalf("data = %+v, %v", data, err)
	}
	pb, err := caller.Play("pb-1", "sound:beep")
	if err != nil || pb.ID() != "pb-1" {
		t.Fatalf("play: %v", err)
	}
	if ev := decode(t, ws.next("PlaybackFinished")); ev.(*ari.PlaybackFinished).Playback.ID != "pb-1" {
		t.Fatalf("PlaybackFinished = %#v", ev)
	}

	agent, err := cl.Channel().Originate(nil, ari.OriginateRequest{
		Endpoint: "PJSIP/agent1001", App: "switchboard", AppArgs: "agent", CallerID: "Switchboard <100>", Timeout: 15,
	})
	if err != nil {
		t.Fatalf("originate: %v", err)
	}
	ev = decode(t, ws.next("StasisStart"))
	if ss := ev.(*ari.StasisStart); ss.Channel.ID != agent.ID() || ss.Args[0] != "agent" || ss.Channel.Caller.Name != "Switchboard" {
		t.Fatalf("agent StasisStart = %#v", ss)
	}
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, ""), "mixing", "call-1")
	if err != nil {
		t.Fatalf("bridge create: %v", err)
	}
	if err := br.AddChannel(callerID); err != nil {
		t.Fatalf("add caller: %v", err)
	}
	if err := br.AddChannel(agent.ID()); err != nil {
		t.Fatalf("add agent: %v", err)
	}
	bd, err := br.Data()
	if err != nil || len(bd.ChannelIDs) != 2 || bd.Type != "mixing" {
		t.Fatalf("bridge data = %+v, %v", bd, err)
	}
	rec, err := br.Record("native-rec", &ari.RecordingOptions{Format: "wav", Exists: "overwrite"})
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	decode(t, ws.next("RecordingStarted"))
	time.Sleep(100 * time.Millisecond)
	if err := rec.Stop(); err != nil {
		t.Fatalf("stop recording: %v", err)
	}
	fin := decode(t, ws.next("RecordingFinished")).(*ari.RecordingFinished)
	if fin.Recording.Name != "native-rec" || fin.Recording.State != "done" {
		t.Fatalf("RecordingFinished = %#v", fin)
	}
	stored, err := cl.StoredRecording().List(nil)
	if err != nil || len(stored) != 1 || stored[0].ID != "native-rec" {
		t.Fatalf("stored = %v, %v", stored, err)
	}
	list, err := cl.Channel().List(nil)
	if err != nil || len(list) != 2 {
		t.Fatalf("channels = %v, %v", list, err)
	}
	app, err := cl.Application().Data(ari.NewKey(ari.ApplicationKey, "switchboard"))
	if err != nil || len(app.ChannelIDs) != 2 || len(app.BridgeIDs) != 1 {
		t.Fatalf("application = %+v, %v", app, err)
	}
	if err := agent.Hangup(); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	des := decode(t, ws.next("ChannelDestroyed")).(*ari.ChannelDestroyed)
	if des.Cause != 16 || des.CauseTxt != "Normal Clearing" {
		t.Fatalf("destroyed = %#v", des)
	}
	if _, err := cl.Channel().Data(ari.NewKey(ari.ChannelKey, "nope")); native.CodeFromError(errorsCause(err)) != 404 && !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing channel: %v", err)
	}
	if err := br.Delete(); err != nil {
		t.Fatalf("bridge delete: %v", err)
	}
}

func errorsCause(err error) error {
	type causer interface{ Cause() error }
	for err != nil {
		if _, ok := err.(native.RequestError); ok {
			return err
		}
		c, ok := err.(causer)
		if !ok {
			return err
		}
		err = c.Cause()
	}
	return err
}

func decode(t *testing.T, m map[string]any) ari.Event {
	t.Helper()
	b, err := jsonMarshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ari.DecodeEvent(b)
	if err != nil || ev == nil {
		t.Fatalf("DecodeEvent(%s) = %v, %v", b, ev, err)
	}
	return ev
}
