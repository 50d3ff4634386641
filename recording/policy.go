package recording

import (
	"fmt"
	"time"
)

// Mode is how a queue records its calls.
type Mode string

// The recording modes; the zero Mode is Never.
const (
	Always   Mode = "always"
	Never    Mode = "never"
	Sample   Mode = "sample"
	OnDemand Mode = "on-demand"
)

// Policy is one queue's recording policy.
type Policy struct {
	Mode   Mode
	Sample float64       // share of answered calls recorded when Mode is Sample, in [0, 1]
	Keep   time.Duration // retention; 0 keeps recordings forever
}

// Validate reports a policy that cannot be applied.
func (p Policy) Validate() error {
	switch p.Mode {
	case "", Always, Never, OnDemand:
	case Sample:
		if p.Sample < 0 || p.Sample > 1 || p.Sample != p.Sample {
			return fmt.Errorf("recording: sample share %v outside [0, 1]", p.Sample)
		}
	default:
		return fmt.Errorf("recording: unknown mode %q", p.Mode)
	}
	if p.Keep < 0 {
		return fmt.Errorf("recording: negative retention %v", p.Keep)
	}
	return nil
}

// AtAnswer says whether a call is recorded from the moment it is answered. draw is a uniform
// random number in [0, 1) (injected, so that the choice is testable); an on-demand queue starts
// no recording by itself.
func (p Policy) AtAnswer(draw float64) bool {
	switch p.Mode {
	case Always:
		return true
	case Sample:
		return draw < p.Sample
	default:
		return false
	}
}

// OnRequest says whether an agent may start a recording of a connected call from the desktop.
// An always-recording queue is recording already; a never-recording queue refuses.
func (p Policy) OnRequest() bool { return p.Mode == OnDemand || p.Mode == Sample }

// Notice says whether the caller must hear that the call may be recorded: whenever the policy
// can record at all.
func (p Policy) Notice() bool {
	switch p.Mode {
	case Always, OnDemand:
		return true
	case Sample:
		return p.Sample > 0
	default:
		return false
	}
}

// Expired says whether rec has outlived its queue's retention at now. A policy keeping
// forever (Keep 0) never expires anything; a recording without a start time is judged by
// nothing and kept.
func Expired(rec Recording, now time.Time, p Policy) bool {
	if p.Keep <= 0 || rec.Started.IsZero() {
		return false
	}
	return !now.Before(rec.Started.Add(p.Keep))
}
