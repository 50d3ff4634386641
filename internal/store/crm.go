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
)

// CRM stores customers, tickets and interactions (migration 0005); crm holds their rules.
// Every write is one transaction: input the rules refuse is an error wrapping crm.ErrInvalid
// (or crm.ErrTransition) and nothing is written.
type CRM struct {
	s    *Store
	home string
	now  func() time.Time
}

// CRMOptions configure the CRM store.
type CRMOptions struct {
	HomeCountry string           // calling code for national numbers ("49"); "" takes E.164 only
	Now         func() time.Time // default time.Now
}

var _ crm.Local = (*CRM)(nil)

// CRM returns the customer side of the store.
func (s *Store) CRM(opt CRMOptions) *CRM {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &CRM{s: s, home: opt.HomeCountry, now: opt.Now}
}

// Now is the CRM store's clock.
func (c *CRM) Now() time.Time { return c.now() }

const customerColumns = `c.id, c.name, c.segment, c.language, c.notes, c.created_at, c.updated_at,
	array(SELECT number FROM customer_phones p WHERE p.customer_id = c.id ORDER BY seq),
	array(SELECT account FROM customer_accounts a WHERE a.customer_id = c.id ORDER BY seq)`

func scanCustomer(row pgx.Row) (crm.Customer, error) {
	var c crm.Customer
	var seg string
	err := row.Scan(&c.ID, &c.Name, &seg, &c.Language, &c.Notes, &c.CreatedAt, &c.UpdatedAt, &c.Phones, &c.Accounts)
	c.Segment = crm.Segment(seg)
	return c, err
}

// customers reads the customers (aliased c) that the rest of the query, rest, selects.
func (c *CRM) customers(ctx context.Context, rest string, args ...any) ([]crm.Customer, error) {
	return collect(ctx, c, scanCustomer, `SELECT `+customerColumns+` FROM customers c `+rest, args...)
}

// collect runs a query and scans each of its rows with scan.
func collect[T any](ctx context.Context, c *CRM, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := c.s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}

// CreateCustomer stores a new customer (normalised: see crm.Customer.Normalize).
func (c *CRM) CreateCustomer(ctx context.Context, cu crm.Customer) (*crm.Customer, error) {
	if err := cu.Normalize(c.home); err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	now := c.now()
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO customers (name, segment, language, notes, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, cu.Name, string(cu.Segment), cu.Language, cu.Notes, now).Scan(&cu.ID); err != nil {
			return err
		}
		return writeContacts(ctx, tx, cu)
	})
	if err != nil {
		return nil, fmt.Errorf("create customer: %w", err)
	}
	cu.CreatedAt, cu.UpdatedAt = now, now
	return c.Customer(ctx, cu.ID)
}

