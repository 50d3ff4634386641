package store

import (
	"switchboard/acd/report"
	"switchboard/internal/account"
	"switchboard/ivr/callback"
	"switchboard/recording"
)

// The types the store used to declare now live in the cores that own them; these names
// remain for the callers that have not moved yet (screenpop, the daemon, tests). New code
// uses the cores' names.
type (
	User          = account.User
	Session       = account.Session
	Account       = account.Account
	AccountPatch  = account.Patch
	AccountUpdate = account.Update
	APIToken      = account.APIToken
	AuditEntry    = account.AuditEntry

	ReportQuery = report.Query
	ReportRow   = report.Row
	AgentDay    = report.AgentDay

	RecordingFilter = recording.Query

	CallbackState   = callback.State
	CallbackRequest = callback.Request
	Callback        = callback.Callback
	CallbackFilter  = callback.Filter
)

// Callback states (callback.State).
const (
	CallbackPending   = callback.StatePending
	CallbackScheduled = callback.StateScheduled
	CallbackDialing   = callback.StateDialing
	CallbackDone      = callback.StateDone
	CallbackExpired   = callback.StateExpired
	CallbackCancelled = callback.StateCancelled
)

// MaxReportIntervals is report.MaxIntervals.
const MaxReportIntervals = report.MaxIntervals

// ActiveCallbackStates are callback.ActiveStates.
var ActiveCallbackStates = callback.ActiveStates

// The cores' errors under their old names.
var (
	ErrLastAdmin        = account.ErrLastAdmin
	ErrBadCursor        = recording.ErrBadCursor
	ErrInvalidCallback  = callback.ErrInvalid
	ErrCallbackConflict = callback.ErrConflict
)
