package config

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/acd"
)

var strategies = []acd.Strategy{acd.LongestIdle, acd.BestSkill, acd.FewestCalls, acd.RoundRobin}

var recordingPolicies = []RecordingPolicy{RecordAlways, RecordNever, RecordSample, RecordOnDemand}

// queueConfig decodes one entry of queues and adds it to c unless its name is unusable or taken.
func (d *decoder) queueConfig(n *yaml.Node, path string, c *Config, b *build) {
	m := d.mapping(n, path, "name", "priority", "service_level", "skills", "max_wait", "overflow",
		"callback_threshold", "wrap_up", "require_disposition", "strategy", "ring_timeout", "expansion", "announce", "moh", "recording")
	if !m.ok {
		return
	}
	q := acd.QueueConfig{SLThreshold: DefaultServiceLevelThreshold, SLGoal: DefaultSLGoal, Strategy: acd.LongestIdle}
	media := QueueMedia{MOH: DefaultMOH, Recording: Recording{Policy: RecordNever}}
	name, named := d.name(m.require("name"), field(path, "name"), "queue")
	q.Name = name
	q.Priority = d.priority(m.get("priority"), field(path, "priority"))

	sp := field(path, "service_level")
	sl := d.mapping(m.get("service_level"), sp, "threshold", "goal")
	if v, ok := d.positiveDuration(sl.get("threshold"), field(sp, "threshold")); ok {
		q.SLThreshold = v
	}
	if v, ok := d.number(sl.get("goal"), field(sp, "goal")); ok {
		if v <= 0 || v > 1 {
			d.errorf(sl.get("goal"), field(sp, "goal"), "must be above 0 and at most 1, got %v", v)
		}
		q.SLGoal = v
	}

	q.Skills = d.skills(m.get("skills"), field(path, "skills"))
	var over *ref
	maxWait, maxWaitOK := d.nonNegativeDuration(m.get("max_wait"), field(path, "max_wait"))
	q.MaxWait = maxWait
	op := field(path, "overflow")
	if om := d.mapping(m.get("overflow"), op, "queue", "callback"); om.ok {
		target, toQueue := d.str(om.get("queue"), field(op, "queue"))
		callback, _ := d.boolean(om.get("callback"), field(op, "callback"))
		switch {
		case toQueue && callback:
			d.errorf(m.get("overflow"), op, "set queue or callback: true, not both")
		case toQueue:
			q.Overflow.Queue = target
			if named && target == name {
				d.errorf(om.get("queue"), field(op, "queue"), "queue %q overflows to itself", name)
			} else {
				b.refs = append(b.refs, ref{"queue", target, om.get("queue"), field(op, "queue")})
				over = &ref{"queue", target, om.get("queue"), field(op, "queue")}
			}
		case callback:
			q.Overflow.Callback = true
		case om.has("callback"):
			d.errorf(m.get("overflow"), op, "callback: false overflows nowhere; remove overflow instead")
		default:
			d.errorf(m.get("overflow"), op, "missing queue or callback: true")
		}
	}
	hasOverflow := q.Overflow.Queue != "" || q.Overflow.Callback
	switch {
	case m.has("max_wait") && !maxWaitOK:
	case hasOverflow && !m.has("max_wait"):
		d.errorf(m.get("overflow"), op, "overflow needs max_wait (how long a call waits before it overflows)")
	case hasOverflow && maxWait == 0:
		d.errorf(m.get("max_wait"), field(path, "max_wait"), "must be positive with an overflow, got 0s")
	case !m.has("overflow") && maxWait > 0:
		d.errorf(m.get("max_wait"), field(path, "max_wait"), "has no effect without overflow (set overflow: {queue: ...} or {callback: true})")
	}
	if v, ok := d.nonNegativeDuration(m.get("callback_threshold"), field(path, "callback_threshold")); ok {
		q.CallbackThreshold = v
	}
	if v, ok := d.nonNegativeDuration(m.get("wrap_up"), field(path, "wrap_up")); ok {
		q.WrapUp = v
	}
	if v, ok := d.boolean(m.get("require_disposition"), field(path, "require_disposition")); ok {
		q.RequireDisposition = v
	}
	if v, ok := d.str(m.get("strategy"), field(path, "strategy")); ok {
		if s := acd.Strategy(v); slices.Contains(strategies, s) {
			q.Strategy = s
		} else {
			d.errorf(m.get("strategy"), field(path, "strategy"), "unknown strategy %q (known: longest-idle, best-skill, fewest-calls, round-robin)", v)
		}
	}
	if v, ok := d.nonNegativeDuration(m.get("ring_timeout"), field(path, "ring_timeout")); ok {
		q.RingTimeout = v
	}
	q.Expansion = d.expansion(m.get("expansion"), field(path, "expansion"), q.Skills)
	media.Announce = d.announce(m.get("announce"), field(path, "announce"))
	if v, ok := d.str(m.get("moh"), field(path, "moh")); ok {
		if !mohPattern.MatchString(v) {
			d.errorf(m.get("moh"), field(path, "moh"), "%q is not a music-on-hold class (letters, digits, '_' and '-')", v)
		}
		media.MOH = v
	}
	media.Recording = d.recording(m.get("recording"), field(path, "recording"))

	if !named {
		return
	}
	if first, dup := b.queues[name]; dup {
		d.errorf(m.get("name"), field(path, "name"), "duplicate queue name %q (first at line %d)", name, first.Line)
		return
	}
	b.queues[name] = m.get("name")
	if over != nil {
		b.overflow[name] = *over
	}
	c.Queues = append(c.Queues, q)
	c.Media[name] = media
}

