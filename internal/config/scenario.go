package config

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/acd/sim"
)

// Scenario defaults.
const (
	DefaultSeed                  = 1
	DefaultServiceLevelThreshold = 20 * time.Second
	maxAgentsPerGroup            = 100000
)

// LoadScenario reads a simulation scenario (see cmd/switchboard/scenarios/ for examples).
// name is the file name used in messages. When the file has problems, the error is an Errors
// listing all of them, each as "name:line: reason".
//
// Decisions beyond the format itself: durations are Go duration strings or plain numbers of
// seconds; a profile's first step must be at 0s and its steps strictly increasing and below 24h;
// profile rates may be zero (closed hours) but not all of them; every agent group names at least
// one queue, must meet the skill levels of the queues it names, and every queue needs a group.
func LoadScenario(r io.Reader, name string) (sim.Scenario, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return sim.Scenario{}, fmt.Errorf("read scenario %s: %w", name, err)
	}
	d := newDecoder(name)
	var sc sim.Scenario
	if root := d.parse(data); root != nil {
		sc = d.scenario(root)
	}
	if err := d.errs.err(); err != nil {
		return sim.Scenario{}, err
	}
	return sc, nil
}

// queueRef is a decoded queue, kept with its node for cross-checks.
type queueRef struct {
	spec   sim.QueueSpec
	node   *yaml.Node
	path   string
	served bool
}

func (d *decoder) scenario(root *yaml.Node) sim.Scenario {
	sc := sim.Scenario{Seed: DefaultSeed, ServiceLevelThreshold: DefaultServiceLevelThreshold}
	m := d.mapping(root, "", "duration", "warmup", "seed", "service_level_threshold", "queues", "agents")
	if !m.ok {
		return sc
	}
	if v, ok := d.duration(m.require("duration"), "duration"); ok {
		if v <= 0 {
			d.errorf(m.get("duration"), "duration", "must be positive, got %s", v)
		}
		sc.Duration = v
	}
	if v, ok := d.duration(m.get("warmup"), "warmup"); ok {
		d.nonNegative(m.get("warmup"), "warmup", v)
		sc.Warmup = v
	}
	if v, ok := d.integer(m.get("seed"), "seed"); ok {
		sc.Seed = v
	}
	if v, ok := d.duration(m.get("service_level_threshold"), "service_level_threshold"); ok {
		d.nonNegative(m.get("service_level_threshold"), "service_level_threshold", v)
		sc.ServiceLevelThreshold = v
	}

	queues := map[string]*queueRef{}
	var order []*queueRef
	if items, ok := d.seq(m.require("queues"), "queues"); ok {
		if len(items) == 0 {
			d.errorf(m.get("queues"), "queues", "at least one queue is required")
		}
		for i, item := range items {
			path := index("queues", i)
			q, ok := d.queue(item, path)
			if !ok {
				continue
			}
			if first, dup := queues[q.Name]; dup {
				d.errorf(item, field(path, "name"), "duplicate queue name %q (first at line %d)", q.Name, first.node.Line)
				continue
			}
			ref := &queueRef{spec: q, node: resolve(item), path: path}
			queues[q.Name] = ref
			order = append(order, ref)
			sc.Queues = append(sc.Queues, q)
		}
	}

	if items, ok := d.seq(m.require("agents"), "agents"); ok {
		if len(items) == 0 {
			d.errorf(m.get("agents"), "agents", "at least one agent group is required")
		}
		for i, item := range items {
			if g, ok := d.agentGroup(item, index("agents", i), queues); ok {
				sc.Agents = append(sc.Agents, g)
			}
		}
		for _, q := range order {
			if !q.served {
				d.errorf(q.node, q.path, "no agent group serves queue %q", q.spec.Name)
			}
		}
	}
	return sc
}

