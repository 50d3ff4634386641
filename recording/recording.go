package recording

import (
	"encoding/json"
	"strings"
	"time"
)

// Recording is one stored call recording and what the index knows of it. It has one JSON
// shape wherever it is shown (the recordings search, a ticket, the screen pop): the
// duration in seconds, the player's URL, never the file's path.
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

// URL is where the recording is played (internal/web serves it; ?download=1 for a file).
func (r Recording) URL() string { return "/recordings/" + r.Name }

// recordingJSON is a Recording as clients see it.
type recordingJSON struct {
	Name     string    `json:"name"`
	CallID   string    `json:"call_id"`
	Queue    string    `json:"queue"`
	Agent    string    `json:"agent"`
	Number   string    `json:"number"`
	Customer string    `json:"customer,omitempty"`
	Ticket   string    `json:"ticket,omitempty"`
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_seconds"`
	Size     int64     `json:"size"`
	Format   string    `json:"format"`
	SHA256   string    `json:"sha256"`
	URL      string    `json:"url"`
}

// MarshalJSON writes the shape clients see.
func (r Recording) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordingJSON{Name: r.Name, CallID: r.CallID, Queue: r.Queue, Agent: r.Agent, Number: r.Number,
		Customer: r.Customer, Ticket: r.Ticket, Started: r.Started, Duration: r.Duration.Seconds(), Size: r.Size,
		Format: r.Format, SHA256: r.SHA256, URL: r.URL()})
}

// UnmarshalJSON reads what MarshalJSON writes (the URL follows from the name; there is no path).
func (r *Recording) UnmarshalJSON(b []byte) error {
	var j recordingJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Recording{Name: j.Name, CallID: j.CallID, Queue: j.Queue, Agent: j.Agent, Number: j.Number,
		Customer: j.Customer, Ticket: j.Ticket, Started: j.Started, Duration: time.Duration(j.Duration * float64(time.Second)),
		Size: j.Size, Format: j.Format, SHA256: j.SHA256}
	return nil
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