func (d *decoder) expansion(n *yaml.Node, path string, required map[string]int) []acd.ExpansionStep {
	items, ok := d.seq(n, path)
	if !ok {
		return nil
	}
	var steps []acd.ExpansionStep
	var prev *acd.ExpansionStep
	dropped := map[string]bool{}
	for i, item := range items {
		ip := index(path, i)
		m := d.mapping(item, ip, "after", "level_drop", "drop")
		if !m.ok {
			continue
		}
		var s acd.ExpansionStep
		after, afterOK := d.positiveDuration(m.require("after"), field(ip, "after"))
		if afterOK && prev != nil && after <= prev.After {
			d.errorf(m.get("after"), field(ip, "after"), "steps must be in increasing order, %s is not after %s", after, prev.After)
		}
		s.After = after
		if v, ok := d.integer(m.get("level_drop"), field(ip, "level_drop")); ok {
			if v < 0 || v > acd.MaxSkillLevel {
				d.errorf(m.get("level_drop"), field(ip, "level_drop"), "must be between 0 and %d, got %d", acd.MaxSkillLevel, v)
			} else {
				s.LevelDrop = int(v)
			}
		}
		dp := field(ip, "drop")
		skills, _ := d.seq(m.get("drop"), dp)
		for j, sn := range skills {
			name, ok := d.str(sn, index(dp, j))
			if !ok {
				continue
			}
			switch _, req := required[name]; {
			case !req:
				d.errorf(sn, index(dp, j), "the queue does not require skill %q", name)
			case dropped[name]:
				d.errorf(sn, index(dp, j), "skill %q is already dropped", name)
			default:
				dropped[name] = true
				s.Drop = append(s.Drop, name)
			}
		}
		if !m.has("level_drop") && !m.has("drop") {
			d.errorf(item, ip, "a step needs level_drop or drop")
		}
		if afterOK {
			steps = append(steps, s)
			prev = &steps[len(steps)-1]
		}
	}
	return steps
}

func (d *decoder) announce(n *yaml.Node, path string) Announce {
	a := Announce{Position: true, Wait: true}
	m := d.mapping(n, path, "every", "position", "wait")
	if !m.ok {
		return Announce{}
	}
	if v, ok := d.duration(m.require("every"), field(path, "every")); ok {
		if v != 0 && v < MinAnnounceEvery {
			d.errorf(m.get("every"), field(path, "every"), "must be 0 (off) or at least %s, got %s", MinAnnounceEvery, v)
		}
		a.Every = v
	}
	if v, ok := d.boolean(m.get("position"), field(path, "position")); ok {
		a.Position = v
	}
	if v, ok := d.boolean(m.get("wait"), field(path, "wait")); ok {
		a.Wait = v
	}
	if a.Every > 0 && !a.Position && !a.Wait {
		d.errorf(n, path, "announces nothing: set position or wait to true, or every to 0")
	}
	if a.Every <= 0 {
		return Announce{}
	}
	return a
}

func (d *decoder) recording(n *yaml.Node, path string) Recording {
	r := Recording{Policy: RecordNever, Retention: DefaultRetention, Notice: DefaultNotice}
	m := d.mapping(n, path, "policy", "sample", "retention", "notice")
	if !m.ok {
		return r
	}
	policyOK := false
	if v, ok := d.str(m.require("policy"), field(path, "policy")); ok {
		if p := RecordingPolicy(v); slices.Contains(recordingPolicies, p) {
			r.Policy, policyOK = p, true
		} else {
			d.errorf(m.get("policy"), field(path, "policy"), "unknown policy %q (known: always, never, sample, on-demand)", v)
		}
	}
	v, ok := d.number(m.get("sample"), field(path, "sample"))
	switch {
	case ok && (v < 0 || v > 1):
		d.errorf(m.get("sample"), field(path, "sample"), "must be between 0 and 1, got %v", v)
	case !policyOK:
	case ok && r.Policy != RecordSample && v != 0:
		d.errorf(m.get("sample"), field(path, "sample"), "only policy sample takes a sample share")
	case ok && r.Policy == RecordSample:
		r.Sample = v
	case !m.has("sample") && r.Policy == RecordSample:
		d.errorf(m.get("policy"), field(path, "policy"), "policy sample needs sample (the share of calls recorded, 0..1)")
	}
	d.recordingKeys(m, path, &r) // recordings.go
	return r
}