// writeContacts replaces a customer's phones and accounts.
func writeContacts(ctx context.Context, tx pgx.Tx, cu crm.Customer) error {
	if _, err := tx.Exec(ctx, `DELETE FROM customer_phones WHERE customer_id = $1`, cu.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM customer_accounts WHERE customer_id = $1`, cu.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO customer_phones (customer_id, number, seq)
		SELECT $1, n, i FROM unnest($2::text[]) WITH ORDINALITY AS x(n, i)`, cu.ID, cu.Phones); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO customer_accounts (customer_id, account, seq)
		SELECT $1, a, i FROM unnest($2::text[]) WITH ORDINALITY AS x(a, i)`, cu.ID, cu.Accounts)
	return err
}

// Customer returns one customer.
func (c *CRM) Customer(ctx context.Context, id int64) (*crm.Customer, error) {
	cu, err := scanCustomer(c.s.pool.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers c WHERE c.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("customer", strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("customer %d: %w", id, err)
	}
	return &cu, nil
}

// UpdateCustomer applies a patch to a customer.
func (c *CRM) UpdateCustomer(ctx context.Context, id int64, p crm.CustomerPatch) (*crm.Customer, error) {
	err := pgx.BeginFunc(ctx, c.s.pool, func(tx pgx.Tx) error {
		cur, err := scanCustomer(tx.QueryRow(ctx, `SELECT `+customerColumns+` FROM customers c WHERE c.id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("customer", strconv.FormatInt(id, 10))
		}
		if err != nil {
			return err
		}
		next, err := p.Apply(cur, c.home)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE customers SET name = $2, segment = $3, language = $4, notes = $5, updated_at = $6
			WHERE id = $1`, id, next.Name, string(next.Segment), next.Language, next.Notes, c.now()); err != nil {
			return err
		}
		if p.Phones != nil || p.Accounts != nil {
			return writeContacts(ctx, tx, next)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update customer %d: %w", id, err)
	}
	return c.Customer(ctx, id)
}

// likeEscape quotes LIKE's wildcards.
var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchCustomers returns the customers matching q, by name then id.
func (c *CRM) SearchCustomers(ctx context.Context, q crm.CustomerQuery) ([]crm.Customer, error) {
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		add(`lower(c.name) LIKE '%' || lower(?) || '%'`, likeEscape.Replace(s))
	}
	if q.Phone != "" {
		n, err := callback.Normalize(q.Phone, c.home)
		if err != nil {
			return nil, fmt.Errorf("search customers: %w", &crm.InvalidError{Field: "phone", Reason: "not a phone number"})
		}
		add(`EXISTS (SELECT 1 FROM customer_phones p WHERE p.customer_id = c.id AND p.number = ?)`, n)
	}
	if a := strings.TrimSpace(q.Account); a != "" {
		add(`EXISTS (SELECT 1 FROM customer_accounts a WHERE a.customer_id = c.id AND a.account = ?)`, a)
	}
	rest := ""
	if len(where) > 0 {
		rest = "WHERE " + strings.Join(where, " AND ")
	}
	rest += fmt.Sprintf(" ORDER BY lower(c.name), c.id LIMIT %d", limit)
	out, err := c.customers(ctx, rest, args...)
	if err != nil {
		return nil, fmt.Errorf("search customers: %w", err)
	}
	return out, nil
}

// maxCandidates bounds an identification's answer.
const maxCandidates = 20

// Identify returns the customers whose phone is number (normalised; a number that does not
// normalise, such as "anonymous", finds nobody), then those with the account, each once.
func (c *CRM) Identify(ctx context.Context, number, account string) ([]crm.Candidate, error) {
	var out []crm.Candidate
	if n, err := callback.Normalize(number, c.home); err == nil {
		cs, err := c.customers(ctx, `WHERE c.id IN (SELECT customer_id FROM customer_phones WHERE number = $1)
			ORDER BY c.id LIMIT $2`, n, maxCandidates)
		if err != nil {
			return nil, fmt.Errorf("identify: %w", err)
		}
		for _, cu := range cs {
			out = append(out, crm.Candidate{Customer: cu, By: crm.ByNumber})
		}
	}
	if a := strings.TrimSpace(account); a != "" && len(a) <= crm.MaxAccount {
		seen := make([]int64, 0, len(out))
		for _, cand := range out {
			seen = append(seen, cand.ID)
		}
		cs, err := c.customers(ctx, `WHERE c.id IN (SELECT customer_id FROM customer_accounts WHERE account = $1)
			AND NOT c.id = ANY($2) ORDER BY c.id LIMIT $3`, a, seen, maxCandidates)
		if err != nil {
			return nil, fmt.Errorf("identify: %w", err)
		}
		for _, cu := range cs {
			out = append(out, crm.Candidate{Customer: cu, By: crm.ByAccount})
		}
	}
	return out, nil
}

// RecordInteraction writes one call leg with a customer, or completes the one stored for the
// same call and agent: values given (a customer, a queue, an outcome, a disposition, a CSAT
// score, wait and talk above zero) replace, values left empty keep what is there.
func (c *CRM) RecordInteraction(ctx context.Context, i crm.Interaction) error {
	if err := i.Check(); err != nil {
		return fmt.Errorf("record interaction: %w", err)
	}
	var customer, csat *int64
	if i.CustomerID > 0 {
		v := i.CustomerID
		customer = &v
	}
	if i.CSAT > 0 {
		v := int64(i.CSAT)
		csat = &v
	}
	_, err := c.s.pool.Exec(ctx, `
		INSERT INTO interactions AS x (call_id, agent, customer_id, queue, at, outcome, wait_seconds, talk_seconds, disposition, csat)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (call_id, agent) DO UPDATE SET
			customer_id = coalesce(excluded.customer_id, x.customer_id),
			queue = coalesce(nullif(excluded.queue, ''), x.queue),
			at = least(excluded.at, x.at),
			outcome = coalesce(nullif(excluded.outcome, ''), x.outcome),
			wait_seconds = CASE WHEN excluded.wait_seconds > 0 THEN excluded.wait_seconds ELSE x.wait_seconds END,
			talk_seconds = CASE WHEN excluded.talk_seconds > 0 THEN excluded.talk_seconds ELSE x.talk_seconds END,
			disposition = coalesce(nullif(excluded.disposition, ''), x.disposition),
			csat = coalesce(excluded.csat, x.csat)`,
		i.CallID, i.Agent, customer, i.Queue, i.At, i.Outcome, i.Wait, i.Talk, i.Disposition, csat)
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "23503" {
			return fmt.Errorf("record interaction %s: %w", i.CallID, notFound("customer", strconv.FormatInt(i.CustomerID, 10)))
		}
		return fmt.Errorf("record interaction %s: %w", i.CallID, err)
	}
	return nil
}

// LastInteractions returns a customer's n latest interactions, newest first, with the agent's
// wrap-up disposition and the caller's survey score where the row has none of its own.
func (c *CRM) LastInteractions(ctx context.Context, customerID int64, n int) ([]crm.Interaction, error) {
	if n <= 0 || n > 100 {
		n = 10
	}
	rows, err := c.s.pool.Query(ctx, `
		SELECT i.call_id, i.agent, coalesce(i.customer_id, 0), i.queue, i.at, i.outcome, i.wait_seconds, i.talk_seconds,
			coalesce(nullif(i.disposition, ''), w.disposition, ''), coalesce(i.csat, v.score, 0)
		FROM interactions i
		LEFT JOIN call_wrapups w ON (w.call_id, w.agent) = (i.call_id, i.agent)
		LEFT JOIN csat v ON v.call_id = i.call_id AND v.agent = i.agent
		WHERE i.customer_id = $1 ORDER BY i.at DESC, i.call_id, i.agent LIMIT $2`, customerID, n)
	if err != nil {
		return nil, fmt.Errorf("last interactions of %d: %w", customerID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (crm.Interaction, error) {
		var i crm.Interaction
		var csat int16
		err := row.Scan(&i.CallID, &i.Agent, &i.CustomerID, &i.Queue, &i.At, &i.Outcome, &i.Wait, &i.Talk, &i.Disposition, &csat)
		i.CSAT = int(csat)
		return i, err
	})
	if err != nil {
		return nil, fmt.Errorf("last interactions of %d: %w", customerID, err)
	}
	return out, nil
}
