package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/crm"
	"switchboard/ivr/callback"
	"switchboard/recording"
)

const ticketColumns = `t.id, t.customer_id, t.subject, t.status, t.priority, t.owner, t.reopened, t.created_at,
	t.updated_at, t.resolved_at, array(SELECT call_id FROM ticket_calls tc WHERE tc.ticket_id = t.id ORDER BY tc.at, tc.call_id)`

func scanTicket(row pgx.Row) (crm.Ticket, error) {
	var t crm.Ticket
	var status string
	var prio int16
	var resolved *time.Time
	err := row.Scan(&t.ID, &t.CustomerID, &t.Subject, &status, &prio, &t.Owner, &t.Reopened, &t.CreatedAt, &t.UpdatedAt, &resolved, &t.Calls)
	t.Status, t.Priority = crm.Status(status), int(prio)
	if resolved != nil {
		t.ResolvedAt = *resolved
	}
	return t, err
}

func (c *CRM) tickets(ctx context.Context, where string, args ...any) ([]crm.Ticket, error) {
	return collect(ctx, c, scanTicket, `SELECT `+ticketColumns+` FROM tickets t `+where, args...)
}

// CreateTicket opens a ticket (status new) for a customer, linked to t.CallID when set.
func (c *CRM) CreateTicket(ctx context.Context, t crm.NewTicket) (*crm.Ticket, error) {
	if err := t.Check(); err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	now := c.now()
	var id int64
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM customers WHERE id = $1 FOR KEY SHARE`, t.CustomerID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return notFound("customer", strconv.FormatInt(t.CustomerID, 10))
		} else if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO tickets (customer_id, subject, priority, owner, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, t.CustomerID, t.Subject, t.Priority, t.Owner, now).Scan(&id); err != nil {
			return err
		}
		if t.CallID != "" {
			return linkCall(ctx, tx, id, t.CallID, true, time.Time{}, now)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	return c.Ticket(ctx, id)
}

// linkCall links a call to a ticket; at zero takes the call's enqueue time from its record,
// or now. Linking a call twice changes nothing. An agent's outbound call (its record says so)
// is never inbound: the customer did not call.
func linkCall(ctx context.Context, tx pgx.Tx, ticketID int64, callID string, inbound bool, at, now time.Time) error {
	var when *time.Time
	if !at.IsZero() {
		when = &at
	}
	_, err := tx.Exec(ctx, `INSERT INTO ticket_calls (ticket_id, call_id, inbound, at)
		VALUES ($1, $2, $3 AND NOT EXISTS (SELECT 1 FROM calls WHERE id = $2 AND data->>'direction' = 'outbound'),
			coalesce($4, (SELECT coalesce(enqueued_at, updated_at) FROM calls WHERE id = $2), $5))
		ON CONFLICT (ticket_id, call_id) DO NOTHING`, ticketID, callID, inbound, when, now)
	return err
}

// Ticket returns a ticket with its linked calls and their recordings.
func (c *CRM) Ticket(ctx context.Context, id int64) (*crm.Ticket, error) {
	t, err := scanTicket(c.s.pool.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets t WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("ticket", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	rows, err := c.s.pool.Query(ctx, `SELECT r.`+strings.ReplaceAll(recordingColumns, ", ", ", r.")+`
		FROM recordings r JOIN ticket_calls tc ON tc.call_id = r.call_id WHERE tc.ticket_id = $1 ORDER BY r.started_at, r.name`, id)
	if err != nil {
		return nil, fmt.Errorf("ticket %d recordings: %w", id, err)
	}
	t.Recordings, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (recording.Recording, error) {
		return scanRecording(row)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket %d recordings: %w", id, err)
	}
	return &t, nil
}

// Tickets returns the tickets matching q, newest first.
func (c *CRM) Tickets(ctx context.Context, q crm.TicketQuery) ([]crm.Ticket, error) {
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if q.Status != "" && !q.Status.Valid() {
		return nil, fmt.Errorf("tickets: %w", &crm.InvalidError{Field: "status", Reason: "unknown status"})
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q.CustomerID != 0 {
		add("t.customer_id = ?", q.CustomerID)
	}
	if q.Status != "" {
		add("t.status = ?", string(q.Status))
	}
	if q.CallID != "" {
		add("EXISTS (SELECT 1 FROM ticket_calls tc WHERE tc.ticket_id = t.id AND tc.call_id = ?)", q.CallID)
	}
	sql := ""
	if len(where) > 0 {
		sql = "WHERE " + strings.Join(where, " AND ")
	}
	out, err := c.tickets(ctx, sql+fmt.Sprintf(" ORDER BY t.created_at DESC, t.id DESC LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return out, nil
}

// OpenTickets returns a customer's tickets that are not resolved or closed, the most urgent
// first.
func (c *CRM) OpenTickets(ctx context.Context, customerID int64) ([]crm.Ticket, error) {
	out, err := c.tickets(ctx, `WHERE t.customer_id = $1 AND t.status NOT IN ('resolved', 'closed')
		ORDER BY t.priority DESC, t.updated_at DESC, t.id LIMIT 50`, customerID)
	if err != nil {
		return nil, fmt.Errorf("open tickets of %d: %w", customerID, err)
	}
	return out, nil
}

// UpdateTicket applies a patch (status through the workflow, see crm.TicketPatch.Apply).
func (c *CRM) UpdateTicket(ctx context.Context, id int64, p crm.TicketPatch) (*crm.Ticket, error) {
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		cur, err := scanTicket(tx.QueryRow(ctx, `SELECT `+ticketColumns+` FROM tickets t WHERE t.id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("ticket", strconv.FormatInt(id, 10))
		}
		if err != nil {
			return err
		}
		next, err := p.Apply(cur, c.now())
		if err != nil {
			return err
		}
		var resolved *time.Time
		if !next.ResolvedAt.IsZero() {
			resolved = &next.ResolvedAt
		}
		_, err = tx.Exec(ctx, `UPDATE tickets SET subject = $2, status = $3, priority = $4, owner = $5, reopened = $6,
			updated_at = $7, resolved_at = $8 WHERE id = $1`, id, next.Subject, string(next.Status), next.Priority, next.Owner,
			next.Reopened, next.UpdatedAt, resolved)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update ticket %d: %w", id, err)
	}
	return c.Ticket(ctx, id)
}

