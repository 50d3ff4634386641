package acd

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer; adapters map them to HTTP statuses in one place.
const (
	ENotFound = "not_found" // no such queue, agent or call
	EConflict = "conflict"  // the request does not fit the current state
	EInvalid  = "invalid"   // the request itself is malformed
)

// Error is an engine error with a code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or "" when err is not an engine error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
