package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/router"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// PopFigures measure the screen pop: one desktop per agent connected to the pop stream over
// HTTP (server-sent events, as in production), and the time from the engine's offer (seen by
// the router's observer) to the offered pop parsed by the agent's desktop.
type PopFigures struct {
	Clients   int       `json:"clients"`
	Offers    int64     `json:"offers"`
	Delivered int       `json:"delivered"` // offered pops received by the offered agent's desktop
	Latency   Quantiles `json:"offer_to_pop"`
	// HubP99 bounds the p99 of the hub's part, offer → pop handed to the desktops' handlers
	// (the switchboard_screenpop_offer_seconds bucket holding the 99th percentile).
	HubP99 time.Duration `json:"hub_p99_le_ns"`
}

// pops is the screen-pop rig: hub, HTTP side, and a desktop per agent.
type pops struct {
	hub     *screenpop.Hub
	srv     *http.Server
	offered sync.Map // call id → time.Time of the offer
	offers  atomic.Int64
	lat     latencies
	reg     *prometheus.Registry
	clients sync.WaitGroup
	stop    context.CancelFunc
	n       int
}

// startPops starts the hub and the HTTP side on a loopback port and connects one desktop per
// agent; it returns once every desktop has its first (idle) pop.
func startPops(ctx context.Context, agents []string, log *slog.Logger) (*pops, error) {
	reg := prometheus.NewRegistry()
	p := &pops{hub: screenpop.New(screenpop.Options{Logger: log, Buffer: 64, Registerer: reg}), n: len(agents), reg: reg}
	users := &sessions{byToken: map[string]*account.Session{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.srv = &http.Server{Handler: web.Handler(web.Options{Users: users, Live: func() web.Live { return web.Live{} },
		Pops: screenpop.Feed{Hub: p.hub}, Logger: log}), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	rctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go p.hub.Run(rctx)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(agents)}}
	for i, a := range agents {
		users.byToken["lt-"+a] = &account.Session{User: account.User{ID: int64(i + 1), Username: a, Role: "agent", AgentID: a}, CSRF: "x",
			ExpiresAt: time.Now().Add(24 * time.Hour)}
	}
	ready := make(chan error, len(agents))
	for _, a := range agents {
		token := "lt-" + a
		p.clients.Add(1)
		go func() {
			defer p.clients.Done()
			p.desktop(rctx, client, "http://"+ln.Addr().String()+"/api/agent/pop/stream", token, a, ready)
		}()
	}
	for range agents {
		select {
		case err := <-ready:
			if err != nil {
				p.close()
				return nil, err
			}
		case <-ctx.Done():
			p.close()
			return nil, ctx.Err()
		}
	}
	return p, nil
}

// desktop reads one agent's stream: it tells ready once, on the first pop or the failure to
// connect, then times every offered pop for this agent.
func (p *pops) desktop(ctx context.Context, c *http.Client, url, token, agent string, ready chan<- error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.AddCookie(&http.Cookie{Name: "sb_session", Value: token})
	resp, err := c.Do(req)
	if err != nil {
		ready <- fmt.Errorf("pop stream of %s: %w", agent, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		ready <- fmt.Errorf("pop stream of %s: %s", agent, resp.Status)
		return
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4<<10), 1<<20)
	first := true
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
		if !ok {
			continue
		}
		if first {
			first = false
			ready <- nil
		}
		var pop struct {
			Kind   string `json:"kind"`
			Agent  string `json:"agent"`
			CallID string `json:"call_id"`
		}
		if json.Unmarshal(data, &pop) != nil || pop.Kind != screenpop.KindOffered || pop.Agent != agent {
			continue
		}
		if at, ok := p.offered.LoadAndDelete(pop.CallID); ok {
			p.lat.add(time.Since(at.(time.Time)))
		}
	}
	if first {
		ready <- fmt.Errorf("pop stream of %s: closed before the first pop", agent)
	}
}

// observe notes the moment of each offer and hands the event to the hub (router Observers).
func (p *pops) observe(ev acd.Event) {
	if o, ok := ev.(acd.CallOffered); ok {
		p.offers.Add(1)
		p.offered.Store(o.Call, time.Now())
	}
	p.hub.Observe(ev)
}

// wire adds the hub to the router's options.
func (p *pops) wire(o *router.Options) {
	o.Observers = append(o.Observers, p.observe) // the router's facts come with the engine's events
}

func (p *pops) figures() *PopFigures {
	n, q := p.lat.summary()
	return &PopFigures{Clients: p.n, Offers: p.offers.Load(), Delivered: n, Latency: q, HubP99: p.hubP99()}
}

// hubP99 is the upper bound of the offer-delay bucket that holds the 99th percentile.
func (p *pops) hubP99() time.Duration {
	mfs, err := p.reg.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() != "switchboard_screenpop_offer_seconds" || len(mf.Metric) == 0 {
			continue
		}
		h := mf.Metric[0].GetHistogram()
		for _, b := range h.GetBucket() {
			if float64(b.GetCumulativeCount()) >= 0.99*float64(h.GetSampleCount()) {
				return time.Duration(b.GetUpperBound() * float64(time.Second))
			}
		}
	}
	return 0
}

func (p *pops) close() {
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p.stop()
	_ = p.srv.Shutdown(sctx)
	p.srv.Close()
	p.clients.Wait()
}

// sessions are the desktops' sessions, made without passwords.
type sessions struct {
	mu      sync.Mutex
	byToken map[string]*account.Session
}

func (s *sessions) UserByName(context.Context, string) (*account.User, error) {
	return nil, store.ErrNotFound
}

func (s *sessions) CreateSession(context.Context, int64, string, string, time.Time) error {
	return fmt.Errorf("loadtest: no logins")
}

func (s *sessions) SessionByToken(_ context.Context, token string, _ time.Time) (*account.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byToken[token]; ok {
		return ss, nil
	}
	return nil, store.ErrNotFound
}

func (s *sessions) DeleteSession(context.Context, string, time.Time) error { return nil }
