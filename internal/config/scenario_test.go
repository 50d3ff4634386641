package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/acd/sim"
)

// ok is a minimal valid scenario that bad cases below edit one thing in.
const ok = `duration: 10h
queues:
  - name: q
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 180s}
agents:
  - count: 2
    queues: [q]
`

func TestLoadScenarioGood(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want sim.Scenario
	}{
		{
			name: "minimal with defaults",
			in:   ok,
			want: sim.Scenario{
				Duration: 10 * time.Hour, Seed: 1, ServiceLevelThreshold: 20 * time.Second,
				Queues: []sim.QueueSpec{{
					Name:       "q",
					Arrivals:   sim.Arrivals{RatePerHour: 60},
					HandleTime: sim.Dist{Kind: sim.Exponential, Mean: 180 * time.Second},
				}},
				Agents: []sim.AgentGroup{{Count: 2, Queues: []string{"q"}}},
			},
		},
		{
			name: "everything set",
			in: `duration: 1h30m
warmup: 90          # plain numbers are seconds
seed: -7
service_level_threshold: 2.5
queues:
  - name: support
    arrivals:
      profile:
        - {at: 0h, rate_per_hour: 0}
        - {at: 8h, rate_per_hour: 300.5}
        - {at: 23h59m, rate_per_hour: 10}
    handle_time: {dist: lognormal, mean: 3m, stddev: 60}
    patience: {dist: deterministic, mean: 5m}
    priority: 9
    skills: {en: 3, billing: 10}
  - name: sales
    arrivals: {rate_per_hour: 0x10}
    handle_time: {dist: deterministic, mean: 1s}
    patience: ~        # null is the same as absent
agents:
  - count: 1_000
    skills: {en: 3, billing: 10}
    queues: [support, sales]
  - count: 1
    skills: {}
    queues: [sales]
`,
			want: sim.Scenario{
				Duration: 90 * time.Minute, Warmup: 90 * time.Second, Seed: -7,
				ServiceLevelThreshold: 2500 * time.Millisecond,
				Queues: []sim.QueueSpec{
					{
						Name: "support",
						Arrivals: sim.Arrivals{Profile: []sim.RateStep{
							{At: 0, RatePerHour: 0},
							{At: 8 * time.Hour, RatePerHour: 300.5},
							{At: 23*time.Hour + 59*time.Minute, RatePerHour: 10},
						}},
						HandleTime: sim.Dist{Kind: sim.Lognormal, Mean: 3 * time.Minute, Stddev: time.Minute},
						Patience:   &sim.Dist{Kind: sim.Deterministic, Mean: 5 * time.Minute},
						Priority:   9,
						Skills:     map[string]int{"en": 3, "billing": 10},
					},
					{
						Name:       "sales",
						Arrivals:   sim.Arrivals{RatePerHour: 16},
						HandleTime: sim.Dist{Kind: sim.Deterministic, Mean: time.Second},
					},
				},
				Agents: []sim.AgentGroup{
					{Count: 1000, Skills: map[string]int{"en": 3, "billing": 10}, Queues: []string{"support", "sales"}},
					{Count: 1, Skills: map[string]int{}, Queues: []string{"sales"}},
				},
			},
		},
		{
			name: "anchors, aliases and merge keys",
			in: `duration: 1h
queues:
  - &base
    name: a
    arrivals: {rate_per_hour: 10}
    handle_time: &ht {dist: exponential, mean: 100s}
  - <<: *base
    name: b
    patience: *ht
agents:
  - &g {count: 1, skills: &sk {x: 2}, queues: [a]}
  - <<: [*g]
    count: 3
    queues: [b]
    skills: *sk
`,
			want: sim.Scenario{
				Duration: time.Hour, Seed: 1, ServiceLevelThreshold: 20 * time.Second,
				Queues: []sim.QueueSpec{
					{Name: "a", Arrivals: sim.Arrivals{RatePerHour: 10}, HandleTime: sim.Dist{Kind: sim.Exponential, Mean: 100 * time.Second}},
					{
						Name: "b", Arrivals: sim.Arrivals{RatePerHour: 10},
						HandleTime: sim.Dist{Kind: sim.Exponential, Mean: 100 * time.Second},
						Patience:   &sim.Dist{Kind: sim.Exponential, Mean: 100 * time.Second},
					},
				},
				Agents: []sim.AgentGroup{
					{Count: 1, Skills: map[string]int{"x": 2}, Queues: []string{"a"}},
					{Count: 3, Skills: map[string]int{"x": 2}, Queues: []string{"b"}},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadScenario(strings.NewReader(tt.in), "s.yaml")
			if err != nil {
				t.Fatalf("LoadScenario: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLoadScenarioBad(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{"s.yaml:1: empty file"}},
		{"only comments", "# nothing\n", []string{"s.yaml:1: empty file"}},
		{"syntax", "duration: 1h\nqueues: [\n", []string{"s.yaml:2: did not find expected node content"}},
		{"tab", "duration: 1h\n\tseed: 1\n", []string{"s.yaml:2: found a tab character that violates indentation"}},
		{"unknown anchor", "duration: 1h\nseed: *nope\n", []string{`s.yaml:2: unknown anchor "nope"`}},
		{"two documents", ok + "---\nduration: 1h\n", []string{"s.yaml:9: only one YAML document is allowed"}},
		{"top level list", "- 1\n", []string{"s.yaml:1: want a mapping, got a list"}},
		{"missing everything", "seed: 3\n", []string{
			`s.yaml:1: missing required key "duration"`,
			`s.yaml:1: missing required key "queues"`,
			`s.yaml:1: missing required key "agents"`,
		}},
		{"unknown keys at every level", `duration: 1h
durration: 2h
queues:
  - name: q
    prio: 1
    arrivals: {rate_per_hour: 60, burst: 2}
    handle_time: {dist: exponential, mean: 180s, median: 3s}
agents:
  - count: 2
    queue: [q]
    queues: [q]
`, []string{
			`s.yaml:2: unknown key "durration" (known: duration, warmup, seed, service_level_threshold, queues, agents)`,
			`s.yaml:5: queues[0]: unknown key "prio" (known: name, arrivals, handle_time, patience, priority, skills)`,
			`s.yaml:6: queues[0].arrivals: unknown key "burst" (known: rate_per_hour, profile)`,
			`s.yaml:7: queues[0].handle_time: unknown key "median" (known: dist, mean, stddev)`,
			`s.yaml:10: agents[0]: unknown key "queue" (known: count, skills, queues)`,
		}},
		{"unknown key in profile step", strings.Replace(ok, "{rate_per_hour: 60}", "{profile: [{at: 0s, rate_per_hour: 5, until: 1h}]}", 1), []string{
			`s.yaml:4: queues[0].arrivals.profile[0]: unknown key "until" (known: at, rate_per_hour)`,
		}},
		{"duplicate key", "duration: 1h\nduration: 2h\n" + ok[len("duration: 10h\n"):], []string{
			`s.yaml:2: duplicate key "duration" (first at line 1)`,
		}},
		{"bad durations", `duration: -1h
warmup: -5s
service_level_threshold: soon
queues:
  - name: q
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 0s}
    patience: {dist: exponential, mean: [1]}
agents:
  - count: 2
    queues: [q]
`, []string{
			`s.yaml:1: duration: must be positive, got -1h0m0s`,
			`s.yaml:2: warmup: must not be negative, got -5s`,
			`s.yaml:3: service_level_threshold: want a duration like "90s" or "1h30m", or seconds, got "soon"`,
			`s.yaml:7: queues[0].handle_time.mean: must be positive, got 0s`,
			`s.yaml:8: queues[0].patience.mean: want a duration like "90s" or "1h30m", or seconds, got a list`,
		}},
		{"duration zero and huge", "duration: 0\nwarmup: 1e300\n" + ok[len("duration: 10h\n"):], []string{
			`s.yaml:1: duration: must be positive, got 0s`,
			`s.yaml:2: warmup: duration 1e300 out of range`,
		}},
		{"null required value", "duration:\n" + ok[len("duration: 10h\n"):], []string{
			`s.yaml:1: duration: missing value`,
		}},
		{"rates", strings.Replace(ok, "rate_per_hour: 60", "rate_per_hour: -3", 1), []string{
			`s.yaml:4: queues[0].arrivals.rate_per_hour: must be positive, got -3`,
		}},
		{"zero rate", strings.Replace(ok, "rate_per_hour: 60", "rate_per_hour: 0", 1), []string{
			`s.yaml:4: queues[0].arrivals.rate_per_hour: must be positive, got 0`,
		}},
		{"rate infinite", strings.Replace(ok, "rate_per_hour: 60", "rate_per_hour: .inf", 1), []string{
			`s.yaml:4: queues[0].arrivals.rate_per_hour: want a finite number, got .inf`,
		}},
		{"rate as string", strings.Replace(ok, "rate_per_hour: 60", `rate_per_hour: "60"`, 1), []string{
			`s.yaml:4: queues[0].arrivals.rate_per_hour: want a number, got "60"`,
		}},
		{"both rate and profile", strings.Replace(ok, "{rate_per_hour: 60}", "{rate_per_hour: 60, profile: [{at: 0h, rate_per_hour: 1}]}", 1), []string{
			`s.yaml:4: queues[0].arrivals: set rate_per_hour or profile, not both`,
		}},
		{"neither rate nor profile", strings.Replace(ok, "{rate_per_hour: 60}", "{}", 1), []string{
			`s.yaml:4: queues[0].arrivals: missing rate_per_hour or profile`,
		}},
		{"profile problems", strings.Replace(ok, "arrivals: {rate_per_hour: 60}", `arrivals:
      profile:
        - {at: 1h, rate_per_hour: 10}
        - {at: 3h, rate_per_hour: -1}
        - {at: 2h, rate_per_hour: 10}
        - {at: 2h, rate_per_hour: 10}
        - {at: 24h, rate_per_hour: 10}
        - {at: -1s, rate_per_hour: 10}
        - {rate_per_hour: 10}
        - [0h, 10]`, 1), []string{
			`s.yaml:6: queues[0].arrivals.profile[0].at: the first step must be at 0s, got 1h0m0s`,
			`s.yaml:7: queues[0].arrivals.profile[1].rate_per_hour: must not be negative, got -1`,
			`s.yaml:8: queues[0].arrivals.profile[2].at: steps must be in increasing order, 2h0m0s is not after 3h0m0s`,
			`s.yaml:9: queues[0].arrivals.profile[3].at: steps must be in increasing order, 2h0m0s is not after 2h0m0s`,
			`s.yaml:10: queues[0].arrivals.profile[4].at: must be less than 24h, got 24h0m0s`,
			`s.yaml:11: queues[0].arrivals.profile[5].at: must not be negative, got -1s`,
			`s.yaml:12: queues[0].arrivals.profile[6]: missing required key "at"`,
			`s.yaml:13: queues[0].arrivals.profile[7]: want a mapping, got a list`,
		}},
		{"profile all zero", strings.Replace(ok, "{rate_per_hour: 60}", "{profile: [{at: 0h, rate_per_hour: 0}, {at: 1h, rate_per_hour: 0}]}", 1), []string{
			`s.yaml:4: queues[0].arrivals.profile: at least one step needs a positive rate_per_hour`,
		}},
		{"profile empty", strings.Replace(ok, "{rate_per_hour: 60}", "{profile: []}", 1), []string{
			`s.yaml:4: queues[0].arrivals.profile: at least one step is required`,
		}},
		{"distributions", `duration: 1h
queues:
  - name: q
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: gamma, mean: 1s}
    patience: {dist: lognormal, mean: 60s}
  - name: r
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 1s, stddev: 2s}
    patience: {mean: 1s}
  - name: s
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: lognormal, mean: 1s, stddev: 0s}
    patience: 300s
agents:
  - count: 2
    queues: [q, r, s]
`, []string{
			`s.yaml:5: queues[0].handle_time.dist: unknown distribution "gamma" (known: exponential, lognormal, deterministic)`,
			`s.yaml:6: queues[0].patience: missing required key "stddev"`,
			`s.yaml:9: queues[1].handle_time.stddev: only lognormal takes a stddev`,
			`s.yaml:10: queues[1].patience: missing required key "dist"`,
			`s.yaml:13: queues[2].handle_time.stddev: must be positive, got 0s`,
			`s.yaml:14: queues[2].patience: want a mapping, got "300s"`,
		}},
		{"queue fields", `duration: 1h
queues:
  - arrivals: {rate_per_hour: 60}
    priority: 10
    skills: {en: 0, ru: 11, de: 2.5, fr: "3"}
  - name: ""
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 1s}
    priority: -1
  - name: 7
    handle_time: {dist: exponential, mean: 1s}
    skills: [en]
agents:
  - count: 2
    queues: [q]
`, []string{
			`s.yaml:3: queues[0]: missing required key "name"`,
			`s.yaml:3: queues[0]: missing required key "handle_time"`,
			`s.yaml:4: queues[0].priority: must be between 0 and 9, got 10`,
			`s.yaml:5: queues[0].skills.en: level must be between 1 and 10, got 0`,
			`s.yaml:5: queues[0].skills.ru: level must be between 1 and 10, got 11`,
			`s.yaml:5: queues[0].skills.de: want an integer, got 2.5`,
			`s.yaml:5: queues[0].skills.fr: want an integer, got "3"`,
			`s.yaml:6: queues[1].name: must not be empty`,
			`s.yaml:9: queues[1].priority: must be between 0 and 9, got -1`,
			`s.yaml:10: queues[2].name: want a string, got 7`,
			`s.yaml:10: queues[2]: missing required key "arrivals"`,
			`s.yaml:12: queues[2].skills: want a mapping, got a list`,
			`s.yaml:15: agents[0].queues[0]: unknown queue "q"`,
		}},
		{"duplicate queue names", strings.Replace(ok, "agents:", `  - name: q
    arrivals: {rate_per_hour: 1}
    handle_time: {dist: exponential, mean: 1s}
agents:`, 1), []string{
			`s.yaml:6: queues[1].name: duplicate queue name "q" (first at line 3)`,
		}},
		{"agent groups", `duration: 1h
queues:
  - name: en
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 1s}
    skills: {en: 3}
  - name: ru
    arrivals: {rate_per_hour: 60}
    handle_time: {dist: exponential, mean: 1s}
agents:
  - count: 0
    queues: [en, sales, en]
    skills: {en: 2}
  - count: 2.5
    queues: []
  - count: "3"
    queues: en
  - queues: [ru]
  - count: 1000000
    queues: [ru, 5]
`, []string{
			`s.yaml:11: agents[0].count: must be at least 1, got 0`,
			`s.yaml:12: agents[0].queues[0]: queue "en" requires skill "en" at level 3 or above, the group has 2`,
			`s.yaml:12: agents[0].queues[1]: unknown queue "sales"`,
			`s.yaml:12: agents[0].queues[2]: queue "en" listed twice`,
			`s.yaml:14: agents[1].count: want an integer, got 2.5`,
			`s.yaml:15: agents[1].queues: at least one queue is required`,
			`s.yaml:16: agents[2].count: want an integer, got "3"`,
			`s.yaml:17: agents[2].queues: want a list, got "en"`,
			`s.yaml:18: agents[3]: missing required key "count"`,
			`s.yaml:19: agents[4].count: must be at most 100000, got 1000000`,
			`s.yaml:20: agents[4].queues[1]: want a string, got 5`,
		}},
		{"queue nobody serves", strings.Replace(ok, "agents:", `  - name: orphan
    arrivals: {rate_per_hour: 1}
    handle_time: {dist: exponential, mean: 1s}
agents:`, 1), []string{
			`s.yaml:6: queues[1]: no agent group serves queue "orphan"`,
		}},
		{"empty lists", "duration: 1h\nqueues: []\nagents: []\n", []string{
			`s.yaml:2: queues: at least one queue is required`,
			`s.yaml:3: agents: at least one agent group is required`,
		}},
		{"wrong types at top", "duration: [1h]\nseed: 1.5\nqueues: {name: q}\nagents: 3\n", []string{
			`s.yaml:1: duration: want a duration like "90s" or "1h30m", or seconds, got a list`,
			`s.yaml:2: seed: want an integer, got 1.5`,
			`s.yaml:3: queues: want a list, got a mapping`,
			`s.yaml:4: agents: want a list, got 3`,
		}},
		{"seed out of range", strings.Replace(ok, "duration: 10h", "duration: 10h\nseed: 99999999999999999999", 1), []string{
			`s.yaml:2: seed: integer 99999999999999999999 out of range`,
		}},
		{"bad merge", strings.Replace(ok, "  - count: 2", "  - <<: 5\n    count: 2", 1), []string{
			`s.yaml:7: agents[0].<<: want a mapping or a list of mappings to merge, got 5`,
		}},
		{"merge cycle", "&a\n<<: *a\n", []string{
			`s.yaml:1: missing required key "duration"`,
			`s.yaml:1: missing required key "queues"`,
			`s.yaml:1: missing required key "agents"`,
			`s.yaml:2: merge keys nested too deeply`,
		}},
		{"complex key", "? [a]\n: 1\n" + ok, []string{
			`s.yaml:1: keys must be strings, got a list`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := LoadScenario(strings.NewReader(tt.in), "s.yaml")
			if err == nil {
				t.Fatalf("LoadScenario succeeded: %+v", sc)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T %v, want Errors", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if len(errs) != len(got) {
				t.Errorf("%d errors print as %d lines", len(errs), len(got))
			}
			if !reflect.DeepEqual(sc, sim.Scenario{}) {
				t.Errorf("a failed load returned %+v, want the zero Scenario", sc)
			}
		})
	}
}

func TestErrorsFields(t *testing.T) {
	_, err := LoadScenario(strings.NewReader("seed: x\n"), "dir/a.yaml")
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("got %v, want Errors", err)
	}
	if got, want := errs[0], (Error{File: "dir/a.yaml", Line: 1, Reason: `missing required key "duration"`}); got != want {
		t.Errorf("first error %+v, want %+v", got, want)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadScenarioReadError(t *testing.T) {
	_, err := LoadScenario(failingReader{}, "x.yaml")
	if err == nil || err.Error() != "read scenario x.yaml: disk on fire" {
		t.Errorf("got %v", err)
	}
}

// loadFiles loads every *.yaml file of dir, failing the test on any error.
func loadFiles(t *testing.T, dir string) map[string]sim.Scenario {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in %s (%v)", dir, err)
	}
	out := map[string]sim.Scenario{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := LoadScenario(fh, f)
		fh.Close()
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if msg := checkScenario(sc); msg != "" {
			t.Errorf("%s: loaded but invalid: %s", f, msg)
		}
		out[filepath.Base(f)] = sc
	}
	return out
}

func TestTestdataScenarios(t *testing.T) {
	loadFiles(t, "testdata")
}

// TestShippedScenarios loads the examples the README points at and checks the numbers their
// comments promise.
func TestShippedScenarios(t *testing.T) {
	got := loadFiles(t, filepath.Join("..", "..", "cmd", "switchboard", "scenarios"))
	for _, name := range []string{"mm10.yaml", "overload.yaml", "dayprofile.yaml", "multiskill.yaml"} {
		if _, ok := got[name]; !ok {
			t.Errorf("scenario %s missing", name)
		}
	}
	rho := func(sc sim.Scenario) float64 {
		var load float64
		for _, q := range sc.Queues {
			load += q.Arrivals.RatePerHour / 3600 * q.HandleTime.Mean.Seconds()
		}
		agents := 0
		for _, g := range sc.Agents {
			agents += g.Count
		}
		return load / float64(agents)
	}
	near := func(name string, got, want float64) {
		if got < want-0.01 || got > want+0.01 {
			t.Errorf("%s: occupancy %.3f, want %.2f", name, got, want)
		}
	}
	near("mm10.yaml", rho(got["mm10.yaml"]), 0.9)
	near("overload.yaml", rho(got["overload.yaml"]), 1.1)
	near("multiskill.yaml", rho(got["multiskill.yaml"]), 0.88)
	if sc := got["mm10.yaml"]; sc.Queues[0].Patience != nil || sc.Queues[0].HandleTime.Kind != sim.Exponential {
		t.Errorf("mm10.yaml is not M/M/s: %+v", sc.Queues[0])
	}
	if sc := got["dayprofile.yaml"]; len(sc.Queues[0].Arrivals.Profile) < 2 {
		t.Errorf("dayprofile.yaml has no profile")
	}
}
