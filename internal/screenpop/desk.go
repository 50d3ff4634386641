package screenpop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/ivr/callback"
)

// Limits of what an agent sends from the call.
const (
	MaxNotes         = 4000                // characters of wrap-up notes
	MaxCallbackAhead = 30 * 24 * time.Hour // furthest a callback may be scheduled
	callbackExpiry   = 24 * time.Hour      // default life of a scheduled callback after its time
)

// DeskStore is what Desk needs of the store (the daemon gives it *store.Store). CallHandledBy
// fails with acd's not_found code when the agent never answered the call.
type DeskStore interface {
	CallHandledBy(ctx context.Context, callID, agent string) (queue, number string, err error)
	SaveWrapup(ctx context.Context, w crm.Wrapup) error
	ScheduleAgentCallback(ctx context.Context, r callback.Request, agent string) (int64, error)
}

// TicketLinker links a call to a ticket (the daemon gives it *store.CRM); not_found when the
// ticket does not exist.
type TicketLinker interface {
	LinkCall(ctx context.Context, ticketID int64, callID string) error
}

// Desk carries out what an agent does from a call. Errors carry acd codes: not_found when the
// agent never answered the call (whether or not it exists), invalid for a refused request.
type Desk struct {
	Hub          *Hub // knows the calls answered lately, before the journal has written them
	Store        DeskStore
	Node         string
	Dispositions []string        // the codes at start; SetDispositions replaces them
	Callbacks    callback.Policy // numbers and attempts of scheduled callbacks
	// Tickets, when set, links the ticket a wrap-up names to the call (refusing one that does
	// not exist); nil: the ticket id is stored as given.
	Tickets TicketLinker
	Now     func() time.Time

	reloaded atomic.Pointer[[]string]
}

// SetDispositions replaces the codes (a configuration reload); safe beside requests.
func (d *Desk) SetDispositions(codes []string) {
	c := slices.Clone(codes)
	d.reloaded.Store(&c)
}

func (d *Desk) codes() []string {
	if c := d.reloaded.Load(); c != nil {
		return *c
	}
	return d.Dispositions
}

// Wrapup is an agent's wrap-up of a call.
type Wrapup struct {
	Disposition string
	Notes       string
	TicketID    int64 // 0: none
}

// Scheduled is a callback an agent scheduled.
type Scheduled struct {
	ID     int64     `json:"id"`
	Number string    `json:"number"`
	Queue  string    `json:"queue"`
	At     time.Time `json:"at"`
}

func (d *Desk) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// keyed is an invalid request with the catalogue key that tells the agent.
func keyed(key, msg string) error { return &acd.Error{Code: acd.EInvalid, Message: msg, Key: key} }

// numberErrors give each reason a number is refused its catalogue key.
var numberErrors = []struct {
	err error
	key string
}{
	{callback.ErrEmpty, "desk.err.number_empty"},
	{callback.ErrCharacter, "desk.err.number_digits"},
	{callback.ErrTooShort, "desk.err.number_short"},
	{callback.ErrTooLong, "desk.err.number_long"},
	{callback.ErrCountryCode, "desk.err.number_country"},
	{callback.ErrDenied, "desk.err.number_denied"},
	{callback.ErrInternational, "desk.err.number_international"},
}

// numberError is the refusal of a callback number, keyed by its reason.
func numberError(err error) error {
	e := &acd.Error{Code: acd.EInvalid, Message: "number: " + err.Error(), Key: "desk.err.number"}
	for _, n := range numberErrors {
		if errors.Is(err, n.err) {
			e.Key = n.key
			break
		}
	}
	return e
}

func invalid(format string, args ...any) error {
	return &acd.Error{Code: acd.EInvalid, Message: fmt.Sprintf(format, args...)}
}

// handled finds the call among those agent answered: the hub's memory first, then the store.
func (d *Desk) handled(ctx context.Context, agent, callID string) (Facts, error) {
	if agent == "" || callID == "" {
		return Facts{}, &acd.Error{Code: acd.ENotFound, Message: "no such call"}
	}
	if d.Hub != nil {
		if f, ok := d.Hub.Handled(agent, callID); ok {
			return f, nil
		}
	}
	queue, number, err := d.Store.CallHandledBy(ctx, callID, agent)
	if err != nil {
		if acd.ErrorCode(err) == acd.ENotFound {
			return Facts{}, &acd.Error{Code: acd.ENotFound, Message: "no call " + callID + " answered by you"}
		}
		return Facts{}, err
	}
	return Facts{CallID: callID, Caller: number, Queue: queue}, nil
}

