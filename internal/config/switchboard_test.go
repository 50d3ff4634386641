package config

import (
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
)

const examplePath = "../../deploy/switchboard.example.yaml"

// okConfig is a small valid switchboard.yaml that bad cases below edit one thing in.
const okConfig = `queues:
  - name: q
    skills: {en: 2}
agents:
  - id: "1001"
    endpoint: PJSIP/1001
    skills: {en: 5}
    queues: [q]
dids:
  - number: "100"
    queue: q
`

func loadConfigString(t *testing.T, in string) *Config {
	t.Helper()
	c, err := LoadConfig(strings.NewReader(in), "sb.yaml")
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return c
}

func TestLoadConfigDefaults(t *testing.T) {
	c := loadConfigString(t, "queues: [{name: q}]\n")
	want := &Config{
		Node: "ast1",
		ARI:  ARI{URL: "http://127.0.0.1:8088/ari", App: "switchboard", MaxConns: DefaultARIMaxConns},
		HTTP: HTTP{Listen: "127.0.0.1:8080", ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, StreamWriteTimeout: 10 * time.Second,
			StreamsPerSession: 4, StreamsPerUser: 16},
		Log:         Log{Format: LogText, Level: slog.LevelInfo},
		Database:    Database{DataDir: "./data"},
		AgentsLogin: AgentsLoginDesktop,
		DeskLogin:   DeskLoginNotReady,
		Queues: []acd.QueueConfig{{
			Name: "q", SLThreshold: 20 * time.Second, SLGoal: 0.8, Strategy: acd.LongestIdle,
		}},
		Media:        map[string]QueueMedia{"q": {MOH: "default", Recording: Recording{Policy: RecordNever, Retention: DefaultRetention, Notice: DefaultNotice}}},
		Hours:        map[string]*Hours{},
		Recordings:   Recordings{Fetch: FetchARI},
		Dispositions: DefaultDispositions,
		raw:          []byte("queues: [{name: q}]\n"),
		Callbacks:    defaultCallbacks(),
		TimeZone:     time.UTC,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadConfigEverything(t *testing.T) {
	in := `node: ast-2_b
ari: {url: "https://pbx.example.com:8089/ari", app: router.v2, max_conns: 8}
http:
  listen: ":9090"
  public_url: "https://Switchboard.example.com:8443/"
  read_header_timeout: 2s
  read_timeout: 5
  write_timeout: 1m
  idle_timeout: 30s
  stream_write_timeout: 3s
  streams_per_session: 2
  streams_per_user: 3
  trusted_proxies: [10.0.0.0/8, "::1", 192.0.2.7]
log: {format: json, level: debug}
database: {data_dir: /var/lib/switchboard}
agents_login: all
desk_login: available
desk_endpoints: ["PJSIP/1*", "PJSIP/*@pbx-2"]
show_monitored: true
hours:
  base: &base
    timezone: UTC
    weekly: {mon-fri: "9:00 - 17:00"}
    closed: {message: custom/closed}
  office:
    <<: *base
    timezone: Europe/Berlin
    holidays: [2026-12-26, "2026-12-25"]
queues:
  - name: b
    overflow: {queue: a}        # forward reference
    max_wait: 90
    expansion: [{after: 10s, drop: [x]}, {after: 20s, level_drop: 10}]
    skills: {x: 10, y: 9}
    announce: {every: 0}
    recording: {policy: sample, sample: 1}
    moh: jazz
  - name: a
    priority: 9
    service_level: {threshold: 1m, goal: 1}
    ring_timeout: 5s
    wrap_up: 0
    require_disposition: true
    callback_threshold: 2m
    strategy: fewest-calls
    announce: {every: 10s, wait: false}
agents:
  - id: 0042
    name: "  Zoë  "
    endpoint: SIP/zoe@trunk
    skills: {y: 1}
    queues: [{queue: b, penalty: 3}, a]
dids:
  - {number: "+4930123", flow: menu, priority: 9, skills: {z: 10}, hours: office}
  - {number: 0800, queue: a}
`
	c := loadConfigString(t, in)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	want := &Config{
		Node: "ast-2_b",
		ARI:  ARI{URL: "https://pbx.example.com:8089/ari", App: "router.v2", MaxConns: 8},
		HTTP: HTTP{Listen: ":9090", PublicURL: "https://Switchboard.example.com:8443", ReadHeaderTimeout: 2 * time.Second,
			ReadTimeout: 5 * time.Second, WriteTimeout: time.Minute, IdleTimeout: 30 * time.Second, StreamWriteTimeout: 3 * time.Second,
			StreamsPerSession: 2, StreamsPerUser: 3, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
				netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.0.2.7/32")}},
		Log:           Log{Format: LogJSON, Level: slog.LevelDebug},
		Database:      Database{DataDir: "/var/lib/switchboard"},
		AgentsLogin:   AgentsLoginAll,
		DeskLogin:     DeskLoginAvailable,
		DeskEndpoints: []string{"PJSIP/1*", "PJSIP/*@pbx-2"}, ShowMonitored: true,
		Queues: []acd.QueueConfig{
			{
				Name: "b", SLThreshold: 20 * time.Second, SLGoal: 0.8, Strategy: acd.LongestIdle,
				Skills: map[string]int{"x": 10, "y": 9}, MaxWait: 90 * time.Second, Overflow: acd.Overflow{Queue: "a"},
				Expansion: []acd.ExpansionStep{{After: 10 * time.Second, Drop: []string{"x"}}, {After: 20 * time.Second, LevelDrop: 10}},
			},
			{
				Name: "a", Priority: 9, SLThreshold: time.Minute, SLGoal: 1, Strategy: acd.FewestCalls,
				RingTimeout: 5 * time.Second, CallbackThreshold: 2 * time.Minute, RequireDisposition: true,
			},
		},
		Agents: []acd.AgentConfig{{
			ID: "0042", Name: "Zoë", Endpoint: "SIP/zoe@trunk", Skills: map[string]int{"y": 1},
			Queues: []acd.Membership{{Queue: "b", Penalty: 3}, {Queue: "a"}},
		}},
		Media: map[string]QueueMedia{
			"b": {MOH: "jazz", Recording: Recording{Policy: RecordSample, Sample: 1, Retention: DefaultRetention, Notice: DefaultNotice}},
			"a": {MOH: "default", Announce: Announce{Every: 10 * time.Second, Position: true},
				Recording: Recording{Policy: RecordNever, Retention: DefaultRetention, Notice: DefaultNotice}},
		},
		Recordings: Recordings{Fetch: FetchARI},
		DIDs: []DID{
			{Number: "+4930123", Flow: "menu", Priority: 9, Skills: map[string]int{"z": 10}, Hours: "office"},
			{Number: "0800", Queue: "a"},
		},
		Hours: map[string]*Hours{
			"base": {Name: "base", TimeZone: "UTC", Location: time.UTC, Closed: Closed{Message: "custom/closed"}},
			"office": {Name: "office", TimeZone: "Europe/Berlin", Location: berlin, Closed: Closed{Message: "custom/closed"},
				Holidays: []Date{{Year: 2026, Month: 12, Day: 25}, {Year: 2026, Month: 12, Day: 26}}},
		},
		Dispositions: DefaultDispositions,
		raw:          []byte(in),
		Callbacks:    defaultCallbacks(),
		TimeZone:     time.UTC,
	}
	nine := []Span{{Start: 9 * time.Hour, End: 17 * time.Hour}}
	for _, h := range want.Hours {
		for day := time.Monday; day <= time.Friday; day++ {
			h.Weekly[day] = nine
		}
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got\n%+v\nwant\n%+v", c, want)
		for name, h := range c.Hours {
			t.Logf("hours %s: %+v", name, *h)
		}
	}
}

// TestExampleConfig loads the shipped example, checks what its comments promise and that the
// engine accepts every queue and agent.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(bytes.NewReader(data), filepath.Base(examplePath))
	if err != nil {
		t.Fatalf("the example does not load:\n%v", err)
	}
	if !bytes.Equal(c.Snapshot(), data) {
		t.Error("Snapshot differs from the file")
	}
	if c.ARI.App != "switchboard" || c.Node != "ast1" || len(c.Queues) != 3 || len(c.Agents) != 4 || len(c.DIDs) != 3 {
		t.Errorf("unexpected example: %+v", c)
	}
	e, err := acd.New(acd.Options{Clock: &acd.ManualClock{T: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range c.Queues {
		if err := e.AddQueue(q); err != nil {
			t.Errorf("engine refuses queue %s: %v", q.Name, err)
		}
		if _, ok := c.Media[q.Name]; !ok {
			t.Errorf("no media for queue %s", q.Name)
		}
	}
	for _, a := range c.Agents {
		if err := e.AddAgent(a); err != nil {
			t.Errorf("engine refuses agent %s: %v", a.ID, err)
		}
	}
	office := c.Hours[c.DIDs[0].Hours]
	berlin := office.Location
	for _, tc := range []struct {
		t    time.Time
		open bool
	}{
		{time.Date(2026, 3, 2, 8, 0, 0, 0, berlin), true},     // Monday
		{time.Date(2026, 3, 2, 12, 45, 0, 0, berlin), false},  // lunch
		{time.Date(2026, 3, 7, 12, 59, 0, 0, berlin), true},   // Saturday
		{time.Date(2026, 3, 8, 10, 0, 0, 0, berlin), false},   // Sunday
		{time.Date(2026, 12, 25, 10, 0, 0, 0, berlin), false}, // Friday, holiday
	} {
		if got := office.Open(tc.t); got != tc.open {
			t.Errorf("office.Open(%s) = %v, want %v", tc.t, got, tc.open)
		}
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	c := loadConfigString(t, okConfig)
	s := c.Snapshot()
	s[0] = 'X'
	if string(c.Snapshot()) != okConfig {
		t.Error("changing a snapshot changed the config")
	}
}

func TestLoadEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c := loadConfigString(t, okConfig)
	if err := c.LoadEnv(env(map[string]string{"ARI_USER": "switchboard", "ARI_PASSWORD": "s3cret", "DATABASE_URL": "postgres://x"})); err != nil {
		t.Fatal(err)
	}
	if c.ARI.User != "switchboard" || c.ARI.Password != "s3cret" || c.Database.URL != "postgres://x" {
		t.Errorf("LoadEnv filled %+v %+v", c.ARI, c.Database)
	}
	err := c.LoadEnv(env(map[string]string{"ARI_PASSWORD": "x"}))
	if err == nil || err.Error() != "environment: ARI_USER not set (ARI credentials are never read from the config file)" {
		t.Errorf("got %v", err)
	}
	err = c.LoadEnv(env(nil))
	if err == nil || err.Error() != "environment: ARI_USER and ARI_PASSWORD not set (ARI credentials are never read from the config file)" {
		t.Errorf("got %v", err)
	}
}

func TestLoadConfigReadError(t *testing.T) {
	_, err := LoadConfig(failingReader{}, "x.yaml")
	if err == nil || err.Error() != "read config x.yaml: disk on fire" {
		t.Errorf("got %v", err)
	}
}

// TestCenterTimeZone: the center's zone is an IANA name; anything else is a readable error
// on its line.
func TestCenterTimeZone(t *testing.T) {
	c := loadConfigString(t, "timezone: Europe/Moscow\n"+okConfig)
	if c.TimeZone == nil || c.TimeZone.String() != "Europe/Moscow" {
		t.Fatalf("zone %v", c.TimeZone)
	}
	for in, want := range map[string]string{
		"timezone: Mars/Olympus\n":  `sb.yaml:1: timezone: unknown time zone "Mars/Olympus" (is the tzdata package installed?)`,
		"timezone: Local\n":         `sb.yaml:1: timezone: want an IANA time zone like "Europe/Berlin" or "UTC", got "Local"`,
		"timezone: ../etc/passwd\n": `sb.yaml:1: timezone: want an IANA time zone like "Europe/Berlin" or "UTC", got "../etc/passwd"`,
	} {
		_, err := LoadConfig(strings.NewReader(in+okConfig), "sb.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %s", in, err, want)
		}
	}
}

func TestLoadConfigBad(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", []string{"sb.yaml:1: empty file"}},
		{"syntax", "queues: [\n", []string{"sb.yaml:1: did not find expected node content"}},
		{"no queues", "node: x\n", []string{`sb.yaml:1: missing required key "queues"`}},
		{"empty queues", "queues: []\n", []string{"sb.yaml:1: queues: at least one queue is required"}},
		{"unknown keys", `nodez: x
ari: {url: "http://h/ari", apps: x}
http: {port: 1}
log: {colour: true}
database: {host: x}
` + okConfig + `hours:
  h: {timezone: UTC, weekly: {}, closed: {message: m}, open: {}}
`, []string{
			`sb.yaml:1: unknown key "nodez" (known: node, ari, nodes, http, log, database, queues, agents, agents_login, desk_login, desk_endpoints, show_monitored, dids, hours, ivr, crm, recordings, callbacks, timezone, softphone)`,
			`sb.yaml:2: ari: unknown key "apps" (known: url, app, max_conns)`,
			`sb.yaml:3: http: unknown key "port" (known: listen, public_url, read_header_timeout, read_timeout, write_timeout, idle_timeout, stream_write_timeout, streams_per_session, streams_per_user, trusted_proxies)`,
			`sb.yaml:4: log: unknown key "colour" (known: format, level)`,
			`sb.yaml:5: database: unknown key "host" (known: data_dir)`,
			`sb.yaml:18: hours.h: unknown key "open" (known: timezone, weekly, holidays, closed)`,
		}},
		{"secrets in the file", `ari:
  user: switchboard
  password: hunter2
  url: http://switchboard:hunter2@127.0.0.1:8088/ari
database: {url: "postgres://u:p@h/db"}
` + okConfig, []string{
			`sb.yaml:2: ari.user: credentials are read from the environment (ARI_USER, ARI_PASSWORD), never from the file`,
			`sb.yaml:3: ari.password: credentials are read from the environment (ARI_USER, ARI_PASSWORD), never from the file`,
			`sb.yaml:4: ari.url: credentials are read from the environment (ARI_USER, ARI_PASSWORD), never from the file`,
			`sb.yaml:5: database.url: set DATABASE_URL in the environment instead: the file is stored in the database and must hold no secrets`,
		}},
		{"top-level values", `node: "ast 1"
ari: {url: "ftp://h/ari", app: "a,b"}
http: {listen: "8080"}
log: {format: xml, level: trace}
database: {data_dir: " "}
agents_login: everyone
desk_endpoints: ["PJSIP/[1", "nophone", 7]
desk_login: ready
` + okConfig, []string{
			`sb.yaml:1: node: "ast 1" is not a node name (letters, digits, '_' and '-', starting with a letter or digit, at most 32)`,
			`sb.yaml:2: ari.url: want an http:// or https:// URL like "http://127.0.0.1:8088/ari", got "ftp://h/ari"`,
			`sb.yaml:2: ari.app: "a,b" is not an application name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:3: http.listen: want host:port like "127.0.0.1:8080", got "8080"`,
			`sb.yaml:4: log.format: unknown format "xml" (known: text, json)`,
			`sb.yaml:4: log.level: unknown level "trace" (known: debug, info, warn, error)`,
			`sb.yaml:5: database.data_dir: must not be empty`,
			`sb.yaml:6: agents_login: unknown value "everyone" (known: desktop, all)`,
			`sb.yaml:7: desk_endpoints[0]: "PJSIP/[1" is not a pattern like PJSIP/1* (technology/resource, * and ? as wildcards)`,
			`sb.yaml:7: desk_endpoints[1]: "nophone" is not a pattern like PJSIP/1* (technology/resource, * and ? as wildcards)`,
			`sb.yaml:7: desk_endpoints[2]: want a string, got 7`,
			`sb.yaml:8: desk_login: unknown value "ready" (known: not_ready, available)`,
		}},
		{"http values", `http:
  public_url: "ftp://switchboard.example.com"
  read_header_timeout: 0s
  read_timeout: 2h
  write_timeout: soon
  idle_timeout: -1
  streams_per_session: 0
  streams_per_user: 1001
  trusted_proxies: [proxy.local, 10.1.2.3/8, 7]
` + okConfig, []string{
			`sb.yaml:2: http.public_url: want the site's address like "https://switchboard.example.com", got "ftp://switchboard.example.com"`,
			`sb.yaml:3: http.read_header_timeout: must be above 0 and at most 1h0m0s, got 0s`,
			`sb.yaml:4: http.read_timeout: must be above 0 and at most 1h0m0s, got 2h0m0s`,
			`sb.yaml:5: http.write_timeout: want a duration like "90s" or "1h30m", or seconds, got "soon"`,
			`sb.yaml:6: http.idle_timeout: must be above 0 and at most 1h0m0s, got -1s`,
			`sb.yaml:7: http.streams_per_session: must be between 1 and 1000, got 0`,
			`sb.yaml:8: http.streams_per_user: must be between 1 and 1000, got 1001`,
			`sb.yaml:9: http.trusted_proxies[0]: "proxy.local" is not an address or a CIDR range like 10.0.0.0/8`,
			`sb.yaml:9: http.trusted_proxies[1]: "10.1.2.3/8" has host bits set; the range is 10.0.0.0/8`,
			`sb.yaml:9: http.trusted_proxies[2]: want a string, got 7`,
		}},
		{"public url", "http: {public_url: \"https://u:p@sb.example.com\"}\n" + okConfig, []string{
			`sb.yaml:1: http.public_url: must not hold credentials`,
		}},
		{"public url path", "http: {public_url: \"https://sb.example.com/switchboard?x=1\"}\n" + okConfig, []string{
			`sb.yaml:1: http.public_url: want only scheme://host[:port] (the site is served at the root), got "https://sb.example.com/switchboard?x=1"`,
		}},
		{"public url port", "http: {public_url: \"https://sb.example.com:0\"}\n" + okConfig, []string{
			`sb.yaml:1: http.public_url: bad port "0"`,
		}},
		{"http limits that contradict", "http: {read_timeout: 5s, streams_per_session: 20}\n" + okConfig, []string{
			`sb.yaml:1: http: read_header_timeout 10s is longer than read_timeout 5s, which includes it`,
			`sb.yaml:1: http: streams_per_session 20 is more than streams_per_user 16, which includes it`,
		}},
		{"ari pool none", "node: a\nari:\n  max_conns: 0\n" + okConfig, []string{
			`sb.yaml:3: ari.max_conns: 0 connections: want 1 to 90 (Asterisk serves 100 HTTP sessions by default)`,
		}},
		{"ari pool past asterisk's limit", "ari: {max_conns: 200}\n" + okConfig, []string{
			`sb.yaml:1: ari.max_conns: 200 connections: want 1 to 90 (Asterisk serves 100 HTTP sessions by default)`,
		}},
		{"ari pool not a number", "ari: {max_conns: many}\n" + okConfig, []string{
			`sb.yaml:1: ari.max_conns: want an integer, got "many"`,
		}},
		{"ports", "ari: {url: \"http://h:99999/ari\"}\nhttp: {listen: \"h:0\"}\n" + okConfig, []string{
			`sb.yaml:1: ari.url: bad port "99999"`,
			`sb.yaml:2: http.listen: want host:port like "127.0.0.1:8080", got "h:0"`,
		}},
		{"queue values", `queues:
  - name: q
    priority: 10
    service_level: {threshold: 0s, goal: 1.5}
    skills: {en: 11, "": 1}
    callback_threshold: -1s
    wrap_up: soon
    ring_timeout: -5
    strategy: random
    moh: "my class"
  - name: "bad name"
  - priority: 1
`, []string{
			`sb.yaml:3: queues[0].priority: must be between 0 and 9, got 10`,
			`sb.yaml:4: queues[0].service_level.threshold: must be positive, got 0s`,
			`sb.yaml:4: queues[0].service_level.goal: must be above 0 and at most 1, got 1.5`,
			`sb.yaml:5: queues[0].skills.en: level must be between 1 and 10, got 11`,
			`sb.yaml:5: queues[0].skills: skill names must not be empty`,
			`sb.yaml:6: queues[0].callback_threshold: must not be negative, got -1s`,
			`sb.yaml:7: queues[0].wrap_up: want a duration like "90s" or "1h30m", or seconds, got "soon"`,
			`sb.yaml:8: queues[0].ring_timeout: must not be negative, got -5s`,
			`sb.yaml:9: queues[0].strategy: unknown strategy "random" (known: longest-idle, best-skill, fewest-calls, round-robin)`,
			`sb.yaml:10: queues[0].moh: "my class" is not a music-on-hold class (letters, digits, '_' and '-')`,
			`sb.yaml:11: queues[1].name: "bad name" is not a queue name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:12: queues[2]: missing required key "name"`,
		}},
		{"duplicate queue", "queues:\n  - name: q\n  - name: q\n", []string{
			`sb.yaml:3: queues[1].name: duplicate queue name "q" (first at line 2)`,
		}},
		{"overflow", `queues:
  - {name: a, overflow: {queue: b}}
  - {name: b, max_wait: 1m}
  - {name: c, max_wait: 0, overflow: {callback: true}}
  - {name: d, max_wait: 1m, overflow: {queue: x, callback: true}}
  - {name: e, max_wait: 1m, overflow: {callback: false}}
  - {name: f, max_wait: 1m, overflow: {}}
  - {name: g, max_wait: 1m, overflow: {queue: g}}
  - {name: h, max_wait: 1m, overflow: {queue: nowhere}}
  - {name: i, max_wait: -1m, overflow: {callback: true}}
`, []string{
			`sb.yaml:2: queues[0].overflow: overflow needs max_wait (how long a call waits before it overflows)`,
			`sb.yaml:3: queues[1].max_wait: has no effect without overflow (set overflow: {queue: ...} or {callback: true})`,
			`sb.yaml:4: queues[2].max_wait: must be positive with an overflow, got 0s`,
			`sb.yaml:5: queues[3].overflow: set queue or callback: true, not both`,
			`sb.yaml:6: queues[4].overflow: callback: false overflows nowhere; remove overflow instead`,
			`sb.yaml:7: queues[5].overflow: missing queue or callback: true`,
			`sb.yaml:8: queues[6].overflow.queue: queue "g" overflows to itself`,
			`sb.yaml:9: queues[7].overflow.queue: unknown queue "nowhere"`,
			`sb.yaml:10: queues[8].max_wait: must not be negative, got -1m0s`,
		}},
		{"overflow cycles", `queues:
  - {name: a, max_wait: 1m, overflow: {queue: b}}
  - {name: b, max_wait: 1m, overflow: {queue: c}}
  - {name: c, max_wait: 1m, overflow: {queue: a}}
  - {name: d, max_wait: 1m, overflow: {queue: a}}
  - {name: e, max_wait: 1m, overflow: {queue: f}}
  - {name: f, max_wait: 1m, overflow: {queue: e}}
`, []string{
			`sb.yaml:2: queues[0].overflow.queue: overflow cycle: a → b → c → a`,
			`sb.yaml:6: queues[4].overflow.queue: overflow cycle: e → f → e`,
		}},
		{"expansion", `queues:
  - name: q
    skills: {en: 3}
    expansion:
      - {after: 30s, level_drop: 11}
      - {after: 30s, drop: [fr, en]}
      - {after: 40s, drop: [en]}
      - {after: 0s, level_drop: 1}
      - {after: 50s}
      - {level_drop: 1}
      - 5
`, []string{
			`sb.yaml:5: queues[0].expansion[0].level_drop: must be between 0 and 10, got 11`,
			`sb.yaml:6: queues[0].expansion[1].after: steps must be in increasing order, 30s is not after 30s`,
			`sb.yaml:6: queues[0].expansion[1].drop[0]: the queue does not require skill "fr"`,
			`sb.yaml:7: queues[0].expansion[2].drop[0]: skill "en" is already dropped`,
			`sb.yaml:8: queues[0].expansion[3].after: must be positive, got 0s`,
			`sb.yaml:9: queues[0].expansion[4]: a step needs level_drop or drop`,
			`sb.yaml:10: queues[0].expansion[5]: missing required key "after"`,
			`sb.yaml:11: queues[0].expansion[6]: want a mapping, got 5`,
		}},
		{"announce and recording", `queues:
  - {name: a, announce: {every: 5s}, recording: {policy: sometimes}}
  - {name: b, announce: {every: 30s, position: false, wait: false}, recording: {policy: sample}}
  - {name: c, announce: {position: true}, recording: {policy: always, sample: 0.5}}
  - {name: d, recording: {policy: sample, sample: 2}}
  - {name: e, recording: {sample: 0.1}}
`, []string{
			`sb.yaml:2: queues[0].announce.every: must be 0 (off) or at least 10s, got 5s`,
			`sb.yaml:2: queues[0].recording.policy: unknown policy "sometimes" (known: always, never, sample, on-demand)`,
			`sb.yaml:3: queues[1].announce: announces nothing: set position or wait to true, or every to 0`,
			`sb.yaml:3: queues[1].recording.policy: policy sample needs sample (the share of calls recorded, 0..1)`,
			`sb.yaml:4: queues[2].announce: missing required key "every"`,
			`sb.yaml:4: queues[2].recording.sample: only policy sample takes a sample share`,
			`sb.yaml:5: queues[3].recording.sample: must be between 0 and 1, got 2`,
			`sb.yaml:6: queues[4].recording: missing required key "policy"`,
		}},
		{"agents", `queues: [{name: q, skills: {en: 5}, expansion: [{after: 1m, level_drop: 2}]}, {name: r, skills: {fr: 1}}]
agents:
  - {id: "1", endpoint: PJSIP/1, skills: {en: 3}, queues: [q]}
  - {id: "1", endpoint: PJSIP/2, queues: []}
  - {id: "a b", endpoint: PJSIP/3, queues: []}
  - {id: "2", endpoint: pjsip/1, queues: []}
  - {id: "3", endpoint: "1001", queues: []}
  - {id: "4", endpoint: PJSIP/4, skills: {en: 2}, queues: [q, r, q, nope, {queue: r, penalty: -1}, {penalty: 1}, [q]]}
  - {id: 5.5, queues: [q]}
  - {name: x}
`, []string{
			`sb.yaml:4: agents[1].id: duplicate agent id "1" (first at line 3)`,
			`sb.yaml:5: agents[2].id: "a b" is not an agent id (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:6: agents[3].endpoint: endpoint "pjsip/1" is already agent "1"'s (line 3)`,
			`sb.yaml:7: agents[4].endpoint: want a dial string like "PJSIP/1001", got "1001"`,
			// within a line: problems of each value first, then those between entries
			`sb.yaml:8: agents[5].queues[2]: queue "q" listed twice`,
			`sb.yaml:8: agents[5].queues[4].penalty: must be between 0 and 1000, got -1`,
			`sb.yaml:8: agents[5].queues[4]: queue "r" listed twice`,
			`sb.yaml:8: agents[5].queues[5]: missing required key "queue"`,
			`sb.yaml:8: agents[5].queues[6]: want a queue name or {queue: name, penalty: n}, got a list`,
			`sb.yaml:8: agents[5].queues[3]: unknown queue "nope"`,
			`sb.yaml:8: agents[5].queues[0]: agent "4" can never take calls from queue "q": it requires skill "en" at level 3 even after expansion, the agent has 2`,
			`sb.yaml:8: agents[5].queues[1]: agent "4" can never take calls from queue "r": it requires skill "fr" at level 1, the agent has none`,
			`sb.yaml:9: agents[6].id: want a string, got 5.5`,
			`sb.yaml:9: agents[6]: missing required key "endpoint"`,
			`sb.yaml:10: agents[7]: missing required key "id"`,
			`sb.yaml:10: agents[7]: missing required key "endpoint"`,
			`sb.yaml:10: agents[7]: missing required key "queues"`,
		}},
		{"dids", okConfig + `  - {number: "100", queue: q}
  - {number: "55-10", flow: menu}
  - {number: "200", queue: q, flow: menu}
  - {number: "201"}
  - {number: "202", queue: nope, hours: nope, priority: -1, skills: {en: 0}}
  - {number: "203", flow: "bad flow"}
  - {queue: q}
`, []string{
			`sb.yaml:12: dids[1].number: duplicate number "100" (first at line 10)`,
			`sb.yaml:13: dids[2].number: "55-10" is not a number (digits, with an optional leading +)`,
			`sb.yaml:14: dids[3]: set queue or flow, not both`,
			`sb.yaml:15: dids[4]: missing queue or flow`,
			`sb.yaml:16: dids[5].priority: must be between 0 and 9, got -1`,
			`sb.yaml:16: dids[5].skills.en: level must be between 1 and 10, got 0`,
			`sb.yaml:16: dids[5].queue: unknown queue "nope"`,
			`sb.yaml:16: dids[5].hours: unknown hours "nope"`,
			`sb.yaml:17: dids[6].flow: "bad flow" is not a flow name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:18: dids[7]: missing required key "number"`,
		}},
		{"hours", okConfig + `hours:
  a:
    timezone: Mars/Olympus
    weekly: {mon-fri: ["08:00-18:00", "17:00-19:00"], fri: "10:00-11:00", fri-mon: [], weekday: []}
    holidays: [2026-02-30, 2026-12-25, "2026-12-25", 5]
    closed: {message: "a b", queue: q}
  b:
    timezone: /etc/localtime
    weekly: {mon: ["8-18", "18:00-17:00", "09:60-10:00", "24:00-24:00", "00:00-24:30", 7]}
    closed: {queue: nope}
  c:
    timezone: Local
    weekly: []
    closed: {}
  "d e": {}
  f: {}
`, []string{
			`sb.yaml:14: hours.a.timezone: unknown time zone "Mars/Olympus" (is the tzdata package installed?)`,
			`sb.yaml:15: hours.a.weekly.mon-fri[1]: 17:00-19:00 overlaps 08:00-18:00`,
			`sb.yaml:15: hours.a.weekly: fri is given twice (in "mon-fri" at line 15 and "fri")`,
			`sb.yaml:15: hours.a.weekly: unknown day "fri-mon" (known: mon, tue, wed, thu, fri, sat, sun, or a range like mon-fri)`,
			`sb.yaml:15: hours.a.weekly: unknown day "weekday" (known: mon, tue, wed, thu, fri, sat, sun, or a range like mon-fri)`,
			`sb.yaml:16: hours.a.holidays[0]: want a date like "2026-12-25", got "2026-02-30"`,
			`sb.yaml:16: hours.a.holidays[2]: holiday 2026-12-25 listed twice (first at line 16)`,
			`sb.yaml:16: hours.a.holidays[3]: want a date like "2026-12-25", got 5`,
			`sb.yaml:17: hours.a.closed: set message or queue, not both`,
			`sb.yaml:19: hours.b.timezone: want an IANA time zone like "Europe/Berlin" or "UTC", got "/etc/localtime"`,
			`sb.yaml:20: hours.b.weekly.mon[0]: want a time range like "08:00-18:00", got "8-18"`,
			`sb.yaml:20: hours.b.weekly.mon[1]: "18:00-17:00" ends before it starts (split a range past midnight into two days)`,
			`sb.yaml:20: hours.b.weekly.mon[2]: "09:60-10:00" has a time that does not exist (00:00 to 23:59, or 24:00 as an end)`,
			`sb.yaml:20: hours.b.weekly.mon[3]: "24:00-24:00" has a time that does not exist (00:00 to 23:59, or 24:00 as an end)`,
			`sb.yaml:20: hours.b.weekly.mon[4]: "00:00-24:30" has a time that does not exist (00:00 to 23:59, or 24:00 as an end)`,
			`sb.yaml:20: hours.b.weekly.mon[5]: want a string, got 7`,
			`sb.yaml:21: hours.b.closed.queue: unknown queue "nope"`,
			`sb.yaml:23: hours.c.timezone: want an IANA time zone like "Europe/Berlin" or "UTC", got "Local"`,
			`sb.yaml:24: hours.c.weekly: want a mapping, got a list`,
			`sb.yaml:25: hours.c.closed: missing message or queue`,
			`sb.yaml:26: hours: "d e" is not an hours name (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`,
			`sb.yaml:27: hours.f: missing required key "timezone"`,
			`sb.yaml:27: hours.f: missing required key "weekly"`,
			`sb.yaml:27: hours.f: missing required key "closed"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(strings.NewReader(tt.in), "sb.yaml")
			if err == nil {
				t.Fatalf("LoadConfig succeeded: %+v", c)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T %v, want Errors", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if c != nil {
				t.Errorf("a failed load returned %+v, want nil", c)
			}
		})
	}
}

// TestTestdataConfigs loads every testdata/switchboard/*.yaml (they also seed FuzzLoadConfig).
func TestTestdataConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "switchboard", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs (%v)", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(bytes.NewReader(data), file)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if msg := checkConfig(c); msg != "" {
			t.Errorf("%s: loaded but invalid: %s", file, msg)
		}
	}
}
