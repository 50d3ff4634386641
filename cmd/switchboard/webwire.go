package main

import (
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// The store is what the web side keeps its accounts, callbacks, recordings and reports in.
var (
	_ web.Users      = (*store.Store)(nil)
	_ web.Accounts   = (*store.Store)(nil)
	_ web.Reports    = (*store.Store)(nil)
	_ web.Recordings = (*store.Store)(nil)
	_ web.Callbacks  = (*store.Store)(nil)
)
