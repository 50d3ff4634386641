package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// wavBytes builds a PCM WAV of dataLen bytes at 8 kHz mono 16-bit, with extra chunks before data.
func wavBytes(dataLen int, extra ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(0)) // RIFF size: not checked
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	for _, v := range []any{uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	for _, e := range extra {
		b.Write(e)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(dataLen))
	b.Write(make([]byte, dataLen))
	return b.Bytes()
}

func TestReadWAV(t *testing.T) {
	odd := append([]byte("LIST"), 3, 0, 0, 0, 'a', 'b', 'c', 0) // odd size, padded
	truncated := wavBytes(16000)
	truncated = truncated[:len(truncated)-1]
	tests := []struct {
		name string
		data []byte
		dur  time.Duration
		err  bool
	}{
		{"one second", wavBytes(16000), time.Second, false},
		{"empty data", wavBytes(0), 0, false},
		{"an odd chunk before data", wavBytes(8000, odd), 500 * time.Millisecond, false},
		{"truncated data", truncated, 0, true},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVEfmt "), 0, true},
		{"too short", []byte("RIFF"), 0, true},
		{"no data chunk", wavBytes(0)[:36], 0, true},
	}
	for _, tt := range tests {
		w, err := ReadWAV(bytes.NewReader(tt.data), int64(len(tt.data)))
		if (err != nil) != tt.err {
			t.Fatalf("%s: err %v, want error %v", tt.name, err, tt.err)
		}
		if err != nil {
			if !errors.Is(err, ErrNotWAV) && len(tt.data) >= 12 {
				t.Fatalf("%s: %v does not wrap ErrNotWAV", tt.name, err)
			}
			continue
		}
		if w.Duration != tt.dur || w.SampleRate != 8000 || w.Bits != 16 {
			t.Fatalf("%s: %+v", tt.name, w)
		}
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(wavBytes(16000))
	f.Add(wavBytes(3, append([]byte("LIST"), 1, 0, 0, 0, 'x', 0)))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ReadWAV(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		if w.DataOffset < 12 || w.DataOffset+w.DataSize > int64(len(data)) || w.Duration < 0 || w.ByteRate == 0 {
			t.Fatalf("accepted an impossible header: %+v for %d bytes", w, len(data))
		}
	})
}
