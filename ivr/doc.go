// Package ivr runs IVR flows: prompts, menus, digit collection, business hours, language
// selection, customer lookup, routing decisions, callback offers, self-service information,
// transfers and post-call surveys.
//
// A Flow is data (internal/config loads it from YAML) and Validate checks it as a whole. A
// Session walks one caller through one flow as a pure state machine: no goroutines, no clock,
// no I/O. The owner feeds it Inputs (a digit, a timer's timeout, a playback's end, a lookup's
// result, the caller hanging up) with the current time, and carries out the Actions it returns
// (play, stop a playback, start a timer, look a customer up, set the channel language, and one
// terminal action: route, callback, transfer or hang up). A callback offer with an Other key
// lets the caller enter another number: it is normalised to E.164 and checked by ivr/callback
// (Node.Numbers); a number refused, a wrong key or silence counts as a try and re-offers, and
// the last try ends at the node's fallback. Timers and playbacks carry ids; an
// input naming a timer or playback that is no longer current is ignored, so the owner never has
// to cancel anything. A digit that interrupts a play or info prompt is kept as type-ahead for
// the next input node, whose prompt it skips.
//
// Termination. Validate guarantees that from every reachable node a terminal node (route,
// transfer, hangup or the accept branch of a callback offer) is reachable, and that the edges a
// silent caller can take (prompt ends, timeouts and their fallbacks, hours, lookups, set) form
// no cycle: every cycle of the flow goes through a digit the caller chose. Input nodes give up
// after a bounded number of tries (Retries ≤ MaxRetries), collected input is capped at
// MaxDigits, and a session accepts at most Options.MaxInputs inputs before it ends at the
// flow's Fallback node (hang up by default). So any sequence of inputs, including `*`/`#`
// storms, over-long entries and a caller who never presses anything, ends in one terminal
// action within MaxInputs+1 inputs; a silent caller ends without the budget.
//
// Digits marked sensitive (Node.Sensitive on collect nodes) never appear in the String,
// GoString, JSON or slog form of a Session, an Action or a Media; the owner logs inputs in their
// (*Session).Redacted form, which masks a Digit while Sensitive reports true.
package ivr