// queue decodes one queue; ok is false when it has no usable name.
func (d *decoder) queue(n *yaml.Node, path string) (sim.QueueSpec, bool) {
	var q sim.QueueSpec
	m := d.mapping(n, path, "name", "arrivals", "handle_time", "patience", "priority", "skills")
	if !m.ok {
		return q, false
	}
	name, named := d.str(m.require("name"), field(path, "name"))
	if named && strings.TrimSpace(name) == "" {
		d.errorf(m.get("name"), field(path, "name"), "must not be empty")
		named = false
	}
	q.Name = name
	q.Arrivals = d.arrivals(m.require("arrivals"), field(path, "arrivals"))
	if dist, ok := d.dist(m.require("handle_time"), field(path, "handle_time")); ok {
		q.HandleTime = dist
	}
	if dist, ok := d.dist(m.get("patience"), field(path, "patience")); ok {
		q.Patience = &dist
	}
	if v, ok := d.integer(m.get("priority"), field(path, "priority")); ok {
		if v < 0 || v > 9 {
			d.errorf(m.get("priority"), field(path, "priority"), "must be between 0 and 9, got %d", v)
		}
		q.Priority = int(v)
	}
	q.Skills = d.skills(m.get("skills"), field(path, "skills"))
	return q, named
}

func (d *decoder) arrivals(n *yaml.Node, path string) sim.Arrivals {
	var a sim.Arrivals
	m := d.mapping(n, path, "rate_per_hour", "profile")
	if !m.ok {
		return a
	}
	switch {
	case m.has("rate_per_hour") && m.has("profile"):
		d.errorf(n, path, "set rate_per_hour or profile, not both")
		return a
	case !m.has("rate_per_hour") && !m.has("profile"):
		d.errorf(n, path, "missing rate_per_hour or profile")
		return a
	case m.has("rate_per_hour"):
		rp := field(path, "rate_per_hour")
		if v, ok := d.number(m.get("rate_per_hour"), rp); ok {
			if v <= 0 {
				d.errorf(m.get("rate_per_hour"), rp, "must be positive, got %v", v)
			}
			a.RatePerHour = v
		}
		return a
	}
	pp := field(path, "profile")
	steps, ok := d.seq(m.get("profile"), pp)
	if !ok {
		return a
	}
	if len(steps) == 0 {
		d.errorf(m.get("profile"), pp, "at least one step is required")
		return a
	}
	anyPositive, allRead := false, true
	prev := time.Duration(-1)
	for i, step := range steps {
		sp := index(pp, i)
		sm := d.mapping(step, sp, "at", "rate_per_hour")
		if !sm.ok {
			allRead = false
			continue
		}
		var s sim.RateStep
		at, atOK := d.duration(sm.require("at"), field(sp, "at"))
		if atOK {
			switch {
			case at < 0:
				d.errorf(sm.get("at"), field(sp, "at"), "must not be negative, got %s", at)
			case at >= 24*time.Hour:
				d.errorf(sm.get("at"), field(sp, "at"), "must be less than 24h, got %s", at)
			case i == 0 && at != 0:
				d.errorf(sm.get("at"), field(sp, "at"), "the first step must be at 0s, got %s", at)
			case prev >= 0 && at <= prev:
				d.errorf(sm.get("at"), field(sp, "at"), "steps must be in increasing order, %s is not after %s", at, prev)
			}
			s.At, prev = at, at
		}
		rate, rateOK := d.number(sm.require("rate_per_hour"), field(sp, "rate_per_hour"))
		if rateOK {
			if rate < 0 {
				d.errorf(sm.get("rate_per_hour"), field(sp, "rate_per_hour"), "must not be negative, got %v", rate)
			}
			anyPositive = anyPositive || rate > 0
			s.RatePerHour = rate
		}
		allRead = allRead && atOK && rateOK
		a.Profile = append(a.Profile, s)
	}
	if allRead && !anyPositive {
		d.errorf(m.get("profile"), pp, "at least one step needs a positive rate_per_hour")
	}
	return a
}

var distKinds = []sim.DistKind{sim.Exponential, sim.Lognormal, sim.Deterministic}