// Wrapup records agent's wrap-up of callID, and the agent's pop goes idle.
func (d *Desk) Wrapup(ctx context.Context, agent, callID string, w Wrapup) error {
	switch {
	case !slices.Contains(d.codes(), w.Disposition):
		return keyed("desk.err.disposition", fmt.Sprintf("disposition %q is not one of %v", w.Disposition, d.codes()))
	case !utf8.ValidString(w.Notes) || utf8.RuneCountInString(w.Notes) > MaxNotes:
		return &acd.Error{Code: acd.EInvalid, Message: fmt.Sprintf("notes must be UTF-8 text of at most %d characters", MaxNotes),
			Key: "desk.err.notes", Args: []any{MaxNotes}}
	case w.TicketID < 0:
		return invalid("ticket_id must not be negative")
	}
	if _, err := d.handled(ctx, agent, callID); err != nil {
		return err
	}
	if w.TicketID > 0 && d.Tickets != nil {
		if err := d.Tickets.LinkCall(ctx, w.TicketID, callID); err != nil {
			if acd.ErrorCode(err) == acd.ENotFound {
				return invalid("ticket %d not found", w.TicketID)
			}
			return err
		}
	}
	err := d.Store.SaveWrapup(ctx, crm.Wrapup{CallID: callID, Agent: agent, Disposition: w.Disposition,
		Notes: w.Notes, TicketID: w.TicketID, At: d.now()})
	if err != nil {
		return err
	}
	if d.Hub != nil {
		d.Hub.WrappedUp(agent, callID)
	}
	return nil
}

// ScheduleCallback schedules a call back from callID's queue to number ("": the caller) at at
// (zero: now), on agent's list.
func (d *Desk) ScheduleCallback(ctx context.Context, agent, callID, number string, at time.Time) (Scheduled, error) {
	now := d.now()
	switch {
	case at.IsZero():
		at = now
	case at.Before(now.Add(-time.Minute)):
		return Scheduled{}, keyed("desk.err.at_past", "at is in the past")
	case at.After(now.Add(MaxCallbackAhead)):
		return Scheduled{}, &acd.Error{Code: acd.EInvalid, Message: fmt.Sprintf("at is more than %v ahead", MaxCallbackAhead),
			Key: "desk.err.at_ahead", Args: []any{int(MaxCallbackAhead.Hours() / 24)}}
	}
	f, err := d.handled(ctx, agent, callID)
	if err != nil {
		return Scheduled{}, err
	}
	raw := number
	if raw == "" {
		raw = f.Caller
	}
	if raw == "" {
		return Scheduled{}, keyed("desk.err.number_unknown", "the caller's number is unknown; give one")
	}
	e164, err := d.Callbacks.Number(raw)
	if err != nil {
		return Scheduled{}, numberError(err)
	}
	if f.Queue == "" {
		return Scheduled{}, invalid("the call's queue is unknown")
	}
	r := callback.Request{Node: d.Node, Number: e164, Queue: f.Queue, EnqueuedAt: at,
		Reason: callback.AgentScheduled, CallID: callID, MaxAttempts: d.Callbacks.Attempts(),
		ExpiresAt: d.Callbacks.ExpiresAt(at), Data: map[string]string{"agent": agent}}
	if at.After(now) {
		r.WindowStart = at
	}
	if r.ExpiresAt.IsZero() {
		r.ExpiresAt = at.Add(callbackExpiry)
	}
	id, err := d.Store.ScheduleAgentCallback(ctx, r, agent)
	if err != nil {
		return Scheduled{}, err
	}
	return Scheduled{ID: id, Number: e164, Queue: f.Queue, At: at}, nil
}

// Codes returns the dispositions an agent picks from.
func (d *Desk) Codes() []string { return slices.Clone(d.codes()) }
