package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/internal/account"
	"switchboard/recording"
)

var _ recording.Index = (*Store)(nil)

const recordingColumns = `name, call_id, queue, agent, number, customer, ticket, started_at, duration_ms, size_bytes, format, sha256, path`

func scanRecording(row pgx.Row) (recording.Recording, error) {
	var r recording.Recording
	var ms int64
	err := row.Scan(&r.Name, &r.CallID, &r.Queue, &r.Agent, &r.Number, &r.Customer, &r.Ticket, &r.Started, &ms,
		&r.Size, &r.Format, &r.SHA256, &r.Path)
	r.Duration = time.Duration(ms) * time.Millisecond
	return r, err
}

func recordingArgs(r recording.Recording) []any {
	return []any{r.Name, r.CallID, r.Queue, r.Agent, r.Number, r.Customer, r.Ticket, r.Started,
		r.Duration.Milliseconds(), r.Size, r.Format, r.SHA256, r.Path}
}

// IndexRecording writes one recording's row; indexing the same name again replaces it.
func (s *Store) IndexRecording(ctx context.Context, r recording.Recording) error {
	if r.Name == "" || r.Started.IsZero() {
		return errors.New("index recording: name and start time are required")
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO recordings (`+recordingColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (name) DO UPDATE SET call_id = excluded.call_id, queue = excluded.queue,
			agent = excluded.agent, number = excluded.number, customer = excluded.customer,
			ticket = excluded.ticket, started_at = excluded.started_at, duration_ms = excluded.duration_ms,
			size_bytes = excluded.size_bytes, format = excluded.format, sha256 = excluded.sha256,
			path = excluded.path, indexed_at = now()`, recordingArgs(r)...)
	if err != nil {
		return fmt.Errorf("index recording %s: %w", r.Name, err)
	}
	return nil
}

// IndexRecordings bulk-loads new recordings with COPY (imports, benchmarks); a name already
// indexed fails the whole batch.
func (s *Store) IndexRecordings(ctx context.Context, rs []recording.Recording) error {
	cols := strings.Split(strings.ReplaceAll(recordingColumns, " ", ""), ",")
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"recordings"}, cols, pgx.CopyFromSlice(len(rs), func(i int) ([]any, error) {
		return recordingArgs(rs[i]), nil
	}))
	if err != nil {
		return fmt.Errorf("index recordings: %w", err)
	}
	return nil
}

// Recording returns one recording's row.
func (s *Store) Recording(ctx context.Context, name string) (*recording.Recording, error) {
	r, err := scanRecording(s.pool.QueryRow(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("recording", name)
	}
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", name, err)
	}
	return &r, nil
}

// DeleteRecording removes a recording's row (not its file).
func (s *Store) DeleteRecording(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM recordings WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete recording %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("recording", name)
	}
	return nil
}

func encodeCursor(r recording.Recording) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(r.Started.UnixMicro(), 10) + ":" + r.Name))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", recording.ErrBadCursor
	}
	us, name, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil {
		return time.Time{}, "", recording.ErrBadCursor
	}
	return time.UnixMicro(n), name, nil
}

// crmLinked is the condition of a customer or ticket filter: the recording's own column, or,
// when v is a CRM id, a call the CRM links to it (links made after the recording was indexed,
// which is when the router learns nothing of them). Every ? in calls stands for the one
// argument v.
func crmLinked(col, calls, v string) string {
	if id, err := strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
		return col + " = ?"
	}
	return "(" + col + " = ? OR call_id IN (" + strings.ReplaceAll(calls, "?", "?::text::bigint") + "))"
}

