package recording

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// ErrDamaged is wrapped by every *DamageError.
var ErrDamaged = errors.New("recording file damaged")

// DamageError says how a recording's file differs from what the index knows of it.
type DamageError struct {
	What      string // "size" or "checksum"
	Got, Want string
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("recording file damaged: %s %s differs from the index's %s", e.What, e.Got, e.Want)
}

// Unwrap makes errors.Is(err, ErrDamaged) true.
func (e *DamageError) Unwrap() error { return ErrDamaged }

// CheckSize says whether a file of size bytes can be rec's: not empty, and the size indexed.
func CheckSize(rec Recording, size int64) error {
	if size == 0 || size != rec.Size {
		return &DamageError{What: "size", Got: fmt.Sprint(size), Want: fmt.Sprint(rec.Size)}
	}
	return nil
}

// CheckSum reads r to its end and says whether its SHA-256 is the one indexed for rec. An
// error reading r is returned as it is.
func CheckSum(rec Recording, r io.Reader) error {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != rec.SHA256 {
		return &DamageError{What: "checksum", Got: got, Want: rec.SHA256}
	}
	return nil
}
