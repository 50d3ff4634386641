package sipload

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Phone is the agent phones of a scenario: one SIP socket per listen
// address, answering, rejecting or ignoring calls by share.
type Phone struct {
	cfg   *Phones
	stats *Stats
	pacer *Pacer
	audio *Audio
	log   *slog.Logger
	eps   []*endpoint
	mode  StreamMode

	mu    sync.Mutex
	calls map[string]*phoneCall // by Call-ID
	rng   *rand.Rand
	wg    sync.WaitGroup
}

type phoneCall struct {
	mu     sync.Mutex
	sess   *sipgo.DialogServerSession
	stream *Stream
	sdpID  uint64
	sdpVer uint64
}

// NewPhone opens the phones' sockets; calls are served once Run starts.
func NewPhone(cfg *Phones, stats *Stats, pacer *Pacer, audio *Audio, log *slog.Logger) (*Phone, error) {
	p := &Phone{cfg: cfg, stats: stats, pacer: pacer, audio: audio, log: log, calls: map[string]*phoneCall{},
		rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	if cfg.Media == "echo" {
		p.mode = ModeEcho
	}
	return p, nil
}

// Addrs are the phones' SIP addresses (the real ports), known after Listen.
func (p *Phone) Addrs() []string {
	out := make([]string, len(p.eps))
	for i, ep := range p.eps {
		out[i] = ep.addr.String()
	}
	return out
}

// Listen opens the sockets and serves calls at once; ctx bounds every call
// the phones take (when it ends, calls hang up and new ones get 503).
func (p *Phone) Listen(ctx context.Context) error {
	for _, addr := range p.cfg.Listen {
		ep, err := newEndpoint(addr, p.stats, p.log, func(ep *endpoint) {
			ep.srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) { p.onInvite(ctx, ep, req, tx) })
			ep.srv.OnAck(p.onAck)
			ep.srv.OnBye(p.onBye)
		})
		if err != nil {
			p.Close()
			return err
		}
		p.eps = append(p.eps, ep)
	}
	return nil
}

// Run keeps registrations (when configured) until ctx ends, then waits for
// the calls in progress to end.
func (p *Phone) Run(ctx context.Context) error {
	if r := p.cfg.Register; r != nil {
		for _, ep := range p.eps {
			p.wg.Go(func() { p.register(ctx, ep, r) })
		}
	}
	<-ctx.Done()
	p.wg.Wait()
	return nil
}

// Close releases the sockets.
func (p *Phone) Close() {
	for _, ep := range p.eps {
		ep.close()
	}
}

func (p *Phone) call(req *sip.Request) *phoneCall {
	id := req.CallID()
	if id == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[id.Value()]
}

func (p *Phone) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if c := p.call(req); c != nil {
		c.mu.Lock()
		sess := c.sess
		c.mu.Unlock()
		if sess != nil {
			_ = sess.ReadAck(req, tx)
		}
	}
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := p.call(req)
	if c == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	if err := sess.ReadBye(req, tx); err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
	}
}

type outcome int

const (
	outAnswer outcome = iota
	outBusy
	outNoAnswer
)

func (p *Phone) pick() outcome {
	p.mu.Lock()
	x := p.rng.Float64() * (p.cfg.Answer + p.cfg.Busy + p.cfg.NoAnswer)
	p.mu.Unlock()
	switch {
	case x < p.cfg.Answer:
		return outAnswer
	case x < p.cfg.Answer+p.cfg.Busy:
		return outBusy
	}
	return outNoAnswer
}

