package router

import (
	"context"
	"strings"
	"time"

	"switchboard/acd"
)

// A supervisor's monitoring session (traces/snoop-whisper.jsonl): a snoop channel on the
// agent's leg and the supervisor's phone, rung into the application, in a mixing bridge of
// their own. The snoop's directions make the mode: monitor hears both sides and says nothing,
// whisper speaks to the agent only, barge to both. Changing the mode replaces the snoop. The
// session ends when the supervisor stops it, the phone hangs up or the agent's leg goes (a
// snoop ends with its target); then the rest is hung up and the end is audited. With several
// nodes all of it is made on the call's node, the supervisor's phone rung through the trunk
// when it is on another.

// Monitor modes.
const (
	ModeMonitor = "monitor"
	ModeWhisper = "whisper"
	ModeBarge   = "barge"
)

var modeWhisper = map[string]string{ModeMonitor: "none", ModeWhisper: "out", ModeBarge: "both"}

// MonitorRequest asks for a session, or a new mode of the supervisor's session.
type MonitorRequest struct {
	Supervisor string // the user
	Agent      string
	Mode       string // ModeMonitor, ModeWhisper or ModeBarge
	Endpoint   string // the supervisor's phone: one of Config.DeskEndpoints
	// InScope says which queues the supervisor sees; the agent must be in one. nil: all.
	InScope func(queue string) bool
}

// MonitorSession is a supervisor's session.
type MonitorSession struct {
	ID         string
	Supervisor string
	Agent      string
	Call       string
	Mode       string
	Endpoint   string
	Started    time.Time
	Up         bool // the supervisor's phone answered and hears the call
}

// MonitorEnded is a session that ended, for the audit.
type MonitorEnded struct {
	MonitorSession
	Ended time.Time
}

type monitor struct {
	MonitorSession
	snoop, phone, bridge string
	ending               bool
	w                    *worker // the session's requests, in order
}

// OnMonitorEnded sets what is told of every session that ends (the audit); f is called off
// the owner goroutine with a context bounding it.
func (k *Controls) OnMonitorEnded(f func(context.Context, MonitorEnded)) { k.c.audit.Store(&f) }

// Monitor starts the supervisor's session on the agent's connected call, or changes its mode.
func (k *Controls) Monitor(ctx context.Context, req MonitorRequest) (MonitorSession, error) {
	x := k.c
	if _, ok := modeWhisper[req.Mode]; !ok {
		return MonitorSession{}, invalid("mode is monitor, whisper or barge")
	}
	if err := CheckEndpoint(req.Endpoint); err != nil {
		return MonitorSession{}, err
	}
	if x.port == nil {
		return MonitorSession{}, errNoControls
	}
	type res struct {
		s   MonitorSession
		err error
	}
	done := make(chan res, 1)
	x.post(func() {
		s, err := x.startMonitor(req)
		done <- res{s, err}
	})
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return MonitorSession{}, ctx.Err()
	}
}

// agentCallOf finds the agent's connected call, on the owner.
func (x *controls) agentCallOf(agent string, inScope func(string) bool) (*call, error) {
	v, ok := x.eng.Agent(agent)
	if !ok {
		return nil, &acd.Error{Code: acd.ENotFound, Message: "no agent " + agent}
	}
	seen := inScope == nil
	for _, m := range v.Queues {
		seen = seen || inScope(m.Queue)
	}
	if !seen {
		return nil, &acd.Error{Code: acd.ENotFound, Message: "no agent " + agent}
	}
	c := x.calls[v.Call]
	if c == nil || c.conn.agent != agent || c.conn.agentChan == "" || c.conn.bridge == "" {
		return nil, &acd.Error{Code: acd.EConflict, Message: "agent " + agent + " is not on a call"}
	}
	return c, nil
}

