package sipload

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DTMF timing used for every scripted digit: a 100 ms tone then a 100 ms gap.
const (
	DTMFToneLength = 100 * time.Millisecond
	DTMFGap        = 100 * time.Millisecond
	dtmfVolume     = 10 // -10 dBm0
	dtmfEndRepeats = 3  // RFC 4733 2.5.1.4: the end packet is sent three times
)

// DTMFEvent maps a key to its RFC 4733 event code; ok is false for other bytes.
func DTMFEvent(key byte) (code uint8, ok bool) {
	switch {
	case key >= '0' && key <= '9':
		return key - '0', true
	case key == '*':
		return 10, true
	case key == '#':
		return 11, true
	case key >= 'A' && key <= 'D':
		return 12 + key - 'A', true
	case key >= 'a' && key <= 'd':
		return 12 + key - 'a', true
	}
	return 0, false
}

// dtmfTone packetizes one RFC 4733 event: every packet carries the event's
// start timestamp; the first has the marker bit; the duration grows by one
// packet time until the tone's length; the last three (the end packet and
// its two retransmissions) have the E bit and the final duration.
type dtmfTone struct {
	event   uint8
	ts      uint32 // RTP timestamp of the event start, the same in every packet
	length  uint16 // total duration in samples
	dur     uint16 // duration carried by the last packet
	sent    int    // packets sent so far
	endLeft int    // end packets still to send
}

func newDTMFTone(event uint8, ts uint32, length time.Duration) dtmfTone {
	n := uint16(length / (20 * time.Millisecond) * samplesPerPacket)
	if n < samplesPerPacket {
		n = samplesPerPacket
	}
	return dtmfTone{event: event, ts: ts, length: n, endLeft: dtmfEndRepeats}
}

// next writes the 4-byte payload of the next packet into p and reports
// whether it carries the marker bit. done is true when no packet remains
// (p is then untouched).
func (t *dtmfTone) next(p []byte) (marker, done bool) {
	if t.endLeft == 0 {
		return false, true
	}
	if t.dur < t.length {
		t.dur += samplesPerPacket
		if t.dur > t.length {
			t.dur = t.length
		}
	}
	end := t.dur >= t.length
	if end {
		t.endLeft--
	}
	p[0] = t.event
	p[1] = dtmfVolume & 0x3F
	if end {
		p[1] |= 0x80
	}
	p[2], p[3] = byte(t.dur>>8), byte(t.dur)
	marker = t.sent == 0
	t.sent++
	return marker, false
}

// DTMFStep is one scripted group of digits pressed from At after answer.
type DTMFStep struct {
	At     time.Duration
	Digits string
}

// ParseDTMFScript reads scripts such as "1 at 2s, then 12345# at 4s": steps
// separated by commas, each "<digits> at <time>", "then" optional. Times are
// from answer and must not go backwards.
func ParseDTMFScript(s string) ([]DTMFStep, error) {
	var steps []DTMFStep
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var last time.Duration
	for i, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) > 0 && strings.EqualFold(f[0], "then") {
			f = f[1:]
		}
		if len(f) < 3 || !strings.EqualFold(f[1], "at") {
			return nil, fmt.Errorf("dtmf step %d %q: want \"<digits> at <time>\"", i+1, strings.TrimSpace(part))
		}
		digits := f[0]
		if len(digits) > 64 {
			return nil, fmt.Errorf("dtmf step %d: more than 64 digits", i+1)
		}
		for j := 0; j < len(digits); j++ {
			if _, ok := DTMFEvent(digits[j]); !ok {
				return nil, fmt.Errorf("dtmf step %d: %q is not a DTMF key", i+1, digits[j])
			}
		}
		at, err := parseSpacedDuration(strings.Join(f[2:], ""))
		if err != nil {
			return nil, fmt.Errorf("dtmf step %d: %w", i+1, err)
		}
		if at < last {
			return nil, fmt.Errorf("dtmf step %d at %v is before the previous step at %v", i+1, at, last)
		}
		last = at
		steps = append(steps, DTMFStep{At: at, Digits: digits})
	}
	return steps, nil
}

// parseSpacedDuration accepts Go durations and bare seconds ("2", "2.5").
func parseSpacedDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		s += "s"
		_ = f
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad time %q", s)
	}
	if d < 0 || d > 24*time.Hour {
		return 0, fmt.Errorf("time %v out of range", d)
	}
	return d, nil
}

// dtmfPress is one digit at its offset from the start of media.
type dtmfPress struct {
	at    time.Duration
	event uint8
}

// expandDTMF turns steps into one press per digit, DTMFToneLength+DTMFGap apart.
func expandDTMF(steps []DTMFStep) []dtmfPress {
	var out []dtmfPress
	for _, st := range steps {
		for i := 0; i < len(st.Digits); i++ {
			ev, _ := DTMFEvent(st.Digits[i])
			out = append(out, dtmfPress{at: st.At + time.Duration(i)*(DTMFToneLength+DTMFGap), event: ev})
		}
	}
	return out
}
