// Package asterisk attaches Switchboard to an Asterisk node over ARI.
//
// Events reads the application's websocket itself (github.com/coder/websocket), decodes each
// message with the ARI library's DecodeEvent and queues it without bound, so that no event is
// dropped; it reconnects with backoff and jitter and puts a Connected marker in the stream on
// every (re)connect, at which point the consumer reconciles from the REST side. REST wraps the
// library's native client (github.com/CyCoreSystems/ari/v5) behind the few operations the router
// uses.
package asterisk
