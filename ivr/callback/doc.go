// Package callback is Switchboard's callbacks: the Callback and its states, the
// Request that creates or merges one, the policy (number checks and the schedule
// of dialing attempts) and the Service that applies the policy over a Store
// (internal/store implements it). It is pure: no I/O, no goroutines; the policy
// takes the current time from its caller, the Service from its Now.
//
// A callback is born three ways (Reason): the caller accepted the offer made
// while waiting (ShouldOffer: the estimated wait passed the queue's
// threshold), the caller hung up in the queue after waiting at least
// Policy.MissedAfter (Missed), or the caller left a request while the hours
// were closed. It keeps the caller's original place in the queue: the store
// orders callbacks by priority, then by the time the caller first queued.
//
// Numbers. Normalize turns what the caller's phone sent or what the caller
// typed into E.164 ("+4930123456"). Decisions:
//   - Spaces, dashes, dots, slashes and parentheses are formatting and are
//     dropped; any other character (letters, '*', '#', a '+' not at the start)
//     is an error, never silently removed.
//   - "+CC…" and "00CC…" are international. With the home country "1" (the
//     North American plan) "011CC…" is international too.
//   - "(0)" after an international prefix ("+44 (0)20 …") is the written
//     form of the national trunk prefix and is dropped.
//   - A single leading "0" is the national trunk prefix and is replaced by the
//     home country code. With "1", a leading "1" before ten digits is the
//     trunk prefix, and ten digits are a national number.
//   - Other digits without a prefix are a national number of the home country
//     (countries without a trunk prefix dial it like that).
//   - An E.164 number has at most 15 digits, a country code that does not
//     start with 0, and here at least 7 digits (the shortest national numbers
//     in use have 4 digits after a 3-digit country code).
//
// The sentinel errors (ErrEmpty, ErrCharacter, ErrTooShort, ErrTooLong,
// ErrCountryCode, ErrDenied, ErrInternational) name the reason, so the IVR
// can choose the prompt ("this number cannot be called back, please enter
// another one"). Error strings never contain the number; use Mask to log one.
//
// Attempts. Policy.NextAttempt gives the time of the next dialing attempt:
// after the retry delay (RetryDelay, or Backoff by attempt), inside the
// attempt window (business hours: anything with Open(time.Time) bool, which
// *config.Hours satisfies) and inside the window the caller chose, before the
// callback expires; it reports false when no attempt is left (connected,
// maximum reached, expired, or no open minute within SearchHorizon).
package callback
