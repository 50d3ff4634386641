package sipload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Caller places the calls of a scenario's callers section.
type Caller struct {
	cfg    *Callers
	stats  *Stats
	pacer  *Pacer
	audio  *Audio
	log    *slog.Logger
	ep     *endpoint
	host   string
	port   int
	codecs []uint8

	mu    sync.Mutex
	calls map[string]*callLeg // by Call-ID
	wg    sync.WaitGroup
}

// callLeg is what the request handlers need of a call in progress.
type callLeg struct {
	mu     sync.Mutex
	sess   *sipgo.DialogClientSession
	stream *Stream
	ended  chan struct{} // closed when the far end sent BYE
	once   sync.Once
	told   chan struct{} // closed when the operator asks for a hang-up
	tell   sync.Once
	sdpID  uint64
	sdpVer uint64
	callID string
}

// NewCaller opens the callers' SIP socket.
func NewCaller(cfg *Callers, stats *Stats, pacer *Pacer, audio *Audio, log *slog.Logger) (*Caller, error) {
	host, portStr, err := net.SplitHostPort(cfg.Target)
	if err != nil {
		host, portStr = cfg.Target, "5060"
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("callers.target %q: bad port", cfg.Target)
	}
	c := &Caller{cfg: cfg, stats: stats, pacer: pacer, audio: audio, log: log, host: host, port: port, calls: map[string]*callLeg{}}
	for _, name := range cfg.Codecs {
		pt, err := ParseCodec(name)
		if err != nil {
			return nil, err
		}
		c.codecs = append(c.codecs, pt)
	}
	listen := cfg.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	c.ep, err = newEndpoint(listen, stats, log, func(ep *endpoint) {
		ep.srv.OnBye(c.onBye)
		ep.srv.OnInvite(c.onReInvite)
		ep.srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Addr is the callers' SIP address.
func (c *Caller) Addr() string { return c.ep.addr.String() }

// Close releases the socket; calls must be over (Run returned).
func (c *Caller) Close() { c.ep.close() }

func (c *Caller) leg(req *sip.Request) *callLeg {
	id := req.CallID()
	if id == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id.Value()]
}

func (c *Caller) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := c.leg(req)
	if l == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	l.mu.Lock()
	sess := l.sess
	l.mu.Unlock()
	if sess == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	} else if err := sess.ReadBye(req, tx); err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	}
	l.once.Do(func() { close(l.ended) })
}

// onReInvite answers a re-INVITE within a call: the far end may move media.
func (c *Caller) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	l := c.leg(req)
	if l == nil || req.To() == nil || req.To().Params == nil || !req.To().Params.Has("tag") {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return
	}
	answerReInvite(req, tx, l.stream, c.codecs, c.audio, ModePlay, &l.mu, l.sdpID, &l.sdpVer, c.stats)
}

// answerReInvite takes a new offer (or none) and answers with the stream's address.
func answerReInvite(req *sip.Request, tx sip.ServerTransaction, st *Stream, codecs []uint8, audio *Audio, mode StreamMode, mu *sync.Mutex, id uint64, ver *uint64, stats *Stats) {
	if body := req.Body(); len(body) > 0 {
		offer, err := ParseSDP(body)
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		pt, ok := Negotiate(offer, codecs)
		if !ok {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
			return
		}
		st.Configure(offer.Addr, pt, offer.EventPT, mode, audio)
		codecs = []uint8{pt}
	}
	mu.Lock()
	*ver++
	v := *ver
	mu.Unlock()
	stats.ReInvites.Add(1)
	_ = tx.Respond(sip.NewSDPResponseFromRequest(req, BuildSDP(id, v, Media{Addr: st.LocalAddr(), Payloads: codecs, EventPT: int(DefaultEventPayload)})))
}

// Run places calls until ctx ends or the scenario's duration or max_calls is
// reached, then waits for the calls in progress. Ending ctx also ends the
// calls in progress: ringing ones are cancelled, answered ones hang up.
func (c *Caller) Run(ctx context.Context, duration time.Duration) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	deadline := time.Now().Add(duration)
	var sem chan struct{}
	if c.cfg.Concurrency > 0 {
		sem = make(chan struct{}, c.cfg.Concurrency)
	}
	var interval time.Duration
	if c.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / c.cfg.Rate)
	}
	next := time.Now()
	for n := 0; c.cfg.MaxCalls == 0 || n < c.cfg.MaxCalls; n++ {
		acquired := false
		if sem != nil {
			wait := time.NewTimer(time.Until(deadline))
			select {
			case sem <- struct{}{}:
				acquired = true
			case <-ctx.Done():
			case <-wait.C:
			}
			wait.Stop()
		}
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
			next = next.Add(interval)
			if behind := time.Since(next); behind > time.Second {
				// Held back (concurrency cap, slow host): do not burst to catch up.
				next = time.Now()
			}
		}
		if ctx.Err() != nil || time.Now().After(deadline) || (sem != nil && !acquired) {
			if acquired {
				<-sem
			}
			break
		}
		class := c.pickClass(rng)
		from, to := c.cfg.From.Pick(rng), c.cfg.To.Pick(rng)
		c.wg.Go(func() {
			c.Call(ctx, class, from, to)
			if sem != nil {
				<-sem
			}
		})
	}
	c.wg.Wait()
}

