// Package asterisk attaches Switchboard to an Asterisk node over ARI.
//
// Events reads the application's websocket itself (github.com/coder/websocket), decodes each
// message with the ARI library's DecodeEvent, translates it into the router's own event types
// (RouterEvent: the router never sees the library's) and queues it without bound, so that no
// event is dropped; it reconnects with backoff and jitter and puts a Connected marker in the
// stream on every (re)connect, at which point the consumer reconciles from the REST side. REST
// implements the router's ports (router.Channels, Bridges, Playbacks, Recordings) over plain
// HTTP, each request bound by its caller's context. Nodes is the router's Telephony over several
// nodes: one REST and one Events per node, each request sent to the node its id names.
package asterisk
