package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"switchboard/crm"
	"switchboard/internal/config"
	"switchboard/internal/router"
	"switchboard/internal/store"
	"switchboard/ivr"
)

// crmDirectory builds the caller identification of the crm: section: the local records, and
// the external CRM when one is configured (its API key from the environment variable the file
// names). Without a section it is the local records alone.
func crmDirectory(cfg *config.CRM, local *store.CRM, log *slog.Logger) (*crm.Directory, error) {
	d := &crm.Directory{Local: local, Logger: log}
	if cfg == nil {
		return d, nil
	}
	d.Pop, d.HomeCountry = cfg.PopURL, cfg.HomeCountry
	if x := cfg.External; x != nil {
		c, err := crm.NewConnector(crm.ConnectorOptions{URL: x.URL, Mapping: x.Mapping, Timeout: x.Timeout,
			Failures: x.Failures, CoolDown: x.CoolDown, APIKey: x.APIKey(os.Getenv), APIKeyHeader: x.APIKeyHeader, Logger: log})
		if err != nil {
			return nil, err
		}
		d.Remote = c
	}
	return d, nil
}

// crmLive is what the crm: section decides at run time; a reload replaces it whole.
type crmLive struct {
	dir        *crm.Directory
	segments   crm.SegmentPolicy
	reopenDays int
}

// newCRMLive builds the run-time side of a crm: section (nil: none).
func newCRMLive(cfg *config.CRM, local *store.CRM, log *slog.Logger) (*crmLive, error) {
	dir, err := crmDirectory(cfg, local, log)
	if err != nil {
		return nil, err
	}
	l := &crmLive{dir: dir, reopenDays: crm.DefaultReopenDays}
	if cfg != nil {
		l.segments = cfg.Segments
		if cfg.ReopenDays > 0 {
			l.reopenDays = cfg.ReopenDays
		}
	}
	return l, nil
}

// crmOptions are the CRM store's options from the crm: section.
func crmOptions(cfg *config.CRM) store.CRMOptions {
	if cfg == nil {
		return store.CRMOptions{}
	}
	return store.CRMOptions{HomeCountry: cfg.HomeCountry}
}

// ivrLookup answers the IVR's lookup nodes from the directory: by the caller's number, or by
// the account number the caller entered. Sensitive digits (a PIN) are looked up in the local
// records only: the external CRM gets its keys in the URL, and a secret has no place in one.
func ivrLookup(live func() *crmLive) func(context.Context, router.LookupQuery) (ivr.Customer, bool, error) {
	return func(ctx context.Context, q router.LookupQuery) (ivr.Customer, bool, error) {
		dir := live().dir
		number, account := q.Number, ""
		if q.By == "var" {
			number, account = "", q.Account
		}
		identify := dir.Identify
		if q.Sensitive {
			identify = dir.Local.Identify
		}
		cands, err := identify(ctx, number, account)
		if err != nil || len(cands) == 0 {
			return ivr.Customer{}, false, err
		}
		return cands[0].IVR(), true, nil
	}
}

// classifier identifies a caller about to join a queue and applies the segment policy: a VIP
// may go to a dedicated queue or up in priority. The call is tagged with the segment, and with
// the customer id when the caller matched exactly one customer.
func classifier(live func() *crmLive) func(context.Context, router.ClassifyQuery) (router.Classification, bool, error) {
	return func(ctx context.Context, q router.ClassifyQuery) (router.Classification, bool, error) {
		l := live()
		policy := l.segments
		cands, err := l.dir.Identify(ctx, q.Number, q.Account)
		if err != nil || len(cands) == 0 {
			return router.Classification{}, false, err
		}
		queue, priority := policy.Route(cands, q.Queue, q.Priority)
		seg, _ := policy.Best(cands)
		data := map[string]string{"segment": string(seg)}
		if len(cands) == 1 && cands[0].ID > 0 {
			data["customer"] = strconv.FormatInt(cands[0].ID, 10)
		}
		return router.Classification{Queue: queue, Priority: priority, Data: data}, true, nil
	}
}

// ticketKPIs gives the reports first-contact resolution and the reopen rate of the tickets
// resolved in a range; ok is false when none were.
func ticketKPIs(c *store.CRM, live func() *crmLive) func(ctx context.Context, from, to time.Time, queues []string) (float64, float64, bool, error) {
	return func(ctx context.Context, from, to time.Time, queues []string) (float64, float64, bool, error) {
		k, err := c.TicketKPIs(ctx, crm.KPIQuery{From: from, To: to, Queues: queues, ReopenDays: live().reopenDays})
		if err != nil || k.Resolved == 0 {
			return 0, 0, false, err
		}
		return k.FCR, k.ReopenRate, true, nil
	}
}

// crmDirectory is the customer directory in force (it changes on reload).
func (d *daemon) crmDirectory() *crm.Directory { return d.crmLive.Load().dir }