func (x *controls) startMonitor(req MonitorRequest) (MonitorSession, error) {
	if err := EndpointAllowed(req.Endpoint, x.cfg.DeskEndpoints); err != nil {
		return MonitorSession{}, err
	}
	if err := x.u.recon.phoneOnNode(req.Endpoint); err != nil {
		return MonitorSession{}, err
	}
	c, err := x.agentCallOf(req.Agent, req.InScope)
	if err != nil {
		return MonitorSession{}, err
	}
	m := x.sessionOf(req.Supervisor)
	if m != nil && (m.Agent != req.Agent || m.Call != c.id) {
		return MonitorSession{}, &acd.Error{Code: acd.EConflict, Message: "stop the session with agent " + m.Agent + " first"}
	}
	if m != nil && m.Mode == req.Mode {
		return m.MonitorSession, nil
	}
	fresh := m == nil
	phoneDial := ""
	if fresh {
		if phoneDial, err = x.phoneFor(c, req.Endpoint); err != nil {
			return MonitorSession{}, err
		}
		id := x.idOn(c, "mon", "s")
		m = &monitor{MonitorSession: MonitorSession{ID: id, Supervisor: req.Supervisor, Agent: req.Agent, Call: c.id,
			Endpoint: req.Endpoint, Started: x.clock.Now()}, bridge: "sb-" + id, phone: "sb-" + id + "-p", w: &worker{act: x.u.ex.act}}
		x.mons[id] = m
		x.legs[m.phone] = id
	}
	old := m.snoop
	if old != "" {
		delete(x.legs, old)
	}
	m.Mode, m.snoop = req.Mode, x.idOn(c, "sb-snp", "x")
	x.legs[m.snoop] = m.ID
	x.log.Info("supervisor monitoring", "session", m.ID, "supervisor", m.Supervisor, "agent", m.Agent, "call", c.id, "mode", m.Mode)
	sn := Snoop{ID: m.snoop, Spy: "both", Whisper: modeWhisper[m.Mode], AppArgs: "snoop," + m.ID}
	target, s := c.conn.agentChan, m.MonitorSession
	bridge, phone := m.bridge, m.phone
	m.w.do(func(ctx context.Context) {
		if fresh {
			if err := x.tel.CreateBridge(ctx, bridge, "mixing"); err != nil {
				x.monitorFailed(s.ID, err)
				return
			}
		}
		if err := x.port.Snoop(ctx, target, sn); err != nil {
			x.monitorFailed(s.ID, err)
			return
		}
		if err := x.tel.AddChannel(ctx, bridge, sn.ID); err != nil {
			x.monitorFailed(s.ID, err)
			return
		}
		if old != "" {
			_ = ignoreGone(x.tel.Hangup(ctx, old, "normal"))
		}
		if fresh {
			o := Originate{Endpoint: phoneDial, ChannelID: phone, AppArgs: "monitor," + s.ID, CallerID: "monitor", Timeout: 30 * time.Second}
			if err := x.tel.Originate(ctx, o); err != nil {
				x.monitorFailed(s.ID, err)
			}
		}
	})
	return m.MonitorSession, nil
}

func (x *controls) monitorFailed(id string, err error) {
	x.log.Warn("monitoring session failed", "session", id, "err", err)
	x.post(func() { x.endMonitor(id) })
}

func (x *controls) sessionOf(supervisor string) *monitor {
	for _, m := range x.mons {
		if m.Supervisor == supervisor && !m.ending {
			return m
		}
	}
	return nil
}

