package recording

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestIntegrity(t *testing.T) {
	// sha256("hello")
	rec := Recording{Size: 5, SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}
	if err := CheckSize(rec, 5); err != nil {
		t.Errorf("right size: %v", err)
	}
	for _, size := range []int64{0, 4, 6} {
		var d *DamageError
		if err := CheckSize(rec, size); !errors.As(err, &d) || d.What != "size" || !errors.Is(err, ErrDamaged) {
			t.Errorf("size %d: %v", size, err)
		}
	}
	if err := CheckSize(Recording{}, 0); err == nil {
		t.Error("an empty file passes")
	}
	if err := CheckSum(rec, strings.NewReader("hello")); err != nil {
		t.Errorf("right content: %v", err)
	}
	var d *DamageError
	if err := CheckSum(rec, strings.NewReader("hellO")); !errors.As(err, &d) || d.What != "checksum" || d.Want != rec.SHA256 {
		t.Errorf("wrong content: %v", err)
	}
	broken := errors.New("disk")
	if err := CheckSum(rec, iotest.ErrReader(broken)); !errors.Is(err, broken) || errors.Is(err, ErrDamaged) {
		t.Errorf("read error: %v", err)
	}
}
