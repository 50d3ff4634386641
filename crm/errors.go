package crm

import (
	"errors"
	"fmt"
)

// Errors of the package; the store and the HTTP side test for them with errors.Is.
var (
	// ErrInvalid is wrapped by every *InvalidError: input refused before anything is written.
	ErrInvalid = errors.New("invalid")
	// ErrTransition is a ticket status change the workflow does not allow.
	ErrTransition = errors.New("status change not allowed")
	// ErrUnavailable is an external CRM that did not answer in time, failed, or whose circuit
	// breaker is open; the caller falls back to the local record.
	ErrUnavailable = errors.New("external crm unavailable")
)

// InvalidError names the field that was refused and why.
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