// dist decodes a duration distribution; ok is false when n is absent or not a mapping.
func (d *decoder) dist(n *yaml.Node, path string) (sim.Dist, bool) {
	var dist sim.Dist
	m := d.mapping(n, path, "dist", "mean", "stddev")
	if !m.ok {
		return dist, false
	}
	kindOK := false
	if v, ok := d.str(m.require("dist"), field(path, "dist")); ok {
		dist.Kind = sim.DistKind(v)
		if kindOK = slices.Contains(distKinds, dist.Kind); !kindOK {
			d.errorf(m.get("dist"), field(path, "dist"), "unknown distribution %q (known: exponential, lognormal, deterministic)", v)
		}
	}
	if v, ok := d.duration(m.require("mean"), field(path, "mean")); ok {
		if v <= 0 {
			d.errorf(m.get("mean"), field(path, "mean"), "must be positive, got %s", v)
		}
		dist.Mean = v
	}
	switch {
	case !kindOK:
	case dist.Kind == sim.Lognormal:
		if v, ok := d.duration(m.require("stddev"), field(path, "stddev")); ok {
			if v <= 0 {
				d.errorf(m.get("stddev"), field(path, "stddev"), "must be positive, got %s", v)
			}
			dist.Stddev = v
		}
	case m.has("stddev"):
		d.errorf(m.get("stddev"), field(path, "stddev"), "only lognormal takes a stddev")
	}
	return dist, true
}

// skills decodes a skill → level map; levels are 1–10.
func (d *decoder) skills(n *yaml.Node, path string) map[string]int {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil
	}
	out := make(map[string]int, len(ps))
	for _, p := range ps {
		sp := field(path, p.name)
		if strings.TrimSpace(p.name) == "" {
			d.errorf(p.key, path, "skill names must not be empty")
			continue
		}
		v, ok := d.integer(p.value, sp)
		if !ok {
			continue
		}
		if v < 1 || v > 10 {
			d.errorf(p.value, sp, "level must be between 1 and 10, got %d", v)
		}
		out[p.name] = int(v)
	}
	return out
}

func (d *decoder) agentGroup(n *yaml.Node, path string, queues map[string]*queueRef) (sim.AgentGroup, bool) {
	var g sim.AgentGroup
	m := d.mapping(n, path, "count", "skills", "queues")
	if !m.ok {
		return g, false
	}
	if v, ok := d.integer(m.require("count"), field(path, "count")); ok {
		switch {
		case v < 1:
			d.errorf(m.get("count"), field(path, "count"), "must be at least 1, got %d", v)
		case v > maxAgentsPerGroup:
			d.errorf(m.get("count"), field(path, "count"), "must be at most %d, got %d", maxAgentsPerGroup, v)
		default:
			g.Count = int(v)
		}
	}
	g.Skills = d.skills(m.get("skills"), field(path, "skills"))
	qp := field(path, "queues")
	items, ok := d.seq(m.require("queues"), qp)
	if ok && len(items) == 0 {
		d.errorf(m.get("queues"), qp, "at least one queue is required")
	}
	seen := map[string]bool{}
	for i, item := range items {
		ip := index(qp, i)
		name, ok := d.str(item, ip)
		if !ok {
			continue
		}
		if seen[name] {
			d.errorf(item, ip, "queue %q listed twice", name)
			continue
		}
		seen[name] = true
		g.Queues = append(g.Queues, name)
		q, known := queues[name]
		if !known {
			d.errorf(item, ip, "unknown queue %q", name)
			continue
		}
		q.served = true
		for _, skill := range sortedKeys(q.spec.Skills) {
			need, have := q.spec.Skills[skill], g.Skills[skill]
			if have < need {
				d.errorf(item, ip, "queue %q requires skill %q at level %d or above, the group has %d", name, skill, need, have)
			}
		}
	}
	return g, true
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nonNegative reports a negative duration.
func (d *decoder) nonNegative(n *yaml.Node, path string, v time.Duration) {
	if v < 0 {
		d.errorf(n, path, "must not be negative, got %s", v)
	}
}
