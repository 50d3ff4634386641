package acd

import (
	"sort"
	"time"
)

// Options configure an Engine. Only Clock is required.
type Options struct {
	Clock   Clock
	OnEvent func(Event) // called synchronously, in order; it must not call back into the Engine
	// RingTimeout is how long an offer may ring before the agent is paused "no answer"
	// (default 20s; a queue's RingTimeout overrides it).
	RingTimeout time.Duration
	// StatsWindow is the sliding window of the live statistics (default 15m).
	StatsWindow time.Duration
	// Location sets midnight for the "today" statistics (default UTC).
	Location *time.Location
	// DefaultHandle is the handle time assumed by estimates before any call was handled (default 3m).
	DefaultHandle time.Duration
	// StarveAfter, as a multiple of a queue's service-level threshold, is how long a call may
	// wait before it is served ahead of higher-priority queues (default 3).
	StarveAfter float64
	// Estimator names the estimator used for CallEnqueued estimates and callback offers
	// (default "switchboard").
	Estimator string
}

// Engine is the call distributor. It is not safe for concurrent use: one goroutine owns it.
type Engine struct {
	opt    Options
	clock  Clock
	skills skillTable
	queues map[string]*queue
	agents map[string]*agent
	calls  map[string]*call
	timers timerHeap
	seq    uint64
	est    estimatorFunc
	held   bool // no offers (Hold)
}

