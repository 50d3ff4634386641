package sipload

import (
	"slices"
	"testing"
	"time"
)

type dtmfPacket struct {
	marker, end bool
	event       uint8
	volume      uint8
	dur         uint16
}

func TestDTMFTonePackets(t *testing.T) {
	tests := []struct {
		name   string
		length time.Duration
		want   []dtmfPacket
	}{
		{name: "100 ms", length: 100 * time.Millisecond, want: []dtmfPacket{
			{marker: true, event: 5, volume: 10, dur: 160},
			{event: 5, volume: 10, dur: 320},
			{event: 5, volume: 10, dur: 480},
			{event: 5, volume: 10, dur: 640},
			{end: true, event: 5, volume: 10, dur: 800},
			{end: true, event: 5, volume: 10, dur: 800},
			{end: true, event: 5, volume: 10, dur: 800},
		}},
		{name: "shorter than a packet", length: 5 * time.Millisecond, want: []dtmfPacket{
			{marker: true, end: true, event: 5, volume: 10, dur: 160},
			{end: true, event: 5, volume: 10, dur: 160},
			{end: true, event: 5, volume: 10, dur: 160},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tone := newDTMFTone(5, 12345, tt.length)
			var got []dtmfPacket
			p := make([]byte, 4)
			for {
				marker, done := tone.next(p)
				if done {
					break
				}
				got = append(got, dtmfPacket{marker: marker, end: p[1]&0x80 != 0, event: p[0], volume: p[1] & 0x3f, dur: uint16(p[2])<<8 | uint16(p[3])})
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDTMFEvent(t *testing.T) {
	for key, want := range map[byte]uint8{'0': 0, '9': 9, '*': 10, '#': 11, 'A': 12, 'd': 15} {
		if got, ok := DTMFEvent(key); !ok || got != want {
			t.Errorf("DTMFEvent(%q) = %d %v, want %d", key, got, ok, want)
		}
	}
	if _, ok := DTMFEvent('x'); ok {
		t.Error("x is not a key")
	}
}

func TestParseDTMFScript(t *testing.T) {
	tests := []struct {
		in      string
		want    []DTMFStep
		wantErr bool
	}{
		{in: "1 at 2s, then 12345# at 4s", want: []DTMFStep{{2 * time.Second, "1"}, {4 * time.Second, "12345#"}}},
		{in: "1 at 2 s, then 9 at 2.5", want: []DTMFStep{{2 * time.Second, "1"}, {2500 * time.Millisecond, "9"}}},
		{in: "", want: nil},
		{in: "1 at", wantErr: true},
		{in: "1x at 2s", wantErr: true},
		{in: "1 at 4s, 2 at 2s", wantErr: true},
		{in: "1 at -2s", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseDTMFScript(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseDTMFScript(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestExpandDTMF(t *testing.T) {
	got := expandDTMF([]DTMFStep{{time.Second, "12"}})
	want := []dtmfPress{{time.Second, 1}, {time.Second + DTMFToneLength + DTMFGap, 2}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
