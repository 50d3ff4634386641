package ariemu

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

var errNotWAV = errors.New("not a wav file")

// WAVDuration reads a RIFF/WAVE header and returns the duration of its data
// chunk. It reads only the chunk headers it needs.
func WAVDuration(r io.Reader) (time.Duration, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, fmt.Errorf("read riff header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return 0, errNotWAV
	}
	var byteRate uint32
	for i := 0; i < 64; i++ {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return 0, fmt.Errorf("read chunk header: %w", err)
		}
		id := string(ch[0:4])
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return 0, fmt.Errorf("fmt chunk size %d: %w", size, errNotWAV)
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return 0, fmt.Errorf("read fmt chunk: %w", err)
			}
			byteRate = binary.LittleEndian.Uint32(buf[8:12])
		case "data":
			if byteRate == 0 {
				return 0, fmt.Errorf("data before fmt: %w", errNotWAV)
			}
			return time.Duration(float64(size) / float64(byteRate) * float64(time.Second)), nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return 0, fmt.Errorf("skip chunk %q: %w", id, err)
			}
		}
	}
	return 0, fmt.Errorf("no data chunk: %w", errNotWAV)
}

const (
	wavRate = 8000
	wavBits = 16
)

// writeWAV writes d of 8 kHz mono 16-bit PCM to path: a quiet 440 Hz tone
// (so that a listener hears something was recorded) at a low level.
func writeWAV(path string, d time.Duration) error {
	samples := int(d.Seconds() * wavRate)
	if samples < 0 {
		samples = 0
	}
	dataLen := uint32(samples * wavBits / 8)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create wav: %w", err)
	}
	w := bufio.NewWriterSize(f, 64<<10)
	hdr := make([]byte, 44)
	copy(hdr[0:], "RIFF")
	binary.LittleEndian.PutUint32(hdr[4:], 36+dataLen)
	copy(hdr[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(hdr[16:], 16)
	binary.LittleEndian.PutUint16(hdr[20:], 1) // PCM
	binary.LittleEndian.PutUint16(hdr[22:], 1) // mono
	binary.LittleEndian.PutUint32(hdr[24:], wavRate)
	binary.LittleEndian.PutUint32(hdr[28:], wavRate*wavBits/8)
	binary.LittleEndian.PutUint16(hdr[32:], wavBits/8)
	binary.LittleEndian.PutUint16(hdr[34:], wavBits)
	copy(hdr[36:], "data")
	binary.LittleEndian.PutUint32(hdr[40:], dataLen)
	_, _ = w.Write(hdr)
	var sample [2]byte
	for i := 0; i < samples; i++ {
		v := int16(800 * math.Sin(2*math.Pi*440*float64(i)/wavRate))
		binary.LittleEndian.PutUint16(sample[:], uint16(v))
		_, _ = w.Write(sample[:])
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write wav: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close wav: %w", err)
	}
	return nil
}