// LinkCall links a call to a ticket (inbound unless it is an agent's outbound call), at the call's enqueue time (or now when the call
// has no record yet).
func (c *CRM) LinkCall(ctx context.Context, ticketID int64, callID string) error {
	return c.LinkCallAt(ctx, ticketID, callID, true, time.Time{})
}

// LinkCallAt links a call (inbound, or a callback placed) to a ticket at a given time; zero
// at: as LinkCall.
func (c *CRM) LinkCallAt(ctx context.Context, ticketID int64, callID string, inbound bool, at time.Time) error {
	if err := crm.CheckCallID(callID, false); err != nil {
		return fmt.Errorf("link call: %w", err)
	}
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE`, ticketID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return notFound("ticket", strconv.FormatInt(ticketID, 10))
		} else if err != nil {
			return err
		}
		if err := linkCall(ctx, tx, ticketID, callID, inbound, at, c.now()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE tickets SET updated_at = greatest(updated_at, $2) WHERE id = $1`, ticketID, c.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("link call %s to ticket %d: %w", callID, ticketID, err)
	}
	return nil
}

// TicketOfCallCustomer reports whether a ticket is one of the customers a call is known to be
// from: the customer the call is tagged with (an IVR lookup, the classifier), the customer of
// one of its interactions, a customer with the caller's number or with the account number
// entered in the IVR. An agent links their call only to such a ticket.
func (c *CRM) TicketOfCallCustomer(ctx context.Context, ticketID int64, callID string) (bool, error) {
	var number, account, tagged *string
	err := c.s.pool.QueryRow(ctx, `SELECT caller_number, data->>'account', data->>'customer' FROM calls WHERE id = $1`, callID).
		Scan(&number, &account, &tagged)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("call %s customers: %w", callID, err)
	}
	var phone string
	if number != nil {
		if n, err := callback.Normalize(*number, c.home); err == nil {
			phone = n
		}
	}
	var ok bool
	err = c.s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tickets t WHERE t.id = $1 AND (
			t.customer_id IN (SELECT customer_id FROM interactions WHERE call_id = $2 AND customer_id IS NOT NULL)
			OR t.customer_id::text = $3
			OR t.customer_id IN (SELECT customer_id FROM customer_phones WHERE number = $4 AND $4 <> '')
			OR t.customer_id IN (SELECT customer_id FROM customer_accounts WHERE account = $5 AND $5 <> '')))`,
		ticketID, callID, deref(tagged), phone, strings.TrimSpace(deref(account))).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("ticket %d of call %s's customer: %w", ticketID, callID, err)
	}
	return ok, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CallHandledBy reports whether a call was (or is) an agent's: an interaction of theirs, or
// the call record's agent.
func (c *CRM) CallHandledBy(ctx context.Context, callID, agent string) (bool, error) {
	if agent == "" {
		return false, nil
	}
	var ok bool
	err := c.s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM interactions WHERE call_id = $1 AND agent = $2)
		OR EXISTS (SELECT 1 FROM calls WHERE id = $1 AND agent = $2)`, callID, agent).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("call %s handled by: %w", callID, err)
	}
	return ok, nil
}
