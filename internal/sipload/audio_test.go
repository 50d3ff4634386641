package sipload

import (
	"encoding/binary"
	"strings"
	"testing"
)

// wav builds a WAV file with one fmt and one data chunk.
func wav(format, channels uint16, rate uint32, bits uint16, data []byte) []byte {
	var b []byte
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	b = append(b, "RIFF"...)
	le32(uint32(4 + 8 + 16 + 8 + len(data)))
	b = append(b, "WAVEfmt "...)
	le32(16)
	le16(format)
	le16(channels)
	le32(rate)
	le32(rate * uint32(bits/8))
	le16(bits / 8)
	le16(bits)
	b = append(b, "data"...)
	le32(uint32(len(data)))
	return append(b, data...)
}

func TestParseWAV(t *testing.T) {
	pcm := make([]byte, 2*200) // 200 samples of silence: padded to two packets
	a, err := ParseWAV(wav(1, 1, 8000, 16, pcm))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ulaw) != 320 || a.ulaw[0] != 0xFF || a.alaw[0] != 0xD5 {
		t.Fatalf("pcm: %d bytes, first %#x %#x", len(a.ulaw), a.ulaw[0], a.alaw[0])
	}
	// µ-law silence stays µ-law silence and becomes A-law silence.
	u := make([]byte, 160)
	for i := range u {
		u[i] = 0xFF
	}
	a, err = ParseWAV(wav(7, 1, 8000, 8, u))
	if err != nil {
		t.Fatal(err)
	}
	if a.ulaw[0] != 0xFF || a.alaw[0] != 0xD5 {
		t.Fatalf("µ-law: %#x %#x", a.ulaw[0], a.alaw[0])
	}
	for name, tt := range map[string]struct {
		b    []byte
		want string
	}{
		"not riff":  {[]byte("hello"), "RIFF"},
		"stereo":    {wav(1, 2, 8000, 16, pcm), "mono"},
		"44.1 kHz":  {wav(1, 1, 44100, 16, pcm), "8000"},
		"float":     {wav(3, 1, 8000, 32, pcm), "format 3"},
		"no data":   {wav(1, 1, 8000, 16, nil), "no audio"},
		"truncated": {wav(1, 1, 8000, 16, pcm)[:30], ""},
	} {
		_, err := ParseWAV(tt.b)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error with %q", name, err, tt.want)
		}
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(wav(1, 1, 8000, 16, make([]byte, 320)))
	f.Add(wav(6, 1, 8000, 8, make([]byte, 160)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseWAV(b)
		if err != nil {
			return
		}
		if len(a.ulaw) == 0 || len(a.ulaw)%samplesPerPacket != 0 || len(a.alaw) != len(a.ulaw) {
			t.Fatalf("audio of %d/%d bytes", len(a.ulaw), len(a.alaw))
		}
	})
}