// New returns an empty engine.
func New(opt Options) (*Engine, error) {
	if opt.Clock == nil {
		return nil, errorf(EInvalid, "acd: a clock is required")
	}
	if opt.RingTimeout <= 0 {
		opt.RingTimeout = 20 * time.Second
	}
	if opt.StatsWindow <= 0 {
		opt.StatsWindow = 15 * time.Minute
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.DefaultHandle <= 0 {
		opt.DefaultHandle = 3 * time.Minute
	}
	if opt.StarveAfter <= 0 {
		opt.StarveAfter = 3
	}
	if opt.Estimator == "" {
		opt.Estimator = EstimatorSwitchboard
	}
	est, ok := estimators[opt.Estimator]
	if !ok {
		return nil, errorf(EInvalid, "acd: unknown estimator %q", opt.Estimator)
	}
	return &Engine{
		opt:    opt,
		clock:  opt.Clock,
		queues: map[string]*queue{},
		agents: map[string]*agent{},
		calls:  map[string]*call{},
		est:    est,
	}, nil
}

func (e *Engine) emit(ev Event) {
	if e.opt.OnEvent != nil {
		e.opt.OnEvent(ev)
	}
}

func (e *Engine) compileQueue(cfg QueueConfig) (req []skillLevel, steps []expansion, err error) {
	if cfg.Name == "" {
		return nil, nil, errorf(EInvalid, "queue: name is required")
	}
	if cfg.Priority < 0 || cfg.Priority > MaxPriority {
		return nil, nil, errorf(EInvalid, "queue %s: priority %d outside 0-%d", cfg.Name, cfg.Priority, MaxPriority)
	}
	if cfg.SLGoal < 0 || cfg.SLGoal > 1 {
		return nil, nil, errorf(EInvalid, "queue %s: service-level goal %v outside 0-1", cfg.Name, cfg.SLGoal)
	}
	for _, d := range []time.Duration{cfg.SLThreshold, cfg.MaxWait, cfg.CallbackThreshold, cfg.WrapUp, cfg.RingTimeout} {
		if d < 0 {
			return nil, nil, errorf(EInvalid, "queue %s: negative duration %v", cfg.Name, d)
		}
	}
	switch cfg.Strategy {
	case "", LongestIdle, BestSkill, FewestCalls, RoundRobin:
	default:
		return nil, nil, errorf(EInvalid, "queue %s: unknown strategy %q", cfg.Name, cfg.Strategy)
	}
	if cfg.Overflow.Queue == cfg.Name {
		return nil, nil, errorf(EInvalid, "queue %s: overflow to itself", cfg.Name)
	}
	if cfg.Overflow.Queue != "" && cfg.Overflow.Callback {
		return nil, nil, errorf(EInvalid, "queue %s: overflow to a queue or to a callback, not both", cfg.Name)
	}
	if req, err = e.skills.levels(cfg.Skills); err != nil {
		return nil, nil, errorf(EInvalid, "queue %s: %v", cfg.Name, err)
	}
	var prev expansion
	for i, s := range cfg.Expansion {
		if s.After <= 0 || (i > 0 && s.After <= cfg.Expansion[i-1].After) {
			return nil, nil, errorf(EInvalid, "queue %s: expansion step %d: after must be positive and increasing", cfg.Name, i+1)
		}
		if s.LevelDrop < 0 || s.LevelDrop > MaxSkillLevel {
			return nil, nil, errorf(EInvalid, "queue %s: expansion step %d: level drop %d outside 0-%d", cfg.Name, i+1, s.LevelDrop, MaxSkillLevel)
		}
		x := expansion{after: s.After, drop: prev.drop + uint8(s.LevelDrop), gone: append([]skillID(nil), prev.gone...)}
		for _, name := range s.Drop {
			x.gone = append(x.gone, e.skills.id(name))
		}
		steps = append(steps, x)
		prev = x
	}
	return req, steps, nil
}

// AddQueue adds a queue.
func (e *Engine) AddQueue(cfg QueueConfig) error {
	if _, ok := e.queues[cfg.Name]; ok {
		return errorf(EConflict, "queue %s exists", cfg.Name)
	}
	req, steps, err := e.compileQueue(cfg)
	if err != nil {
		return err
	}
	q := &queue{cfg: cfg, req: req, steps: steps}
	q.stats.init(e.opt.StatsWindow, e.opt.Location, e.clock.Now())
	e.queues[cfg.Name] = q
	return nil
}

// UpdateQueue changes a queue's configuration in place; waiting calls keep their places.
func (e *Engine) UpdateQueue(cfg QueueConfig) error {
	q, ok := e.queues[cfg.Name]
	if !ok {
		return errorf(ENotFound, "queue %s not found", cfg.Name)
	}
	req, steps, err := e.compileQueue(cfg)
	if err != nil {
		return err
	}
	q.cfg, q.req, q.steps = cfg, req, steps
	now := e.clock.Now()
	for _, c := range append([]*call(nil), q.waiting...) {
		c.req = mergeReq(q.req, c.extra)
		c.step = uint8(q.stepAt(now.Sub(c.queuedAt)))
		e.scheduleWaiting(c, now)
	}
	for _, c := range append([]*call(nil), q.waiting...) {
		if c.state == waiting {
			e.routeCall(c)
		}
	}
	return nil
}

func (e *Engine) compileAgent(cfg AgentConfig) ([]skillLevel, error) {
	if cfg.ID == "" {
		return nil, errorf(EInvalid, "agent: id is required")
	}
	skills, err := e.skills.levels(cfg.Skills)
	if err != nil {
		return nil, errorf(EInvalid, "agent %s: %v", cfg.ID, err)
	}
	seen := map[string]bool{}
	for _, m := range cfg.Queues {
		if _, ok := e.queues[m.Queue]; !ok {
			return nil, errorf(ENotFound, "agent %s: queue %s not found", cfg.ID, m.Queue)
		}
		if seen[m.Queue] {
			return nil, errorf(EInvalid, "agent %s: queue %s listed twice", cfg.ID, m.Queue)
		}
		if m.Penalty < 0 {
			return nil, errorf(EInvalid, "agent %s: queue %s: negative penalty", cfg.ID, m.Queue)
		}
		seen[m.Queue] = true
	}
	return skills, nil
}

// AddAgent adds a logged-out agent.
func (e *Engine) AddAgent(cfg AgentConfig) error {
	if _, ok := e.agents[cfg.ID]; ok {
		return errorf(EConflict, "agent %s exists", cfg.ID)
	}
	skills, err := e.compileAgent(cfg)
	if err != nil {
		return err
	}
	a := &agent{cfg: cfg, skills: skills, state: LoggedOut, since: e.clock.Now()}
	a.timer.index = -1
	a.timer.agent = a
	e.agents[cfg.ID] = a
	e.join(a, cfg.Queues)
	return nil
}

// join adds memberships, counting the agent in each queue's state totals.
func (e *Engine) join(a *agent, ms []Membership) {
	now := e.clock.Now()
	for _, mc := range ms {
		q := e.queues[mc.Queue]
		q.rrSeq++
		m := &member{a: a, q: q, penalty: mc.Penalty, rr: q.rrSeq, t: q.tierFor(mc.Penalty)}
		a.members = append(a.members, m)
		q.members++
		q.touch(now)
		q.byState[a.state]++
		if a.state == Available {
			m.link()
		}
	}
}

func (e *Engine) leave(a *agent) {
	now := e.clock.Now()
	for _, m := range a.members {
		m.unlink()
		q := m.q
		q.touch(now)
		q.byState[a.state]--
		q.members--
	}
	a.members = nil
}

// UpdateAgent changes an agent's name, endpoint, skills and queues, whatever its state.
func (e *Engine) UpdateAgent(cfg AgentConfig) error {
	a, ok := e.agents[cfg.ID]
	if !ok {
		return errorf(ENotFound, "agent %s not found", cfg.ID)
	}
	skills, err := e.compileAgent(cfg)
	if err != nil {
		return err
	}
	e.leave(a)
	a.cfg, a.skills = cfg, skills
	e.join(a, cfg.Queues)
	if a.state == Available {
		e.routeAgent(a)
	}
	return nil
}

// RemoveAgent deletes a logged-out agent.
func (e *Engine) RemoveAgent(id string) error {
	a, ok := e.agents[id]
	if !ok {
		return errorf(ENotFound, "agent %s not found", id)
	}
	if a.state != LoggedOut {
		return errorf(EConflict, "agent %s is %s, not logged out", id, a.state)
	}
	e.leave(a)
	delete(e.agents, id)
	return nil
}

// Queues returns the queue names, sorted.
func (e *Engine) Queues() []string {
	names := make([]string, 0, len(e.queues))
	for n := range e.queues {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// QueueConfig returns a queue's configuration.
func (e *Engine) QueueConfig(name string) (QueueConfig, bool) {
	q, ok := e.queues[name]
	if !ok {
		return QueueConfig{}, false
	}
	return q.cfg, true
}

// AgentIDs returns the agent ids, sorted.
func (e *Engine) AgentIDs() []string {
	ids := make([]string, 0, len(e.agents))
	for id := range e.agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Agent returns a copy of an agent's state.
func (e *Engine) Agent(id string) (AgentView, bool) {
	a, ok := e.agents[id]
	if !ok {
		return AgentView{}, false
	}
	v := AgentView{
		ID: a.cfg.ID, Name: a.cfg.Name, Endpoint: a.cfg.Endpoint,
		Skills: e.skills.toMap(a.skills), Queues: append([]Membership(nil), a.cfg.Queues...),
		State: a.state, Reason: a.reason, Since: a.since, IdleSince: a.idleSince,
		Handled: a.handled, TalkTime: a.talk,
	}
	if a.state == WrapUp {
		v.WrapUpUntil = a.until
		v.Call = a.wrapCall
		v.DispositionDue = a.dispositionDue()
	}
	if a.nextSet {
		v.NextAsked, v.Next, v.NextReason = true, a.next, a.nextReason
	}
	if a.call != nil {
		v.Call = a.call.id
	}
	return v, true
}

// Call returns a copy of a call's state.
func (e *Engine) Call(id string) (CallView, bool) {
	c, ok := e.calls[id]
	if !ok {
		return CallView{}, false
	}
	now := e.clock.Now()
	v := CallView{
		ID: c.id, Queue: c.q.cfg.Name, Priority: int(c.prio), State: c.state.String(),
		EnqueuedAt: c.enqueuedAt, Waited: now.Sub(c.enqueuedAt), Skills: e.skills.toMap(c.extra),
		Step: int(c.step), Data: copyData(c.data),
	}
	if c.state == connected {
		v.Waited = c.answeredAt.Sub(c.enqueuedAt)
	}
	if c.agent != nil {
		v.Agent = c.agent.cfg.ID
	}
	if c.state == waiting {
		v.Position = c.q.index(c) + 1
	}
	return v, true
}

// Waiting returns the ids of a queue's waiting calls in the order they will be served.
func (e *Engine) Waiting(queue string) ([]string, error) {
	q, ok := e.queues[queue]
	if !ok {
		return nil, errorf(ENotFound, "queue %s not found", queue)
	}
	ids := make([]string, len(q.waiting))
	for i, c := range q.waiting {
		ids[i] = c.id
	}
	return ids, nil
}

// CallIDs returns the ids of every call the engine holds, sorted.
func (e *Engine) CallIDs() []string {
	ids := make([]string, 0, len(e.calls))
	for id := range e.calls {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func copyData(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
