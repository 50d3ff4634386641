package callback

import "time"

// Claim is one claimed dialing attempt of a callback.
type Claim struct {
	ID         int64
	Attempt    int
	Number     string // E.164
	Queue      string
	Priority   int
	EnqueuedAt time.Time // the caller's original place
	Data       map[string]string
}
