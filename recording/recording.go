package recording

import (
	"strings"
	"time"
)

// Recording is one stored call recording and what the index knows of it.
type Recording struct {
	Name     string // unique; the ARI recording name, e.g. "call-<call id>"
	CallID   string
	Queue    string
	Agent    string // the ACD agent id
	Number   string // the caller's number
	Customer string
	Ticket   string
	Started  time.Time
	Duration time.Duration
	Size     int64
	Format   string // "wav"
	SHA256   string // lower-case hex of the file's SHA-256
	Path     string // the file in the recording store
}

// ValidName reports whether name is usable as a file name in the recording store and in a URL
// path segment: 1 to 200 characters of letters, digits, '.', '-' and '_', not starting with '.'.
func ValidName(name string) bool {
	if name == "" || len(name) > 200 || strings.HasPrefix(name, ".") {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
