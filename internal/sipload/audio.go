package sipload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// Samples per 20 ms packet at 8 kHz, the only clock G.711 and telephone-event use here.
const samplesPerPacket = 160

// Audio is a looping G.711 source, encoded once for both laws so the send
// loop only copies bytes.
type Audio struct {
	ulaw, alaw []byte // whole packets (multiple of 160 bytes)
}

// Tone returns one second of a sine tone at hz (an integer frequency loops
// seamlessly over one second).
func Tone(hz int) *Audio {
	pcm := make([]int16, 8000)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*float64(hz)*float64(i)/8000))
	}
	return audioFromPCM(pcm)
}

// Silence returns one packet of silence.
func Silence() *Audio { return audioFromPCM(make([]int16, samplesPerPacket)) }

func audioFromPCM(pcm []int16) *Audio {
	if n := len(pcm) % samplesPerPacket; n != 0 {
		pcm = append(pcm, make([]int16, samplesPerPacket-n)...)
	}
	a := &Audio{ulaw: make([]byte, len(pcm)), alaw: make([]byte, len(pcm))}
	for i, s := range pcm {
		a.ulaw[i] = LinearToULaw(s)
		a.alaw[i] = LinearToALaw(s)
	}
	return a
}

// payload returns the encoded stream for the payload type.
func (a *Audio) payload(pt uint8) []byte {
	if pt == PayloadPCMA {
		return a.alaw
	}
	return a.ulaw
}

// LoadWAV reads an 8 kHz mono WAV file: 16-bit PCM, A-law or µ-law.
func LoadWAV(path string) (*Audio, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read wav: %w", err)
	}
	return ParseWAV(b)
}

// ParseWAV decodes WAV bytes; see LoadWAV.
func ParseWAV(b []byte) (*Audio, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("wav: not a RIFF/WAVE file")
	}
	var format, channels, bits uint16
	var rate uint32
	var data []byte
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		p += 8
		if size < 0 || size > len(b)-p {
			size = len(b) - p
		}
		chunk := b[p : p+size]
		switch id {
		case "fmt ":
			if len(chunk) < 16 {
				return nil, errors.New("wav: short fmt chunk")
			}
			format = binary.LittleEndian.Uint16(chunk[0:2])
			channels = binary.LittleEndian.Uint16(chunk[2:4])
			rate = binary.LittleEndian.Uint32(chunk[4:8])
			bits = binary.LittleEndian.Uint16(chunk[14:16])
		case "data":
			data = chunk
		}
		p += size + size&1
	}
	if channels != 1 || rate != 8000 {
		return nil, fmt.Errorf("wav: %d channels at %d Hz (want mono 8000 Hz)", channels, rate)
	}
	if len(data) == 0 {
		return nil, errors.New("wav: no audio data")
	}
	var pcm []int16
	switch {
	case format == 1 && bits == 16:
		pcm = make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case format == 6 && bits == 8:
		pcm = make([]int16, len(data))
		for i, c := range data {
			pcm[i] = ALawToLinear(c)
		}
	case format == 7 && bits == 8:
		pcm = make([]int16, len(data))
		for i, c := range data {
			pcm[i] = ULawToLinear(c)
		}
	default:
		return nil, fmt.Errorf("wav: format %d with %d bits (want 16-bit PCM, A-law or µ-law)", format, bits)
	}
	if len(pcm) == 0 {
		return nil, errors.New("wav: no audio data")
	}
	return audioFromPCM(pcm), nil
}

// LinearToULaw encodes one 16-bit sample as G.711 µ-law.
func LinearToULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := byte(0)
	if x < 0 {
		x, sign = -x, 0x80
	}
	if x > clip {
		x = clip
	}
	x += bias
	exp := 7
	for mask := 0x4000; x&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0F
	return ^(sign | byte(exp<<4) | byte(mant))
}

// ULawToLinear decodes one G.711 µ-law byte.
func ULawToLinear(u byte) int16 {
	u = ^u
	t := (int(u&0x0F) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

var alawSegEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}

// LinearToALaw encodes one 16-bit sample as G.711 A-law.
func LinearToALaw(s int16) byte {
	x := int(s) >> 3
	mask := byte(0xD5)
	if x < 0 {
		mask, x = 0x55, -x-1
	}
	seg := 0
	for seg < 8 && x > alawSegEnd[seg] {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(x>>1) & 0x0F
	} else {
		a |= byte(x>>seg) & 0x0F
	}
	return a ^ mask
}

// ALawToLinear decodes one G.711 A-law byte.
func ALawToLinear(a byte) int16 {
	a ^= 0x55
	t := int(a&0x0F) << 4
	seg := int(a&0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