// agents decodes the agents list.
func (d *decoder) agents(items []*yaml.Node, c *Config, b *build) {
	type owner struct {
		id   string
		line int
	}
	ids := map[string]*yaml.Node{}
	endpoints := map[string]owner{} // lower-cased: Asterisk's endpoint names are case-insensitive
	for i, item := range items {
		path := index("agents", i)
		m := d.mapping(item, path, "id", "name", "endpoint", "node", "skills", "queues")
		if !m.ok {
			continue
		}
		var a acd.AgentConfig
		id, idOK := d.literal(m.require("id"), field(path, "id"))
		if idOK && !namePattern.MatchString(id) {
			d.errorf(m.get("id"), field(path, "id"), "%q is not an agent id (%s)", id, nameRule)
			idOK = false
		}
		if first, dup := ids[id]; idOK && dup {
			d.errorf(m.get("id"), field(path, "id"), "duplicate agent id %q (first at line %d)", id, first.Line)
			idOK = false
		}
		a.ID = id
		if v, ok := d.str(m.get("name"), field(path, "name")); ok {
			a.Name = strings.TrimSpace(v)
		}
		if v, ok := d.str(m.require("endpoint"), field(path, "endpoint")); ok {
			key := strings.ToLower(v)
			if !endpointPattern.MatchString(v) {
				d.errorf(m.get("endpoint"), field(path, "endpoint"), "want a dial string like \"PJSIP/1001\", got %q", v)
			} else if first, dup := endpoints[key]; dup {
				d.errorf(m.get("endpoint"), field(path, "endpoint"), "endpoint %q is already agent %q's (line %d)", v, first.id, first.line)
			} else if idOK {
				endpoints[key] = owner{id, m.get("endpoint").Line}
			}
			a.Endpoint = v
			d.checkNodePhone(m.get("endpoint"), field(path, "endpoint"), v, c)
		}
		if node := d.agentNode(m.get("node"), field(path, "node"), c); node != "" && idOK {
			if c.AgentNodes == nil {
				c.AgentNodes = map[string]string{}
			}
			c.AgentNodes[id] = node
		}
		a.Skills = d.skills(m.get("skills"), field(path, "skills"))
		qp := field(path, "queues")
		qs, _ := d.seq(m.require("queues"), qp)
		seen := map[string]bool{}
		var refs []memberRef
		for j, qn := range qs {
			ip := index(qp, j)
			mb, node, ok := d.membership(qn, ip)
			if !ok {
				continue
			}
			if seen[mb.Queue] {
				d.errorf(qn, ip, "queue %q listed twice", mb.Queue)
				continue
			}
			seen[mb.Queue] = true
			a.Queues = append(a.Queues, mb)
			b.refs = append(b.refs, ref{"queue", mb.Queue, node, ip})
			refs = append(refs, memberRef{agent: len(c.Agents), queue: mb.Queue, node: node, path: ip})
		}
		if !idOK {
			continue
		}
		ids[id] = m.get("id")
		c.Agents = append(c.Agents, a)
		b.members = append(b.members, refs...)
	}
}

// membership reads an agent's queue: a queue name, or {queue: name, penalty: n}. node is where
// the queue's name is, for messages.
func (d *decoder) membership(n *yaml.Node, path string) (acd.Membership, *yaml.Node, bool) {
	var mb acd.Membership
	if v := resolve(n); v.Kind == yaml.ScalarNode {
		name, ok := d.str(n, path)
		mb.Queue = name
		return mb, n, ok
	}
	if resolve(n).Kind != yaml.MappingNode {
		d.typeError(n, path, "a queue name or {queue: name, penalty: n}")
		return mb, n, false
	}
	m := d.mapping(n, path, "queue", "penalty")
	name, ok := d.str(m.require("queue"), field(path, "queue"))
	mb.Queue = name
	if v, pok := d.integer(m.get("penalty"), field(path, "penalty")); pok {
		if v < 0 || v > 1000 {
			d.errorf(m.get("penalty"), field(path, "penalty"), "must be between 0 and 1000, got %d", v)
		} else {
			mb.Penalty = int(v)
		}
	}
	return mb, m.get("queue"), ok
}

