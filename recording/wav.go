package recording

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNotWAV is wrapped by ReadWAV's errors for data that is not a usable WAV file.
var ErrNotWAV = errors.New("not a wav file")

// WAV is what a WAV file's header says.
type WAV struct {
	Format     uint16 // 1: PCM, 6: A-law, 7: µ-law
	Channels   uint16
	SampleRate uint32
	ByteRate   uint32
	Bits       uint16
	DataOffset int64
	DataSize   int64
	Duration   time.Duration
}

// maxChunks bounds the chunk walk, so that a file of many tiny chunks cannot keep it busy.
const maxChunks = 64

// ReadWAV reads the RIFF/WAVE header of a file of size bytes: the fmt chunk and where the data
// chunk lies. Every length read from the file is checked against size, so a truncated or
// corrupt file is an error, never a made-up duration. A data chunk whose declared size runs
// past the end (Asterisk writes 0 or a stale size if it dies mid-recording) is an error too.
func ReadWAV(r io.ReaderAt, size int64) (WAV, error) {
	var w WAV
	var hdr [12]byte
	if size < 12 {
		return w, fmt.Errorf("%d bytes: %w", size, ErrNotWAV)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return w, fmt.Errorf("read riff header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return w, fmt.Errorf("no riff/wave header: %w", ErrNotWAV)
	}
	haveFmt := false
	off := int64(12)
	for range maxChunks {
		if off+8 > size {
			break
		}
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], off); err != nil {
			return w, fmt.Errorf("read chunk header at %d: %w", off, err)
		}
		id := string(ch[0:4])
		n := int64(binary.LittleEndian.Uint32(ch[4:8]))
		body := off + 8
		if n > size-body {
			return w, fmt.Errorf("chunk %q of %d bytes at %d runs past the end (%d): %w", id, n, off, size, ErrNotWAV)
		}
		switch id {
		case "fmt ":
			if n < 16 {
				return w, fmt.Errorf("fmt chunk of %d bytes: %w", n, ErrNotWAV)
			}
			var f [16]byte
			if _, err := r.ReadAt(f[:], body); err != nil {
				return w, fmt.Errorf("read fmt chunk: %w", err)
			}
			w.Format = binary.LittleEndian.Uint16(f[0:2])
			w.Channels = binary.LittleEndian.Uint16(f[2:4])
			w.SampleRate = binary.LittleEndian.Uint32(f[4:8])
			w.ByteRate = binary.LittleEndian.Uint32(f[8:12])
			w.Bits = binary.LittleEndian.Uint16(f[14:16])
			if w.Channels == 0 || w.SampleRate == 0 || w.ByteRate == 0 {
				return w, fmt.Errorf("fmt chunk with zero channels, rate or byte rate: %w", ErrNotWAV)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return w, fmt.Errorf("data chunk before fmt: %w", ErrNotWAV)
			}
			w.DataOffset, w.DataSize = body, n
			secs := n / int64(w.ByteRate)
			rest := n % int64(w.ByteRate)
			w.Duration = time.Duration(secs)*time.Second + time.Duration(rest*int64(time.Second)/int64(w.ByteRate))
			return w, nil
		}
		off = body + n + n%2
	}
	return w, fmt.Errorf("no data chunk: %w", ErrNotWAV)
}
