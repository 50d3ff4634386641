package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"switchboard/acd"
)

// WaitingCall is a waiting call as the wallboard shows it: who is calling and what they chose
// in the IVR, beside the engine's place in the queue.
type WaitingCall struct {
	WaitingRow
	Caller     string        `json:"caller"` // the caller's number; "" withheld or not known
	CustomerID string        `json:"customer_id,omitempty"`
	Customer   string        `json:"customer"` // the customer's name, when the call was matched to one
	Segment    string        `json:"segment"`  // standard, vip, b2b; "" unknown
	Language   string        `json:"language"` // chosen in the IVR, else the customer's
	IVR        []acd.IVRStep `json:"ivr"`      // the menu nodes visited and what was pressed
	IVRPath    string        `json:"ivr_path"` // the choices with the menus' own labels
}

// waitingCalls returns the waiting calls of the session's queues with what is known of their
// callers: the number and IVR path from the caller book, the segment and language the call is
// queued with, the customer's name from the customer records.
func (s *server) waitingCalls(r *http.Request) ([]WaitingCall, error) {
	all, err := s.opt.Desktop.WaitingCalls(r.Context())
	if err != nil {
		return nil, err
	}
	inScope := queueScope(sessionFrom(r.Context()).User)
	out := []WaitingCall{}
	for _, v := range all {
		if inScope != nil && !inScope(v.Queue) {
			continue
		}
		c := WaitingCall{WaitingRow: WaitingRow{ID: v.ID, Queue: v.Queue, Priority: v.Priority, Position: v.Position, Waited: v.Waited.Seconds()},
			IVR: []acd.IVRStep{}}
		// The engine's clock moves with its events; the wait goes on between them.
		if !v.EnqueuedAt.IsZero() {
			c.Waited = max(c.Waited, time.Since(v.EnqueuedAt).Seconds())
		}
		if info, ok := s.opt.Callers.Caller(v.ID); ok {
			c.Caller = info.Number
			if info.Path != nil {
				c.IVR = info.Path
			}
			var cfg IVR
			if s.opt.IVR != nil {
				cfg = s.opt.IVR()
			}
			c.IVRPath = ivrChoices(cfg, info.DID, c.IVR, langOf(r))
		}
		c.Segment, c.Language, c.CustomerID = v.Data["segment"], v.Data["language"], v.Data["customer"]
		if c.CustomerID != "" {
			if who, ok := s.customerOf(r.Context(), c.CustomerID); ok {
				c.Customer = who.name
				if c.Segment == "" {
					c.Segment = who.segment
				}
				if c.Language == "" {
					c.Language = who.language
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// customerCache keeps the customers' names a while, so that a wallboard open on many screens
// asks the customer records once per customer, not once per screen and second.
type customerCache struct {
	mu sync.Mutex
	m  map[string]cachedCustomer
}

type cachedCustomer struct {
	name, segment, language string
	found                   bool
	at                      time.Time
}

const (
	customerCacheTTL = 30 * time.Second
	customerCacheMax = 10000
)

// customerOf returns a customer's name, segment and language by id, from the cache when fresh.
func (s *server) customerOf(ctx context.Context, id string) (cachedCustomer, bool) {
	if s.opt.CRM == nil {
		return cachedCustomer{}, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return cachedCustomer{}, false
	}
	cache := &s.customers
	cache.mu.Lock()
	c, ok := cache.m[id]
	cache.mu.Unlock()
	if ok && time.Since(c.at) < customerCacheTTL {
		return c, c.found
	}
	cust, err := s.opt.CRM.Customer(ctx, n)
	if err != nil && !isNotFound(err) {
		if ctx.Err() == nil {
			s.opt.Logger.Warn("waiting call's customer", "customer", id, "err", err)
		}
		return cachedCustomer{}, false
	}
	c = cachedCustomer{at: time.Now()}
	if err == nil && cust != nil {
		c.name, c.segment, c.language, c.found = cust.Name, string(cust.Segment), cust.Language, true
	}
	cache.mu.Lock()
	if cache.m == nil || len(cache.m) >= customerCacheMax {
		cache.m = map[string]cachedCustomer{}
	}
	cache.m[id] = c
	cache.mu.Unlock()
	return c, c.found
}

// agentNames maps the agents' ids to their names ("" without the desktop part).
func (s *server) agentNames(ctx context.Context) map[string]string {
	out := map[string]string{}
	if s.opt.Desktop == nil {
		return out
	}
	all, err := s.opt.Desktop.Agents(ctx)
	if err != nil {
		return out
	}
	for _, a := range all {
		if a.Name != "" {
			out[a.ID] = a.Name
		}
	}
	return out
}