// dids decodes the dids list.
func (d *decoder) dids(items []*yaml.Node, c *Config, b *build) {
	numbers := map[string]*yaml.Node{}
	for i, item := range items {
		path := index("dids", i)
		m := d.mapping(item, path, "number", "queue", "flow", "priority", "skills", "hours")
		if !m.ok {
			continue
		}
		var did DID
		number, ok := d.literal(m.require("number"), field(path, "number"))
		if ok && !numberPattern.MatchString(number) {
			d.errorf(m.get("number"), field(path, "number"), "%q is not a number (digits, with an optional leading +)", number)
			ok = false
		}
		if first, dup := numbers[number]; ok && dup {
			d.errorf(m.get("number"), field(path, "number"), "duplicate number %q (first at line %d)", number, first.Line)
			ok = false
		}
		did.Number = number
		switch {
		case m.has("queue") && m.has("flow"):
			d.errorf(item, path, "set queue or flow, not both")
		case m.has("queue"):
			if v, vok := d.str(m.get("queue"), field(path, "queue")); vok {
				did.Queue = v
				b.refs = append(b.refs, ref{"queue", v, m.get("queue"), field(path, "queue")})
			}
		case m.has("flow"):
			if v, vok := d.name(m.get("flow"), field(path, "flow"), "flow"); vok {
				did.Flow = v
			}
		default:
			d.errorf(item, path, "missing queue or flow")
		}
		did.Priority = d.priority(m.get("priority"), field(path, "priority"))
		did.Skills = d.skills(m.get("skills"), field(path, "skills"))
		if v, vok := d.str(m.get("hours"), field(path, "hours")); vok {
			did.Hours = v
			b.refs = append(b.refs, ref{"hours", v, m.get("hours"), field(path, "hours")})
		}
		if ok {
			numbers[number] = m.get("number")
			c.DIDs = append(c.DIDs, did)
		}
	}
}

// crossCheck reports references to undefined queues and hours, overflow cycles, and agents that
// can never take a call from a queue they are in.
func (d *decoder) crossCheck(c *Config, b *build) {
	for _, r := range b.refs {
		switch r.kind {
		case "queue":
			if _, ok := b.queues[r.name]; !ok {
				d.errorf(r.node, r.path, "unknown queue %q", r.name)
			}
		case "hours":
			if _, ok := c.Hours[r.name]; !ok {
				d.errorf(r.node, r.path, "unknown hours %q", r.name)
			}
		}
	}

	next := map[string]string{}
	for _, q := range c.Queues {
		if q.Overflow.Queue != "" {
			next[q.Name] = q.Overflow.Queue
		}
	}
	reported := map[string]bool{}
	for _, q := range c.Queues {
		// Follow the chain from q; a cycle is reported once, at its first queue in the file.
		chain := []string{q.Name}
		onChain := map[string]bool{q.Name: true}
		for cur := q.Name; next[cur] != ""; {
			cur = next[cur]
			if onChain[cur] {
				if cur == q.Name && !reported[q.Name] && next[q.Name] != q.Name {
					for _, name := range chain {
						reported[name] = true
					}
					at := b.overflow[q.Name]
					d.errorf(at.node, at.path, "overflow cycle: %s → %s", strings.Join(chain, " → "), q.Name)
				}
				break
			}
			onChain[cur] = true
			chain = append(chain, cur)
		}
	}

	byName := map[string]acd.QueueConfig{}
	for _, q := range c.Queues {
		byName[q.Name] = q
	}
	for _, mr := range b.members {
		q, ok := byName[mr.queue]
		if !ok {
			continue
		}
		a := c.Agents[mr.agent]
		if msg := unreachable(q, a.Skills); msg != "" {
			d.errorf(mr.node, mr.path, "agent %q can never take calls from queue %q: %s", a.ID, q.Name, msg)
		}
	}
}

// unreachable says why an agent with skills can never meet queue q's requirements, even after
// every expansion step, or returns "".
func unreachable(q acd.QueueConfig, skills map[string]int) string {
	drop := 0
	gone := map[string]bool{}
	for _, s := range q.Expansion {
		drop += s.LevelDrop
		for _, name := range s.Drop {
			gone[name] = true
		}
	}
	for _, name := range sortedKeys(q.Skills) {
		if gone[name] {
			continue
		}
		need := max(q.Skills[name]-drop, acd.MinSkillLevel)
		if have := skills[name]; have < need {
			after := ""
			if drop > 0 {
				after = " even after expansion"
			}
			if have == 0 {
				return fmt.Sprintf("it requires skill %q at level %d%s, the agent has none", name, need, after)
			}
			return fmt.Sprintf("it requires skill %q at level %d%s, the agent has %d", name, need, after, have)
		}
	}
	return ""
}