func (c *Caller) pickClass(rng *rand.Rand) *Class {
	var sum float64
	for i := range c.cfg.Classes {
		sum += c.cfg.Classes[i].Share
	}
	x := rng.Float64() * sum
	for i := range c.cfg.Classes {
		if x < c.cfg.Classes[i].Share {
			return &c.cfg.Classes[i]
		}
		x -= c.cfg.Classes[i].Share
	}
	return &c.cfg.Classes[len(c.cfg.Classes)-1]
}

// HangupAll tells every call in progress to hang up now (a BYE for answered
// calls; calls still ringing keep ringing) and returns how many were told.
func (c *Caller) HangupAll() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, leg := range c.calls {
		leg.tell.Do(func() { close(leg.told) })
	}
	return len(c.calls)
}

// Call places one call and returns when it is over. A call ends after the
// class's talk time, on the far end's BYE, when told (HangupAll), or when ctx
// ends (it hangs up).
func (c *Caller) Call(ctx context.Context, class *Class, from, to string) {
	c.stats.Attempt(class.Name)
	st, err := ListenStream(c.ep.addr.Addr(), &c.stats.Media)
	if err != nil {
		c.log.Warn("rtp socket", "error", err)
		c.stats.Fail(class.Name, 0)
		return
	}
	defer st.Close()
	leg := &callLeg{stream: st, ended: make(chan struct{}), told: make(chan struct{}), sdpID: rand.Uint64() >> 1, sdpVer: 1}
	offer := BuildSDP(leg.sdpID, leg.sdpVer, Media{Addr: st.LocalAddr(), Payloads: c.codecs, EventPT: int(DefaultEventPayload)})

	recipient := sip.Uri{Scheme: "sip", User: to, Host: c.host, Port: c.port}
	var sess *sipgo.DialogClientSession
	var setup time.Duration
	for redirects := 0; ; redirects++ {
		sess, setup, err = c.invite(ctx, class, leg, recipient, from, offer)
		var de *sipgo.ErrDialogResponse
		if err != nil && errors.As(err, &de) && de.Res.StatusCode/100 == 3 && redirects < 3 {
			if ct := de.Res.Contact(); ct != nil {
				c.stats.Redirects.Add(1)
				recipient = ct.Address
				continue
			}
		}
		break
	}
	if err != nil {
		var de *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &de):
			c.stats.Fail(class.Name, de.Res.StatusCode)
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
			c.stats.Abandon(class.Name)
		default:
			c.stats.Fail(class.Name, 0)
			c.log.Debug("invite failed", "error", err)
		}
		return
	}
	defer c.forget(leg.callID)
	c.stats.Answer(class.Name, setup)
	c.stats.Active.Add(1)
	defer c.stats.Active.Add(-1)

	if err := sess.Ack(ctx); err != nil {
		c.log.Debug("ack failed", "error", err)
	}
	answer, err := ParseSDP(sess.InviteResponse.Body())
	pt, ok := Negotiate(answer, c.codecs)
	if err == nil && ok {
		st.Configure(answer.Addr, pt, answer.EventPT, ModePlay, c.audio)
		st.ScheduleDTMF(class.DTMF)
		st.Start(time.Now())
		c.pacer.Add(st)
		defer c.pacer.Remove(st)
	} else {
		c.log.Debug("no usable sdp answer", "error", err)
	}

	talk := time.NewTimer(time.Duration(class.Talk))
	defer talk.Stop()
	select {
	case <-leg.ended:
		c.stats.RemoteBye.Add(1)
		c.stats.Completed.Add(1)
		return
	case <-talk.C:
	case <-leg.told:
		c.stats.Told.Add(1)
	case <-ctx.Done():
	}
	bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sess.Bye(bctx); err != nil {
		select {
		case <-leg.ended: // BYEs crossed
		default:
			c.log.Debug("bye failed", "error", err)
		}
	}
	c.stats.Completed.Add(1)
}

// invite sends one INVITE and waits for the answer within the class's patience.
func (c *Caller) invite(ctx context.Context, class *Class, leg *callLeg, recipient sip.Uri, from string, offer []byte) (*sipgo.DialogClientSession, time.Duration, error) {
	req := sip.NewRequest(sip.INVITE, recipient)
	req.SetBody(offer)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	fromHdr := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: c.ep.addr.Addr().String()}}
	fromHdr.Params = sip.NewParams()
	fromHdr.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(fromHdr)
	callID := sip.CallIDHeader(sip.GenerateTagN(24) + "@sbload")
	req.AppendHeader(&callID)

	c.mu.Lock()
	c.calls[string(callID)] = leg
	c.mu.Unlock()
	leg.callID = string(callID)

	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, time.Duration(class.Patience))
	defer cancel()
	sess, err := c.ep.dua.WriteInvite(actx, req)
	if err != nil {
		c.forget(string(callID))
		return nil, 0, err
	}
	leg.mu.Lock()
	leg.sess = sess
	leg.mu.Unlock()
	opts := sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
		if r.StatusCode == sip.StatusUnauthorized || r.StatusCode == sip.StatusProxyAuthRequired {
			c.stats.Auth.Add(1)
		}
		return nil
	}}
	if a := c.cfg.Auth; a != nil {
		opts.Username, opts.Password = a.User, a.Password
	}
	if err := sess.WaitAnswer(actx, opts); err != nil {
		c.forget(string(callID))
		if actx.Err() != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			// WaitAnswer reports a CANCEL that got its 487 as the context's error.
			err = fmt.Errorf("patience: %w", context.DeadlineExceeded)
		}
		return nil, 0, err
	}
	return sess, time.Since(start), nil
}

func (c *Caller) forget(callID string) {
	c.mu.Lock()
	delete(c.calls, callID)
	c.mu.Unlock()
}
