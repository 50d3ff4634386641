package callback

import "time"

// Request is a callback the call router asks to keep: a caller who hung up in the queue
// (Missed), who accepted the offer while waiting (Offered), or who left a request while the
// hours were closed (AfterHours).
type Request struct {
	CallID     string
	Reason     Reason
	Number     string // as the caller's phone sent it
	Queue      string
	Priority   int
	EnqueuedAt time.Time // the caller's original place
	Data       map[string]string
}

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
