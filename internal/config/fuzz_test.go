package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/acd/sim"
)

// FuzzLoadScenario checks that no input panics the loader, that what it accepts is a valid
// scenario, and that writing an accepted scenario back out as YAML loads to the same value.
// Seeds: testdata/fuzz/FuzzLoadScenario and every testdata/*.yaml.
func FuzzLoadScenario(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		sc, err := LoadScenario(bytes.NewReader(in), "f.yaml")
		if err != nil {
			for _, e := range err.(Errors) {
				if e.File != "f.yaml" || e.Line < 1 || e.Reason == "" {
					t.Fatalf("malformed error %+v", e)
				}
			}
			return
		}
		if msg := checkScenario(sc); msg != "" {
			t.Fatalf("accepted an invalid scenario: %s\n%+v", msg, sc)
		}
		out := formatScenario(sc)
		again, err := LoadScenario(strings.NewReader(out), "again.yaml")
		if err != nil {
			t.Fatalf("reloading %q: %v", out, err)
		}
		if !reflect.DeepEqual(normalize(sc), normalize(again)) {
			t.Fatalf("round trip changed the scenario:\n%+v\n%+v", sc, again)
		}
	})
}

// checkScenario states what a loaded scenario guarantees, independently of how the loader
// enforces it. It returns "" when sc is valid.
func checkScenario(sc sim.Scenario) string {
	switch {
	case sc.Duration <= 0:
		return "duration not positive"
	case sc.Warmup < 0:
		return "negative warmup"
	case sc.ServiceLevelThreshold < 0:
		return "negative service level threshold"
	case len(sc.Queues) == 0 || len(sc.Agents) == 0:
		return "no queues or no agents"
	}
	skillsOK := func(m map[string]int) bool {
		for k, v := range m {
			if strings.TrimSpace(k) == "" || v < 1 || v > 10 {
				return false
			}
		}
		return true
	}
	distOK := func(d sim.Dist) bool {
		switch d.Kind {
		case sim.Exponential, sim.Deterministic:
			return d.Mean > 0 && d.Stddev == 0
		case sim.Lognormal:
			return d.Mean > 0 && d.Stddev > 0
		}
		return false
	}
	queues := map[string]sim.QueueSpec{}
	for _, q := range sc.Queues {
		if strings.TrimSpace(q.Name) == "" {
			return "empty queue name"
		}
		if _, dup := queues[q.Name]; dup {
			return "duplicate queue " + q.Name
		}
		queues[q.Name] = q
		if len(q.Arrivals.Profile) == 0 && q.Arrivals.RatePerHour <= 0 {
			return q.Name + ": no arrivals"
		}
		if len(q.Arrivals.Profile) > 0 {
			if q.Arrivals.RatePerHour != 0 || q.Arrivals.Profile[0].At != 0 {
				return q.Name + ": bad profile start"
			}
			positive := false
			for i, s := range q.Arrivals.Profile {
				if s.At >= 24*time.Hour || s.RatePerHour < 0 || i > 0 && s.At <= q.Arrivals.Profile[i-1].At {
					return q.Name + ": bad profile step"
				}
				positive = positive || s.RatePerHour > 0
			}
			if !positive {
				return q.Name + ": profile all zero"
			}
		}
		if !distOK(q.HandleTime) || q.Patience != nil && !distOK(*q.Patience) {
			return q.Name + ": bad distribution"
		}
		if q.Priority < 0 || q.Priority > 9 || !skillsOK(q.Skills) {
			return q.Name + ": bad priority or skills"
		}
	}
	served := map[string]bool{}
	for i, g := range sc.Agents {
		if g.Count < 1 || len(g.Queues) == 0 || !skillsOK(g.Skills) {
			return fmt.Sprintf("agents[%d] invalid", i)
		}
		for _, name := range g.Queues {
			q, ok := queues[name]
			if !ok || served[name+"\x00"+strconv.Itoa(i)] {
				return fmt.Sprintf("agents[%d]: bad queue %q", i, name)
			}
			served[name+"\x00"+strconv.Itoa(i)] = true
			served[name] = true
			for skill, need := range q.Skills {
				if g.Skills[skill] < need {
					return fmt.Sprintf("agents[%d]: lacks %s for %s", i, skill, name)
				}
			}
		}
	}
	for name := range queues {
		if !served[name] {
			return "queue " + name + " not served"
		}
	}
	return ""
}

// formatScenario writes sc in the scenario format.
func formatScenario(sc sim.Scenario) string {
	var b strings.Builder
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	dist := func(d sim.Dist) string {
		s := fmt.Sprintf("{dist: %s, mean: %s", strconv.Quote(string(d.Kind)), d.Mean)
		if d.Stddev != 0 {
			s += ", stddev: " + d.Stddev.String()
		}
		return s + "}"
	}
	skills := func(m map[string]int) string {
		var parts []string
		for _, k := range sortedKeys(m) {
			parts = append(parts, fmt.Sprintf("%s: %d", strconv.Quote(k), m[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	fmt.Fprintf(&b, "duration: %s\nwarmup: %s\nseed: %d\nservice_level_threshold: %s\nqueues:\n",
		sc.Duration, sc.Warmup, sc.Seed, sc.ServiceLevelThreshold)
	for _, q := range sc.Queues {
		fmt.Fprintf(&b, "  - name: %s\n", strconv.Quote(q.Name))
		if len(q.Arrivals.Profile) > 0 {
			b.WriteString("    arrivals:\n      profile:\n")
			for _, s := range q.Arrivals.Profile {
				fmt.Fprintf(&b, "        - {at: %s, rate_per_hour: %s}\n", s.At, num(s.RatePerHour))
			}
		} else {
			fmt.Fprintf(&b, "    arrivals: {rate_per_hour: %s}\n", num(q.Arrivals.RatePerHour))
		}
		fmt.Fprintf(&b, "    handle_time: %s\n", dist(q.HandleTime))
		if q.Patience != nil {
			fmt.Fprintf(&b, "    patience: %s\n", dist(*q.Patience))
		}
		fmt.Fprintf(&b, "    priority: %d\n    skills: %s\n", q.Priority, skills(q.Skills))
	}
	b.WriteString("agents:\n")
	for _, g := range sc.Agents {
		var qs []string
		for _, q := range g.Queues {
			qs = append(qs, strconv.Quote(q))
		}
		fmt.Fprintf(&b, "  - count: %d\n    skills: %s\n    queues: [%s]\n", g.Count, skills(g.Skills), strings.Join(qs, ", "))
	}
	return b.String()
}

// normalize makes absent and empty skill maps compare equal.
func normalize(sc sim.Scenario) sim.Scenario {
	sc.Queues = append([]sim.QueueSpec(nil), sc.Queues...)
	sc.Agents = append([]sim.AgentGroup(nil), sc.Agents...)
	for i := range sc.Queues {
		if len(sc.Queues[i].Skills) == 0 {
			sc.Queues[i].Skills = nil
		}
	}
	for i := range sc.Agents {
		if len(sc.Agents[i].Skills) == 0 {
			sc.Agents[i].Skills = nil
		}
	}
	return sc
}
