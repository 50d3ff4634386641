package asterisk

import (
	"reflect"
	"testing"
	"time"

	sdk "github.com/CyCoreSystems/ari/v5"

	"switchboard/internal/router"
)

func TestRouterEvent(t *testing.T) {
	tests := []struct {
		js   string
		want router.Event
	}{
		{`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"1.1","caller":{"number":"7999"}}}`,
			router.StasisStart{Channel: "1.1", Number: "7999", Args: []string{"inbound", "5551000"}}},
		{`{"type":"StasisStart","args":["inbound","5551000"],"channel":{"id":"1.2","creationtime":"2026-12-07T19:20:50.196+0100"}}`,
			router.StasisStart{Channel: "1.2", Args: []string{"inbound", "5551000"}, Created: time.Date(2026, 12, 7, 18, 20, 50, 196e6, time.UTC)}},
		{`{"type":"StasisStart","args":["agent","n1-1.1"],"channel":{"id":"1.1-a1"}}`,
			router.StasisStart{Channel: "1.1-a1", Args: []string{"agent", "n1-1.1"}}},
		{`{"type":"StasisEnd","channel":{"id":"1.1"}}`, router.StasisEnd{Channel: "1.1"}},
		{`{"type":"ChannelDestroyed","cause":17,"channel":{"id":"1.1-a1"}}`, router.ChannelDestroyed{Channel: "1.1-a1", Cause: 17}},
		{`{"type":"PlaybackFinished","playback":{"id":"p1","target_uri":"channel:1.1"}}`, router.PlaybackFinished{ID: "p1", Channel: "1.1"}},
		{`{"type":"PlaybackFinished","playback":{"id":"p2","target_uri":"bridge:b1"}}`, router.PlaybackFinished{ID: "p2"}},
		{`{"type":"ChannelDtmfReceived","digit":"5","channel":{"id":"1.1"}}`, router.DTMF{Channel: "1.1", Digit: "5"}},
		{`{"type":"RecordingStarted","recording":{"name":"call-n1-1.1","format":"wav","target_uri":"bridge:b"}}`,
			router.RecordingStarted{Name: "call-n1-1.1", Format: "wav"}},
		{`{"type":"RecordingFinished","recording":{"name":"call-n1-1.1","format":"wav","duration":5}}`,
			router.RecordingFinished{Name: "call-n1-1.1", Format: "wav", Duration: 5 * time.Second}},
		{`{"type":"RecordingFailed","recording":{"name":"call-n1-1.1","cause":"disk"}}`, router.RecordingFailed{Name: "call-n1-1.1", Cause: "disk"}},
		{`{"type":"ChannelVarset","channel":{"id":"1.1"}}`, nil},
	}
	for _, tt := range tests {
		ev, err := sdk.DecodeEvent([]byte(tt.js))
		if err != nil {
			t.Fatalf("%s: %v", tt.js, err)
		}
		if got := RouterEvent(ev); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.js, got, tt.want)
		}
	}
}
