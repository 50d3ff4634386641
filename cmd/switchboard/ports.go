package main

import (
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
)

// The screen pop is an adapter and may not import the store; the daemon gives it the store
// for what it declares.
var (
	_ screenpop.DeskStore       = (*store.Store)(nil)
	_ screenpop.TicketLinker    = (*store.CRM)(nil)
	_ screenpop.RecordingFinder = (*store.Store)(nil)
)
