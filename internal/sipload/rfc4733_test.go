package sipload

import (
	"encoding/binary"
	"os"
	"testing"

	"github.com/pion/rtp"
)

// checkRFC4733 checks the rules one event's packets must follow: one
// timestamp, the marker on the first packet only, durations that never
// shrink, and the last three packets with the E bit and equal durations.
func checkRFC4733(t *testing.T, name string, pkts []rtp.Packet) {
	t.Helper()
	if len(pkts) < 4 {
		t.Fatalf("%s: %d packets for one event", name, len(pkts))
	}
	var last uint16
	for i, p := range pkts {
		if len(p.Payload) != 4 {
			t.Fatalf("%s packet %d: payload of %d bytes", name, i, len(p.Payload))
		}
		dur := binary.BigEndian.Uint16(p.Payload[2:])
		end := p.Payload[1]&0x80 != 0
		switch {
		case p.Timestamp != pkts[0].Timestamp:
			t.Errorf("%s packet %d: timestamp %d, want the event's %d", name, i, p.Timestamp, pkts[0].Timestamp)
		case p.Marker != (i == 0):
			t.Errorf("%s packet %d: marker %v", name, i, p.Marker)
		case dur < last:
			t.Errorf("%s packet %d: duration %d after %d", name, i, dur, last)
		case end != (i >= len(pkts)-3):
			t.Errorf("%s packet %d of %d: E bit %v", name, i, len(pkts), end)
		case i >= len(pkts)-3 && dur != binary.BigEndian.Uint16(pkts[len(pkts)-1].Payload[2:]):
			t.Errorf("%s packet %d: end packets with different durations", name, i)
		case p.Payload[0] != pkts[0].Payload[0] || p.Payload[1]&0x3f != pkts[0].Payload[1]&0x3f:
			t.Errorf("%s packet %d: event or volume changed", name, i)
		}
		last = dur
	}
}

// readPcapRTP reads the RTP packets of a classic pcap file whose frames end
// with a 16-byte RFC 4733 packet (sipp's dtmf_2833_*.pcap).
func readPcapRTP(t *testing.T, path string) []rtp.Packet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sipp's reference pcap: %v", err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap", path)
	}
	var out []rtp.Packet
	for p := 24; p+16 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[p+8:]))
		p += 16
		if n < 16 || p+n > len(b) {
			t.Fatalf("%s: truncated frame", path)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(append([]byte(nil), b[p+n-16:p+n]...)); err != nil {
			t.Fatal(err)
		}
		out = append(out, pkt)
		p += n
	}
	return out
}

// Our event packets follow the same rules as sipp's reference packets.
func TestRFC4733AgainstSippReference(t *testing.T) {
	needSipp(t) // the reference pcap comes with sipp (Debian sip-tester)
	ref := readPcapRTP(t, "/usr/share/sip-tester/dtmf_2833_1.pcap")
	checkRFC4733(t, "sipp dtmf_2833_1.pcap", ref)
	if ref[0].PayloadType != 101 || ref[0].Payload[0] != 1 {
		t.Fatalf("reference: payload type %d event %d", ref[0].PayloadType, ref[0].Payload[0])
	}
	var ours []rtp.Packet
	for _, p := range captureStream(t, 20, []DTMFStep{{At: 0, Digits: "1"}}) {
		if p.PayloadType == 101 {
			ours = append(ours, p)
		}
	}
	checkRFC4733(t, "sbload", ours)
	if ours[0].Payload[0] != ref[0].Payload[0] || ours[0].Payload[1]&0x3f != ref[0].Payload[1]&0x3f {
		t.Fatalf("event/volume %v, reference %v", ours[0].Payload[:2], ref[0].Payload[:2])
	}
}
