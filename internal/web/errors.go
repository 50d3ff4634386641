package web

import "switchboard/acd"

// isNotFound reports whether err carries the not-found code (a missing row, call or agent).
func isNotFound(err error) bool { return acd.ErrorCode(err) == acd.ENotFound }
