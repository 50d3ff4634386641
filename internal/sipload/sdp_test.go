package sipload

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestSDPRoundTrip(t *testing.T) {
	want := Media{Addr: netip.MustParseAddrPort("127.0.0.1:40000"), Payloads: []uint8{PayloadPCMU, PayloadPCMA}, EventPT: 101, Direction: "sendrecv"}
	got, err := ParseSDP(BuildSDP(1, 1, want))
	if err != nil {
		t.Fatal(err)
	}
	if got.Addr != want.Addr || !slices.Equal(got.Payloads, want.Payloads) || got.EventPT != want.EventPT || got.Direction != want.Direction {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParseSDP(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		addr     string
		payloads []uint8
		event    int
		wantErr  bool
	}{
		{name: "asterisk answer, LF only, media-level c=",
			body: "v=0\no=- 1 2 IN IP4 10.0.0.1\ns=Asterisk\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 10000 RTP/AVP 8 96\nc=IN IP4 10.0.0.2\na=rtpmap:8 PCMA/8000\na=rtpmap:96 TELEPHONE-EVENT/8000\na=sendrecv\n",
			addr: "10.0.0.2:10000", payloads: []uint8{8}, event: 96},
		{name: "video first, then audio without telephone-event",
			body: "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 99\r\nm=audio 6000 RTP/AVP 0\r\n",
			addr: "1.2.3.4:6000", payloads: []uint8{0}, event: -1},
		{name: "ipv6", body: "c=IN IP6 ::1\r\nm=audio 7000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
			addr: "[::1]:7000", payloads: []uint8{0}, event: 101},
		{name: "no audio", body: "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 99\r\n", wantErr: true},
		{name: "no address", body: "m=audio 6000 RTP/AVP 0\r\n", wantErr: true},
		{name: "bad port", body: "c=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", wantErr: true},
		{name: "bad payload", body: "c=IN IP4 1.2.3.4\r\nm=audio 6000 RTP/AVP 300\r\n", wantErr: true},
		{name: "huge", body: "c=IN IP4 1.2.3.4\r\nm=audio 6000 RTP/AVP 0\r\na=x:" + strings.Repeat("A", 20000) + "\r\n", wantErr: true},
		{name: "garbage", body: "\x00\xff=\n=\n\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSDP([]byte(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr.String() != tt.addr || !slices.Equal(got.Payloads, tt.payloads) || got.EventPT != tt.event {
				t.Fatalf("got %v %v %d, want %v %v %d", got.Addr, got.Payloads, got.EventPT, tt.addr, tt.payloads, tt.event)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	offer := Media{Payloads: []uint8{18, 8, 0}}
	if pt, ok := Negotiate(offer, []uint8{PayloadPCMU, PayloadPCMA}); !ok || pt != PayloadPCMA {
		t.Fatalf("got %d %v, want PCMA (the offer's first we support)", pt, ok)
	}
	if _, ok := Negotiate(Media{Payloads: []uint8{18}}, []uint8{0}); ok {
		t.Fatal("G.729 only must not negotiate")
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add(BuildSDP(1, 1, Media{Addr: netip.MustParseAddrPort("127.0.0.1:4000"), Payloads: []uint8{0, 8}, EventPT: 101}))
	f.Add([]byte("c=IN IP6 ::1\nm=audio 7000/2 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseSDP(b)
		if err != nil {
			return
		}
		// What parses must survive our own writer and parser unchanged.
		again, err := ParseSDP(BuildSDP(1, 1, m))
		if err != nil {
			t.Fatalf("rebuilt sdp does not parse: %v", err)
		}
		if again.Addr != m.Addr || !slices.Equal(again.Payloads, m.Payloads) || again.EventPT != m.EventPT {
			t.Fatalf("round trip: %+v != %+v", again, m)
		}
	})
}
