// Package routertest runs the router in a test as a timeline: a caller arrives, a lookup
// is pending, the caller hangs up, the lookup answers; then the test checks the exact ARI
// requests the router sent, in order. It is to the router what sipgo's siptest is to a SIP
// stack, and it runs in milliseconds of real time.
//
// A Harness puts the router on three things it controls:
//
//   - a fake Asterisk that answers the router's Telephony requests as Asterisk would
//     (channels, bridges, playbacks, recordings, variables) and sends the events Asterisk
//     sends; nothing happens on it unless the test says so (Inbound, Hangup, Press,
//     FinishPlayback, Answer, Reject, LinkDown, LinkUp, Restart);
//   - a manual Clock that drives every timer and pause of the router (Advance);
//   - a gate that every request of the router passes, ARI requests and off-owner hooks
//     (lookup, classify, the callback store) alike. A request waits there, its goroutine
//     parked, until it is taken; the test may Hold some, to answer (Release), fail (Fail) or
//     delay them while other things happen, or Fail them by pattern.
//
// Every action ends with Settle: the harness waits until the router is idle (its inbox
// empty and each of its goroutines finished or parked, as router.Activity counts), takes
// the waiting requests one at a time in a fixed order (by operation), lets the router handle
// the events each causes, and repeats until nothing is left to do at this instant. So a
// timeline is deterministic: the same actions give the same requests in the same order.
//
// The harness also keeps what the store would (call rows opened and closed, agents' last
// states: Rows, Row) across restarts, and notes requests that name a channel the router
// already knew was gone (LateRequests).
package routertest
