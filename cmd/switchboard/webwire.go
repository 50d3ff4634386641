package main

import (
	"switchboard/internal/config"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// The store is what the web side keeps its accounts, callbacks, recordings, reports and
// customer records in.
var (
	_ web.Users      = (*store.Store)(nil)
	_ web.Accounts   = (*store.Store)(nil)
	_ web.Reports    = (*store.Store)(nil)
	_ web.Recordings = (*store.Store)(nil)
	_ web.Callbacks  = (*store.Store)(nil)
	_ web.CRM        = (*store.CRM)(nil)
)

// webLimits takes the web server's limits from the configuration's http: section.
func webLimits(h config.HTTP) web.Limits {
	return web.Limits{ReadHeaderTimeout: h.ReadHeaderTimeout, ReadTimeout: h.ReadTimeout, WriteTimeout: h.WriteTimeout,
		IdleTimeout: h.IdleTimeout, StreamWriteTimeout: h.StreamWriteTimeout,
		StreamsPerSession: h.StreamsPerSession, StreamsPerUser: h.StreamsPerUser}
}
