package callback_test

import (
	"errors"
	"fmt"
	"time"

	"switchboard/ivr/callback"
)

func ExamplePolicy_Number() {
	p := callback.Policy{HomeCountry: "49", DenyPrefixes: []string{"+49 900", "+49 137"}}
	for _, typed := range []string{"030 1234567", "+49 (0)30 1234567", "0900 1234567", "0044 20 7946 0018"} {
		e164, err := p.Number(typed)
		switch {
		case errors.Is(err, callback.ErrDenied):
			fmt.Println("denied: play 'this number cannot be called back'")
		case errors.Is(err, callback.ErrInternational):
			fmt.Println("international: play 'please enter a national number'")
		case err != nil:
			fmt.Println("error:", err)
		default:
			fmt.Println(e164, callback.Mask(e164))
		}
	}
	// Output:
	// +49301234567 +*******4567
	// +49301234567 +*******4567
	// denied: play 'this number cannot be called back'
	// international: play 'please enter a national number'
}

func ExamplePolicy_NextAttempt() {
	p := callback.Policy{MaxAttempts: 3, Backoff: []time.Duration{5 * time.Minute, 30 * time.Minute}}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	cb := callback.Callback{Attempts: 2, Outcome: callback.Busy}
	next, ok := p.NextAttempt(cb, now, nil)
	fmt.Println(next.Format("15:04"), ok)
	cb.Attempts = 3
	_, ok = p.NextAttempt(cb, now, nil)
	fmt.Println(ok)
	// Output:
	// 10:30 true
	// false
}
