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
	// Key, when set, names the message-catalogue text that tells a person what went wrong
	// (with Args); adapters that speak to people show it rather than Message.
	Key  string
	Args []any
}

func (e *Error) Error() string { return e.Message }

func errorf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// keyed is an error with a catalogue key (no arguments) beside its message.
func keyed(code, key, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Key: key}
}

// ErrorCode returns the code of err, or "" when err is not an engine error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
