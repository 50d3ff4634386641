package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/crm"
)

// TicketKPIs computes first-contact resolution, the reopen rate and resolution times over the
// tickets resolved (or closed) in [q.From, q.To), as crm.KPIs defines them. With q.Queues not
// nil, only tickets with a linked call in one of those queues (by its interactions or its call
// record) count: an empty scope counts none. A ticket reopened and not resolved again since
// is not in the range: it is not resolved.
func (c *CRM) TicketKPIs(ctx context.Context, q crm.KPIQuery) (crm.KPIs, error) {
	var k crm.KPIs
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return k, fmt.Errorf("ticket kpis: %w", &crm.InvalidError{Field: "range", Reason: "want from before to"})
	}
	days := q.ReopenDays
	if days <= 0 {
		days = crm.DefaultReopenDays
	}
	var mean, median float64
	err := c.s.pool.QueryRow(ctx, `
		WITH r AS (
			SELECT t.reopened, extract(epoch FROM t.resolved_at - t.created_at)::float8 AS secs,
				(SELECT count(*) FROM ticket_calls tc WHERE tc.ticket_id = t.id AND tc.inbound AND tc.at <= t.resolved_at) AS inbound_calls,
				EXISTS (SELECT 1 FROM ticket_calls tc WHERE tc.ticket_id = t.id AND tc.inbound
					AND tc.at > t.resolved_at AND tc.at <= t.resolved_at + make_interval(days => $3)) AS called_again
			FROM tickets t
			WHERE t.resolved_at >= $1 AND t.resolved_at < $2
				AND ($4::text[] IS NULL OR EXISTS (
					SELECT 1 FROM ticket_calls tc
					WHERE tc.ticket_id = t.id AND (
						EXISTS (SELECT 1 FROM interactions i WHERE i.call_id = tc.call_id AND i.queue = ANY($4))
						OR EXISTS (SELECT 1 FROM calls k WHERE k.id = tc.call_id AND k.queue = ANY($4)))))
		)
		SELECT count(*),
			count(*) FILTER (WHERE inbound_calls = 1 AND reopened = 0 AND NOT called_again),
			count(*) FILTER (WHERE reopened > 0 OR called_again),
			coalesce(avg(secs), 0),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs), 0)
		FROM r`, q.From, q.To, days, q.Queues).Scan(&k.Resolved, &k.FirstContact, &k.Reopened, &mean, &median)
	if err != nil {
		return k, fmt.Errorf("ticket kpis: %w", err)
	}
	if k.Resolved > 0 {
		k.FCR = float64(k.FirstContact) / float64(k.Resolved)
		k.ReopenRate = float64(k.Reopened) / float64(k.Resolved)
	}
	k.MeanResolution = time.Duration(math.Round(mean * float64(time.Second)))
	k.MedianResolution = time.Duration(math.Round(median * float64(time.Second)))
	return k, nil
}

// SeedCRMDemo stores the demo's customers and tickets, once: when customers exist already it
// writes nothing. It returns the phone numbers of the demo customers in the store.
func (c *CRM) SeedCRMDemo(ctx context.Context, recs []crm.DemoRecord, now time.Time) ([]string, error) {
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		// One seeding at a time; a second daemon on the same database waits and then sees rows.
		if _, err := tx.Exec(ctx, `LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM customers)`).Scan(&any); err != nil || any {
			return err
		}
		for _, r := range recs {
			cu := r.Customer
			if err := cu.Normalize(c.home); err != nil {
				return err
			}
			created := now.Add(-60 * 24 * time.Hour)
			if err := tx.QueryRow(ctx, `INSERT INTO customers (name, segment, language, notes, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, cu.Name, string(cu.Segment), cu.Language, cu.Notes, created).Scan(&cu.ID); err != nil {
				return err
			}
			if err := writeContacts(ctx, tx, cu); err != nil {
				return err
			}
			for _, t := range r.Tickets {
				at := now.Add(-t.Age)
				var resolved *time.Time
				if t.Status.Done() {
					x := at.Add(t.Age / 3)
					resolved = &x
				}
				if _, err := tx.Exec(ctx, `INSERT INTO tickets (customer_id, subject, status, priority, created_at, updated_at, resolved_at)
					VALUES ($1, $2, $3, $4, $5, $5, $6)`, cu.ID, t.Subject, string(t.Status), t.Priority, at, resolved); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed crm demo: %w", err)
	}
	rows, err := c.s.pool.Query(ctx, `SELECT number FROM customer_phones ORDER BY customer_id, seq LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("seed crm demo: %w", err)
	}
	numbers, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("seed crm demo: %w", err)
	}
	return numbers, nil
}