// StopMonitor ends the supervisor's session, if any.
func (k *Controls) StopMonitor(ctx context.Context, supervisor string) error {
	x := k.c
	done := make(chan error, 1)
	x.post(func() {
		m := x.sessionOf(supervisor)
		if m == nil {
			done <- &acd.Error{Code: acd.ENotFound, Message: "no monitoring session"}
			return
		}
		x.endMonitor(m.ID)
		done <- nil
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Monitoring lists the sessions running, on the supervisor's or the agent's behalf.
func (k *Controls) Monitoring(ctx context.Context) ([]MonitorSession, error) {
	x := k.c
	done := make(chan []MonitorSession, 1)
	x.post(func() {
		out := []MonitorSession{}
		for _, m := range x.mons {
			if !m.ending {
				out = append(out, m.MonitorSession)
			}
		}
		done <- out
	})
	select {
	case out := <-done:
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// endMonitor hangs up what is left of a session and audits it; on the owner.
func (x *controls) endMonitor(id string) {
	m := x.mons[id]
	if m == nil || m.ending {
		return
	}
	m.ending = true
	delete(x.mons, id)
	for _, ch := range []string{m.snoop, m.phone} {
		delete(x.legs, ch)
	}
	x.log.Info("supervisor monitoring ended", "session", id, "supervisor", m.Supervisor, "agent", m.Agent)
	ended := MonitorEnded{MonitorSession: m.MonitorSession, Ended: x.clock.Now()}
	chans, bridge := []string{m.snoop, m.phone}, m.bridge
	m.w.do(func(ctx context.Context) {
		if f := x.audit.Load(); f != nil {
			(*f)(ctx, ended)
		}
		for _, ch := range chans {
			if ch != "" {
				_ = ignoreGone(x.tel.Hangup(ctx, ch, "normal"))
			}
		}
		_ = ignoreGone(x.tel.DeleteBridge(ctx, bridge))
	})
}

// stasisStart takes the channels the controls made as they enter the application; false for
// any other (ari.go).
func (x *controls) stasisStart(chanID, kind string, args []string) bool {
	id := ""
	if len(args) > 1 {
		id = args[1]
	}
	switch kind {
	case "consult":
		x.consultAnswered(chanID, id)
		return true
	case "outbound":
		x.out().outboundStasis(chanID, id)
		return true
	case "snoop":
		if x.legs[chanID] == "" || x.legs[chanID] != id {
			x.u.lines.hangupLater(chanID) // of a session that ended meanwhile
		}
		return true
	case "monitor":
		m := x.mons[id]
		if m == nil || m.phone != chanID {
			x.u.lines.hangupLater(chanID)
			return true
		}
		bridge := m.bridge
		m.w.do(func(ctx context.Context) {
			if err := x.tel.AddChannel(ctx, bridge, chanID); err != nil {
				x.monitorFailed(id, err)
				return
			}
			x.post(func() { m.Up = true })
		})
		return true
	}
	return false
}

// channelGone: a channel the router's calls do not hold left; a monitor's ends its session.
func (x *controls) channelGone(chanID string, cause int) {
	switch id := x.legs[chanID]; {
	case x.pairs[chanID] != nil:
		x.pairGone(chanID)
	case strings.HasPrefix(id, "cs:"):
		x.consultGone(chanID)
	case strings.HasPrefix(id, "ob:"):
		x.out().outboundGone(chanID, cause)
	case id != "":
		x.endMonitor(id)
	}
}

// holds says whether a channel is one the controls keep (a snoop, a supervisor's phone, a
// consulted leg, a completed transfer's): reconciliation leaves it to them.
func (x *controls) holds(chanID string) bool { return x.legs[chanID] != "" || x.pairs[chanID] != nil }

// TakeOver hands the agent's call to the supervisor's phone of their session on that agent: the phone
// joins the call's bridge in place of the agent's leg, which is hung up, and the session ends
// (audited). The engine keeps the call on the agent until it ends (the agent's wrap-up then
// follows); the supervisor's hang-up ends it as the agent's would.
func (k *Controls) TakeOver(ctx context.Context, supervisor, agent string) (MonitorSession, error) {
	x := k.c
	type res struct {
		s   MonitorSession
		err error
	}
	done := make(chan res, 1)
	x.post(func() {
		s, err := x.takeOver(supervisor, agent)
		done <- res{s, err}
	})
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return MonitorSession{}, ctx.Err()
	}
}

func (x *controls) takeOver(supervisor, agent string) (MonitorSession, error) {
	m := x.sessionOf(supervisor)
	if m == nil || m.Agent != agent {
		return MonitorSession{}, &acd.Error{Code: acd.ENotFound, Message: "no monitoring session: listen to the agent first"}
	}
	c := x.calls[m.Call]
	if c == nil || c.conn.agent != m.Agent || c.conn.agentChan == "" || c.conn.bridge == "" {
		return MonitorSession{}, &acd.Error{Code: acd.EConflict, Message: "the call is no longer connected to agent " + m.Agent}
	}
	if !m.Up {
		return MonitorSession{}, &acd.Error{Code: acd.EConflict, Message: "your phone has not answered yet"}
	}
	if c.entry() != nil {
		return MonitorSession{}, &acd.Error{Code: acd.EConflict, Message: "a secure entry is running on the call"}
	}
	if st := x.state[c.id]; st != nil && st.cs != nil {
		return MonitorSession{}, &acd.Error{Code: acd.EConflict, Message: "a consultation is under way on the call"}
	}
	s, phone, agentChan, bridge := m.MonitorSession, m.phone, c.conn.agentChan, c.conn.bridge
	delete(x.legs, phone) // the phone is the call's from here; the session's end leaves it up
	m.phone = ""
	x.endMonitor(m.ID)
	delete(x.chans, agentChan)
	x.chans[phone] = c
	c.conn.agentChan = phone
	if st := x.state[c.id]; st != nil {
		st.muted = false // the agent's mute went with the agent's leg
	}
	x.log.Info("supervisor took over the call", "supervisor", supervisor, "agent", s.Agent, "call", c.id)
	c.w.do(func(ctx context.Context) {
		if err := x.tel.AddChannel(ctx, bridge, phone); err != nil {
			x.log.Warn("take over: phone not bridged", "call", c.id, "err", err)
		}
		_ = ignoreGone(x.tel.Hangup(ctx, agentChan, "normal"))
	})
	return s, nil
}