func (p *Phone) onInvite(ctx context.Context, ep *endpoint, req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params != nil && to.Params.Has("tag") {
		c := p.call(req)
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
			return
		}
		answerReInvite(req, tx, c.stream, []uint8{PayloadPCMU, PayloadPCMA}, p.audio, p.mode, &c.mu, c.sdpID, &c.sdpVer, p.stats)
		return
	}
	p.stats.Offered.Add(1)
	if ctx.Err() != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil))
		return
	}
	offer, err := ParseSDP(req.Body())
	var pt uint8
	ok := false
	if err == nil {
		pt, ok = Negotiate(offer, []uint8{PayloadPCMU, PayloadPCMA})
	}
	if !ok {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		p.stats.Fail("", 488)
		return
	}
	sess, err := ep.dua.ReadInvite(req, tx)
	if err != nil { // no Contact, CSeq or To: count it and refuse it
		p.stats.Malformed.Add(1)
		p.log.Debug("read invite", "error", err)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	defer sess.Close()
	switch p.pick() {
	case outBusy:
		p.stats.Busy.Add(1)
		_ = sess.Respond(sip.StatusBusyHere, "Busy Here", nil)
		return
	case outNoAnswer:
		p.stats.Ignored.Add(1)
		_ = sess.Respond(sip.StatusRinging, "Ringing", nil)
		select { // until the caller gives up (CANCEL) or the run ends
		case <-sess.Context().Done():
		case <-ctx.Done():
			_ = sess.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		}
		return
	}
	_ = sess.Respond(sip.StatusRinging, "Ringing", nil)
	if d := time.Duration(p.cfg.Delay); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-sess.Context().Done(): // CANCEL
			t.Stop()
			return
		case <-ctx.Done():
			t.Stop()
			_ = sess.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
			return
		}
	}
	st, err := ListenStream(ep.addr.Addr(), &p.stats.Media)
	if err != nil {
		_ = sess.Respond(sip.StatusInternalServerError, "Server Error", nil)
		return
	}
	defer st.Close()
	c := &phoneCall{sess: sess, stream: st, sdpID: rand.Uint64() >> 1, sdpVer: 1}
	callID := req.CallID().Value()
	p.mu.Lock()
	p.calls[callID] = c
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.calls, callID)
		p.mu.Unlock()
	}()
	st.Configure(offer.Addr, pt, offer.EventPT, p.mode, p.audio)
	answer := BuildSDP(c.sdpID, c.sdpVer, Media{Addr: st.LocalAddr(), Payloads: []uint8{pt}, EventPT: offer.EventPT})
	st.ScheduleDTMF(p.cfg.DTMF)
	st.Start(time.Now()) // receive from the first packet, even before the ACK
	if err := sess.RespondSDP(answer); err != nil {
		p.log.Debug("answer", "error", err)
		return
	}
	p.stats.PhoneAns.Add(1)
	p.stats.Active.Add(1)
	defer p.stats.Active.Add(-1)
	p.pacer.Add(st)
	defer p.pacer.Remove(st)

	var talk <-chan time.Time
	if d := time.Duration(p.cfg.Talk); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		talk = t.C
	}
	select {
	case <-sess.Context().Done():
		return // the caller hung up
	case <-talk:
	case <-ctx.Done():
	}
	bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sess.Bye(bctx); err != nil {
		p.log.Debug("bye", "error", err)
	}
}

// register keeps ep registered at the registrar until ctx ends, then unregisters.
func (p *Phone) register(ctx context.Context, ep *endpoint, r *Register) {
	expires := time.Duration(r.Expires)
	if expires <= 0 {
		expires = 300 * time.Second
	}
	for {
		err := p.registerOnce(ctx, ep, r, expires)
		if err != nil {
			p.log.Warn("register", "registrar", r.Registrar, "error", err)
		}
		wait := expires / 2
		if err != nil {
			wait = 5 * time.Second
		}
		select {
		case <-ctx.Done():
			uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = p.registerOnce(uctx, ep, r, 0)
			cancel()
			return
		case <-time.After(wait):
		}
	}
}

func (p *Phone) registerOnce(ctx context.Context, ep *endpoint, r *Register, expires time.Duration) error {
	user := r.User
	if user == "" {
		user = "sbload"
	}
	var uri sip.Uri
	if err := sip.ParseUri("sip:"+r.Registrar, &uri); err != nil {
		return fmt.Errorf("registrar %q: %w", r.Registrar, err)
	}
	req := sip.NewRequest(sip.REGISTER, uri)
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: uri.Host}}
	from := &sip.FromHeader{Address: to.Address, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(to)
	req.AppendHeader(from)
	ct := ep.contact
	ct.Address.User = user
	req.AppendHeader(&ct)
	req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(int(expires.Seconds()))))
	res, err := ep.cli.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		p.stats.Auth.Add(1)
		res, err = ep.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: r.Password})
		if err != nil {
			return err
		}
	}
	if !res.IsSuccess() {
		return fmt.Errorf("register: %d %s", res.StatusCode, res.Reason)
	}
	return nil
}
