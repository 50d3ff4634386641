package sipload

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// captureStream drives a stream by hand (no pacer) and returns the packets a
// plain UDP socket received.
func captureStream(t *testing.T, ticks int, steps []DTMFStep) []rtp.Packet {
	t.Helper()
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	stats := &MediaStats{}
	st, err := ListenStream(netip.MustParseAddr("127.0.0.1"), stats)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Configure(sink.LocalAddr().(*net.UDPAddr).AddrPort(), PayloadPCMA, 101, ModePlay, Tone(440))
	st.ScheduleDTMF(steps)
	start := time.Now()
	st.Start(start)
	for i := range ticks {
		st.tick(start.Add(time.Duration(i) * 20 * time.Millisecond))
	}
	var out []rtp.Packet
	buf := make([]byte, 1500)
	_ = sink.SetReadDeadline(time.Now().Add(time.Second))
	for int64(len(out)) < stats.Sent.Load() {
		n, err := sink.Read(buf)
		if err != nil {
			t.Fatalf("after %d of %d packets: %v", len(out), stats.Sent.Load(), err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func TestStreamAudioAndDTMF(t *testing.T) {
	// 50 ticks = 1 s; digit "5" at 200 ms: ticks 10..16 are its 7 event packets.
	pkts := captureStream(t, 50, []DTMFStep{{At: 200 * time.Millisecond, Digits: "5"}})
	if len(pkts) != 50 {
		t.Fatalf("got %d packets, want 50", len(pkts))
	}
	var events []rtp.Packet
	for i, p := range pkts {
		if i > 0 && p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: sequence %d after %d", i, p.SequenceNumber, pkts[i-1].SequenceNumber)
		}
		if p.SSRC != pkts[0].SSRC {
			t.Fatalf("packet %d: SSRC changed", i)
		}
		switch p.PayloadType {
		case PayloadPCMA:
			if len(p.Payload) != 160 {
				t.Fatalf("packet %d: %d bytes of audio", i, len(p.Payload))
			}
			// The media clock advances 160 per 20 ms whether audio or an event went out.
			if want := pkts[0].Timestamp + uint32(i)*160; p.Timestamp != want {
				t.Fatalf("packet %d: timestamp %d, want %d", i, p.Timestamp, want)
			}
		case 101:
			events = append(events, p)
		default:
			t.Fatalf("packet %d: payload type %d", i, p.PayloadType)
		}
	}
	if len(events) != 7 {
		t.Fatalf("got %d event packets, want 7", len(events))
	}
	for i, e := range events {
		if e.Timestamp != pkts[0].Timestamp+10*160 {
			t.Errorf("event packet %d: timestamp %d, want the event start %d", i, e.Timestamp, pkts[0].Timestamp+10*160)
		}
		if e.Marker != (i == 0) {
			t.Errorf("event packet %d: marker %v", i, e.Marker)
		}
		if end := e.Payload[1]&0x80 != 0; end != (i >= 4) {
			t.Errorf("event packet %d: E bit %v", i, end)
		}
		if e.Payload[0] != 5 {
			t.Errorf("event packet %d: event %d", i, e.Payload[0])
		}
	}
}

func TestStreamTickAllocatesNothing(t *testing.T) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	st, err := ListenStream(netip.MustParseAddr("127.0.0.1"), &MediaStats{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Configure(sink.LocalAddr().(*net.UDPAddr).AddrPort(), PayloadPCMU, 101, ModePlay, Tone(440))
	now := time.Now()
	st.Start(now)
	if a := testing.AllocsPerRun(1000, func() { st.tick(now) }); a != 0 {
		t.Fatalf("%.1f allocations per packet, want 0", a)
	}
}

// BenchmarkStreamTick is the send loop: one 20 ms G.711 packet per op.
func BenchmarkStreamTick(b *testing.B) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, err := sink.Read(buf); err != nil {
				return
			}
		}
	}()
	st, err := ListenStream(netip.MustParseAddr("127.0.0.1"), &MediaStats{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	st.Configure(sink.LocalAddr().(*net.UDPAddr).AddrPort(), PayloadPCMU, 101, ModePlay, Tone(440))
	now := time.Now()
	st.Start(now)
	b.ReportAllocs()
	for b.Loop() {
		st.tick(now)
	}
}

func TestG711(t *testing.T) {
	if got := LinearToULaw(0); got != 0xFF {
		t.Errorf("µ-law of 0 = %#x, want 0xff", got)
	}
	if got := LinearToALaw(0); got != 0xD5 {
		t.Errorf("A-law of 0 = %#x, want 0xd5", got)
	}
	for _, s := range []int16{-32768, -1000, -1, 1, 1000, 32767} {
		for name, rt := range map[string]int16{"ulaw": ULawToLinear(LinearToULaw(s)), "alaw": ALawToLinear(LinearToALaw(s))} {
			if d := int(rt) - int(s); d > 1100 || d < -1100 || (s > 100 && rt <= 0) {
				t.Errorf("%s round trip of %d = %d", name, s, rt)
			}
		}
	}
}

// Two streams through the pacer, one echoing: packets arrive paced, both
// streams report a jitter estimate, and nothing is lost.
func TestStreamsThroughPacerWithEcho(t *testing.T) {
	stats := &MediaStats{}
	a, err := ListenStream(netip.MustParseAddr("127.0.0.1"), stats)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ListenStream(netip.MustParseAddr("127.0.0.1"), stats)
	if err != nil {
		t.Fatal(err)
	}
	a.Configure(b.LocalAddr(), PayloadPCMU, 101, ModePlay, Tone(440))
	b.Configure(a.LocalAddr(), PayloadPCMU, 101, ModeEcho, nil)
	a.ScheduleDTMF([]DTMFStep{{At: 100 * time.Millisecond, Digits: "1"}})
	p := NewPacer(1)
	done := make(chan struct{})
	go p.Run(done)
	a.Start(time.Now())
	b.Start(time.Now())
	p.Add(a)
	p.Add(b)
	time.Sleep(600 * time.Millisecond)
	p.Remove(a)
	p.Remove(b)
	close(done)
	time.Sleep(50 * time.Millisecond) // the last echoes
	a.Close()
	b.Close()
	sent, recv := stats.Sent.Load(), stats.Received.Load()
	// a sends ~30 packets, b echoes each: sent counts both, received counts both.
	if sent < 40 || recv != sent || stats.Lost.Load() != 0 {
		t.Fatalf("sent %d received %d lost %d", sent, recv, stats.Lost.Load())
	}
	if stats.DTMFSent.Load() != 1 || stats.DTMFRecv.Load() != 2 { // b got it, a got the echo
		t.Fatalf("dtmf sent %d received %d", stats.DTMFSent.Load(), stats.DTMFRecv.Load())
	}
	if n, max := stats.JitterStreams.Load(), stats.JitterMax.Load(); n != 2 || max > 8000 {
		t.Fatalf("jitter from %d streams, max %d", n, max)
	}
}

// A late or skipped pacer tick moves the timestamp to the sampling instant;
// the sequence number stays contiguous.
func TestStreamTimestampFollowsWallClock(t *testing.T) {
	sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	st, err := ListenStream(netip.MustParseAddr("127.0.0.1"), &MediaStats{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Configure(sink.LocalAddr().(*net.UDPAddr).AddrPort(), PayloadPCMU, -1, ModePlay, Tone(440))
	start := time.Now()
	st.Start(start)
	for _, ms := range []int{0, 20, 100, 101, 120} { // ticks 2..4 skipped, then one early
		st.tick(start.Add(time.Duration(ms) * time.Millisecond))
	}
	buf := make([]byte, 1500)
	var ts []uint32
	var seq []uint16
	_ = sink.SetReadDeadline(time.Now().Add(time.Second))
	for range 5 {
		n, err := sink.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		var h rtp.Header
		if _, err := h.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		ts, seq = append(ts, h.Timestamp), append(seq, h.SequenceNumber)
	}
	want := []uint32{0, 160, 800, 960, 1120}
	for i := range want {
		if ts[i]-ts[0] != want[i] || seq[i] != seq[0]+uint16(i) {
			t.Fatalf("timestamps %v (want %v), sequence %v", ts, want, seq)
		}
	}
}
