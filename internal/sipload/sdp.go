// Package sipload is the engine of sbload, the SIP traffic generator that
// proves a deployment before go-live: callers (UAC) that place calls with
// G.711 media and RFC 4733 DTMF, agent phones (UAS) that answer, and the
// counters and setup-time quantiles that tell whether the deployment held.
//
// The SIP stack is github.com/emiago/sipgo; RTP headers are
// github.com/pion/rtp. SDP offer/answer, the RTP pacer, the DTMF
// packetizer and the scenario parser are this package's own.
package sipload

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Static RTP payload types of the G.711 codecs (RFC 3551).
const (
	PayloadPCMU uint8 = 0
	PayloadPCMA uint8 = 8
)

// DefaultEventPayload is the dynamic payload type offered for telephone-event.
const DefaultEventPayload uint8 = 101

// maxSDP bounds the SDP bodies ParseSDP accepts; anything larger is hostile.
const maxSDP = 16 << 10

// Media is the audio half of a session description: where to send RTP and
// which payload types the side accepts.
type Media struct {
	Addr      netip.AddrPort // connection address and port of the audio stream
	Payloads  []uint8        // payload types on the m= line, in preference order
	EventPT   int            // telephone-event payload type, -1 when absent
	Direction string         // sendrecv, sendonly, recvonly or inactive
}

// HasPayload reports whether pt is on the m= line.
func (m Media) HasPayload(pt uint8) bool {
	for _, p := range m.Payloads {
		if p == pt {
			return true
		}
	}
	return false
}

// CodecName names a G.711 payload type.
func CodecName(pt uint8) string {
	switch pt {
	case PayloadPCMU:
		return "PCMU"
	case PayloadPCMA:
		return "PCMA"
	}
	return strconv.Itoa(int(pt))
}

// ParseCodec turns "PCMU"/"PCMA" (any case) into the payload type.
func ParseCodec(name string) (uint8, error) {
	switch strings.ToUpper(name) {
	case "PCMU", "ULAW", "G711U":
		return PayloadPCMU, nil
	case "PCMA", "ALAW", "G711A":
		return PayloadPCMA, nil
	}
	return 0, fmt.Errorf("unknown codec %q (want PCMU or PCMA)", name)
}

// BuildSDP writes a session description with one audio stream. sessID
// identifies the session (o= line); version increases on each re-offer.
func BuildSDP(sessID, version uint64, m Media) []byte {
	ip := m.Addr.Addr()
	fam := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		fam = "IP6"
	}
	var b bytes.Buffer
	b.Grow(256)
	fmt.Fprintf(&b, "v=0\r\no=sbload %d %d IN %s %s\r\ns=sbload\r\nc=IN %s %s\r\nt=0 0\r\n",
		sessID, version, fam, ip, fam, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", m.Addr.Port())
	for _, pt := range m.Payloads {
		fmt.Fprintf(&b, " %d", pt)
	}
	if m.EventPT >= 0 {
		fmt.Fprintf(&b, " %d", m.EventPT)
	}
	b.WriteString("\r\n")
	for _, pt := range m.Payloads {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", pt, CodecName(pt))
	}
	if m.EventPT >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", m.EventPT, m.EventPT)
	}
	b.WriteString("a=ptime:20\r\n")
	dir := m.Direction
	if dir == "" {
		dir = "sendrecv"
	}
	b.WriteString("a=" + dir + "\r\n")
	return b.Bytes()
}

// ErrNoAudio is returned by ParseSDP when the description has no usable audio stream.
var ErrNoAudio = errors.New("sdp: no audio stream")

// ParseSDP reads the first audio stream of a session description. It accepts
// LF or CRLF line ends and ignores what it does not need; it never panics on
// hostile input.
func ParseSDP(body []byte) (Media, error) {
	m := Media{EventPT: -1, Direction: "sendrecv"}
	if len(body) > maxSDP {
		return m, fmt.Errorf("sdp: body of %d bytes exceeds %d", len(body), maxSDP)
	}
	var sessAddr, mediaAddr netip.Addr
	port := -1
	inAudio, seenMedia := false, false
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := string(line[2:])
		switch line[0] {
		case 'm':
			if inAudio {
				body = nil // only the first audio stream matters
				continue
			}
			seenMedia = true
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "audio" || !strings.HasPrefix(f[2], "RTP/") {
				continue
			}
			p, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
			if err != nil || p < 0 || p > 65535 {
				return m, fmt.Errorf("sdp: bad media port %q", f[1])
			}
			if len(f)-3 > 64 {
				return m, fmt.Errorf("sdp: %d payload types on one m= line", len(f)-3)
			}
			for _, s := range f[3:] {
				pt, err := strconv.ParseUint(s, 10, 7)
				if err != nil {
					return m, fmt.Errorf("sdp: bad payload type %q", s)
				}
				m.Payloads = append(m.Payloads, uint8(pt))
			}
			port, inAudio = p, true
		case 'c':
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "IN" {
				return m, fmt.Errorf("sdp: bad connection line %q", val)
			}
			a, err := netip.ParseAddr(strings.SplitN(f[2], "/", 2)[0])
			if err != nil {
				return m, fmt.Errorf("sdp: bad connection address %q", f[2])
			}
			switch {
			case inAudio:
				mediaAddr = a
			case !seenMedia:
				sessAddr = a
			}
		case 'a':
			if !inAudio {
				continue
			}
			switch {
			case val == "sendrecv" || val == "sendonly" || val == "recvonly" || val == "inactive":
				m.Direction = val
			case strings.HasPrefix(val, "rtpmap:"):
				f := strings.Fields(val[len("rtpmap:"):])
				if len(f) != 2 {
					continue
				}
				pt, err := strconv.ParseUint(f[0], 10, 7)
				if err == nil && strings.EqualFold(f[1], "telephone-event/8000") {
					m.EventPT = int(pt)
				}
			}
		}
	}
	if port < 0 {
		return m, ErrNoAudio
	}
	if m.EventPT >= 0 {
		// telephone-event is not an audio codec: keep it out of Payloads.
		out := m.Payloads[:0]
		for _, pt := range m.Payloads {
			if int(pt) != m.EventPT {
				out = append(out, pt)
			}
		}
		m.Payloads = out
	}
	addr := sessAddr
	if mediaAddr.IsValid() {
		addr = mediaAddr
	}
	if !addr.IsValid() {
		return m, errors.New("sdp: no connection address")
	}
	m.Addr = netip.AddrPortFrom(addr, uint16(port))
	return m, nil
}

// Negotiate picks the audio codec for an answer: the first of the offer's
// payload types that is in supported. ok is false when none matches.
func Negotiate(offer Media, supported []uint8) (pt uint8, ok bool) {
	for _, p := range offer.Payloads {
		for _, s := range supported {
			if p == s {
				return p, true
			}
		}
	}
	return 0, false
}