// SearchRecordings returns up to limit recordings matching f, newest first, and the cursor of
// the next page ("" when this is the last). cursor is "" for the first page.
func (s *Store) SearchRecordings(ctx context.Context, f recording.Query, limit int, cursor string) ([]recording.Recording, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if f.Queues != nil && len(f.Queues) == 0 {
		return nil, "", nil
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !f.From.IsZero() {
		add("started_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("started_at < ?", f.To)
	}
	if f.Queues != nil {
		add("queue = ANY(?)", f.Queues)
	}
	for _, kv := range []struct{ col, v string }{{"queue", f.Queue}, {"agent", f.Agent}, {"number", f.Number},
		{"call_id", f.CallID}} {
		if kv.v != "" {
			add(kv.col+" = ?", kv.v)
		}
	}
	if f.Customer != "" {
		add(crmLinked("customer", `SELECT call_id FROM interactions WHERE customer_id = ?
			UNION SELECT tc.call_id FROM ticket_calls tc JOIN tickets t ON t.id = tc.ticket_id WHERE t.customer_id = ?`, f.Customer), f.Customer)
	}
	if f.Ticket != "" {
		add(crmLinked("ticket", `SELECT call_id FROM ticket_calls WHERE ticket_id = ?`, f.Ticket), f.Ticket)
	}
	if f.MinDuration > 0 {
		add("duration_ms >= ?", f.MinDuration.Milliseconds())
	}
	if f.MaxDuration > 0 {
		add("duration_ms <= ?", f.MaxDuration.Milliseconds())
	}
	if cursor != "" {
		at, name, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", fmt.Errorf("search recordings: %w", err)
		}
		args = append(args, at, name)
		where = append(where, fmt.Sprintf("(started_at, name) < ($%d, $%d)", len(args)-1, len(args)))
	}
	q := `SELECT ` + recordingColumns + ` FROM recordings`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY started_at DESC, name DESC LIMIT %d", limit+1)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("search recordings: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recording.Recording, error) { return scanRecording(row) })
	if err != nil {
		return nil, "", fmt.Errorf("search recordings: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeCursor(out[limit-1])
	}
	return out, next, nil
}

// RecordingsToPurge returns up to limit recordings older than their queue's retention at now:
// keep maps a queue to its retention, def applies to the others; 0 keeps forever.
func (s *Store) RecordingsToPurge(ctx context.Context, now time.Time, keep map[string]time.Duration, def time.Duration, limit int) ([]recording.Recording, error) {
	queues := make([]string, 0, len(keep))
	secs := make([]int64, 0, len(keep))
	for q, d := range keep {
		queues = append(queues, q)
		secs = append(secs, int64(d/time.Second))
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+recordingColumns+` FROM (
			SELECT r.*, coalesce(k.keep_s, $3) AS keep_s FROM recordings r
			LEFT JOIN unnest($1::text[], $2::bigint[]) AS k(q, keep_s) ON k.q = r.queue) x
		WHERE keep_s > 0 AND started_at + make_interval(secs => keep_s) <= $4
		ORDER BY started_at LIMIT $5`, queues, secs, int64(def/time.Second), now, limit)
	if err != nil {
		return nil, fmt.Errorf("recordings to purge: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recording.Recording, error) { return scanRecording(row) })
	if err != nil {
		return nil, fmt.Errorf("recordings to purge: %w", err)
	}
	return out, nil
}

// Audit writes one audit row.
func (s *Store) Audit(ctx context.Context, e account.AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, actor, action, object, detail) VALUES ($1, $2, $3, $4, $5)`,
		e.At, e.Actor, e.Action, e.Object, e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// AuditTrail returns the audit rows of an object, oldest first.
func (s *Store) AuditTrail(ctx context.Context, object string) ([]account.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, actor, action, object, detail FROM audit WHERE object = $1 ORDER BY at, id`, object)
	if err != nil {
		return nil, fmt.Errorf("audit trail %s: %w", object, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (account.AuditEntry, error) {
		var e account.AuditEntry
		err := row.Scan(&e.At, &e.Actor, &e.Action, &e.Object, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit trail %s: %w", object, err)
	}
	return out, nil
}
