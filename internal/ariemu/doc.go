// Package ariemu is an emulator of Asterisk 22's REST Interface (ARI): a real
// HTTP + websocket server that answers the ARI operations the router uses
// (channels, bridges, playbacks, recordings, applications) and sends the
// same events, in the same order and with the same JSON fields, as Asterisk
// does in the traces under shared/ari/traces.
//
// Besides ARI it has a control API (HTTP under /control/ and Go methods on
// [Server]) to place synthetic callers, who enter Stasis, press digits, wait
// and hang up, and to configure agent phones that answer, ring out, are busy
// or unreachable when the router originates them.
//
// All state lives behind one mutex that is never held while writing to a
// websocket: each connection has its own unbounded queue drained by its own
// goroutine, so a slow reader never blocks the emulator nor loses events.
// Durations (prompts, patience, talk time, ring timeouts) are divided by
// Options.Speed; timestamps stay real.
package ariemu
