package config

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/acd"
	"switchboard/ivr"
)

// Defaults of switchboard.yaml (deploy/switchboard.example.yaml documents every key).
const (
	DefaultNode   = "ast1"
	DefaultARIURL = "http://127.0.0.1:8088/ari"
	DefaultARIApp = "switchboard"
	// DefaultARIMaxConns is the router's HTTP connections to one Asterisk node, kept alive
	// between requests: well under Asterisk's 100 HTTP sessions (http.conf sessionlimit).
	DefaultARIMaxConns = 16
	// MaxARIMaxConns keeps ari.max_conns below Asterisk's default session limit, with room
	// for the event websocket.
	MaxARIMaxConns = 90
	// DefaultARIIdleTimeout is how long the router keeps an idle connection: under Asterisk's
	// session_keep_alive (15 s), so that it never sends on a connection Asterisk is closing.
	DefaultARIIdleTimeout = 10 * time.Second
	DefaultListen         = "127.0.0.1:8080"
	DefaultDataDir        = "./data"
	DefaultMOH            = "default"
	DefaultSLGoal         = 0.8
	MinAnnounceEvery      = 10 * time.Second // announcements more often than this would talk over themselves
)

// Environment variables that carry what switchboard.yaml must not hold.
const (
	EnvARIUser     = "ARI_USER"
	EnvARIPassword = "ARI_PASSWORD"
	EnvDatabaseURL = "DATABASE_URL"
)

// Config is the daemon's configuration (switchboard.yaml).
type Config struct {
	Node string // this Asterisk node's name; ids carry it (with nodes:, the router's name)
	ARI  ARI
	// Nodes are the Asterisk nodes of nodes: (nodes.go), nil without it; with one, ARI is set
	// from it. AgentNodes is each agent's node: (the node of its phone), by agent id.
	Nodes      []Node
	AgentNodes map[string]string
	HTTP       HTTP
	Log        Log
	Database   Database
	// Queues and Agents are ready for acd.Engine.AddQueue and AddAgent, in file order (add every
	// queue before the agents).
	Queues []acd.QueueConfig
	Agents []acd.AgentConfig
	// AgentsLogin says how agents are logged in when the router starts (agents_login).
	AgentsLogin AgentsLogin
	// DeskLogin is the state an agent starts in when it logs in on a phone from the desktop
	// (desk_login): not ready (paused, the default) or available.
	DeskLogin DeskLogin
	// DeskEndpoints are phones agents may log in on from the desktop, and supervisors set
	// (desk_endpoints: glob patterns such as "PJSIP/1*"), besides the agents' own endpoints;
	// nothing else is allowed (cmd/switchboard's deskPhones). The file's agents are not limited.
	DeskEndpoints []string
	// ShowMonitored tells an agent, on the desktop, that a supervisor listens to their call
	// (show_monitored; default false: monitoring is silent).
	ShowMonitored bool
	// Media holds what the router (not the engine) does for each queue, by queue name; every
	// queue has an entry.
	Media map[string]QueueMedia
	DIDs  []DID
	Hours map[string]*Hours // by name
	// Flows are the IVR flows by name (flows.go), each checked by ivr.Validate; nil without a
	// flows: key.
	Flows map[string]*ivr.Flow
	IVR   IVR // ivr.go
	// CRM is the crm: section (crm.go); nil without one.
	CRM *CRM
	// Dispositions are the wrap-up codes agents pick from (dispositions.go).
	Dispositions []string
	// Recordings is where recordings are stored and how they are fetched (recordings.go).
	Recordings Recordings
	// Callbacks is the callbacks: section (callbacks.go); defaults without it.
	Callbacks Callbacks
	// TimeZone is the center's time zone (timezone: an IANA name; default UTC): the pages show
	// times in it unless a user chose another in their profile, and a report's day is its day.
	TimeZone *time.Location
	// Softphone is the softphone: section (softphone.go); nil without one.
	Softphone *Softphone

	raw []byte
}

// ARI is how to reach Asterisk's REST interface. User and Password are never read from the
// file; LoadEnv fills them from ARI_USER and ARI_PASSWORD.
type ARI struct {
	URL string // e.g. http://127.0.0.1:8088/ari
	App string // the Stasis application name the dialplan uses
	// MaxConns bounds the HTTP connections to Asterisk (requests beyond it wait for one);
	// that many are kept alive between requests.
	MaxConns int
	User     string
	Password string
}

// LogFormat is how log lines are written.
type LogFormat string

const (
	LogText LogFormat = "text"
	LogJSON LogFormat = "json"
)

// Log configures the daemon's log/slog handler.
type Log struct {
	Format LogFormat
	Level  slog.Level
}

// DeskLogin is the state an agent logging in from the desktop starts in.
type DeskLogin string

const (
	// DeskLoginNotReady: paused "not ready"; the agent makes itself available (the default).
	DeskLoginNotReady DeskLogin = "not_ready"
	// DeskLoginAvailable: available at once, calls may ring right away.
	DeskLoginAvailable DeskLogin = "available"
)

// AgentsLogin says which agents the router logs in when it starts. Either way an agent the store
// knows comes back as it was when the router stopped: logged in (available), paused with its
// reason, or logged out; the choice is about the agents the store knows nothing of yet (new
// ones, the first start, and agents added by a reload).
type AgentsLogin string

const (
	// AgentsLoginDesktop: agents log in from their desktop; an unknown agent starts logged out.
	AgentsLoginDesktop AgentsLogin = "desktop"
	// AgentsLoginAll: an unknown agent starts logged in (setups without agent desktops).
	AgentsLoginAll AgentsLogin = "all"
)

// Database locates PostgreSQL. URL comes only from DATABASE_URL (LoadEnv); without it the daemon
// runs a private cluster in DataDir (relative paths are taken from the daemon's working
// directory).
type Database struct {
	URL     string
	DataDir string
}

// QueueMedia is what a caller hears and what is recorded in one queue.
type QueueMedia struct {
	Announce  Announce
	MOH       string // Asterisk music-on-hold class
	Recording Recording
}

// Announce is the periodic announcement to waiting callers. Every 0 means none.
type Announce struct {
	Every    time.Duration
	Position bool // "you are caller number N"
	Wait     bool // the estimated wait
}

// RecordingPolicy says which answered calls of a queue are recorded.
type RecordingPolicy string

const (
	RecordAlways   RecordingPolicy = "always"
	RecordNever    RecordingPolicy = "never"
	RecordSample   RecordingPolicy = "sample"    // a random share of the calls (Recording.Sample)
	RecordOnDemand RecordingPolicy = "on-demand" // when the agent or a supervisor asks
)

// Recording is a queue's recording policy.
type Recording struct {
	Policy    RecordingPolicy
	Sample    float64       // share of calls recorded with RecordSample, 0..1
	Retention time.Duration // how long its recordings are kept; above 0 (recordings.go)
	Notice    string        // sound played to the caller when a recording starts; "": none
}

// DID maps a dialled number (the Stasis argument after "inbound,") to a queue or an IVR flow.
type DID struct {
	Number   string
	Queue    string         // exactly one of Queue and Flow is set
	Flow     string         // an IVR flow name, checked against Config.Flows when the file has flows:
	Priority int            // the call's own priority, 0-9
	Skills   map[string]int // skills the call needs on top of its queue's
	Hours    string         // name of a Config.Hours entry; "" = always open
}

var (
	nodePattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)
	namePattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) // queues, agents, apps, hours, flows
	mohPattern      = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	soundPattern    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_/.-]{0,127}$`)
	endpointPattern = regexp.MustCompile(`^[A-Za-z0-9_]+/[^\s,]+$`)
	numberPattern   = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
	plainDigits     = regexp.MustCompile(`^\+?[0-9]+$`) // a number written unquoted: 0800 reads as a float
)

const nameRule = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64"

// LoadConfig reads switchboard.yaml. name is the file name used in messages. When the file has
// problems, the error is an Errors listing all of them, each as "name:line: reason"; the file is
// checked as a whole (references between queues, agents, DIDs and hours, overflow cycles,
// unique names), so a file that loads can be handed to the engine as it is. Secrets are not read
// here: see LoadEnv.
func LoadConfig(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	d := newDecoder(name)
	var c *Config
	if root := d.parse(data); root != nil {
		c = d.config(root)
	}
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	c.raw = data
	return c, nil
}

// Snapshot returns the bytes the configuration was loaded from, for the config_snapshots table.
func (c *Config) Snapshot() []byte { return append([]byte(nil), c.raw...) }

// LoadEnv fills what only the environment may hold: the ARI credentials (ARI_USER and
// ARI_PASSWORD, both required) and DATABASE_URL (optional). getenv is os.Getenv in the daemon.
func (c *Config) LoadEnv(getenv func(string) string) error {
	if len(c.Nodes) > 0 {
		c.Database.URL = getenv(EnvDatabaseURL)
		if err := c.loadNodesEnv(getenv); err != nil {
			return err
		}
		return c.LoadSoftphoneEnv(getenv)
	}
	c.ARI.User, c.ARI.Password = getenv(EnvARIUser), getenv(EnvARIPassword)
	c.Database.URL = getenv(EnvDatabaseURL)
	var missing []string
	for _, kv := range [][2]string{{EnvARIUser, c.ARI.User}, {EnvARIPassword, c.ARI.Password}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("environment: %s not set (ARI credentials are never read from the config file)", strings.Join(missing, " and "))
	}
	return c.LoadSoftphoneEnv(getenv)
}

// ref is a name used somewhere that must be defined somewhere else (forward references are
// allowed, so they are checked once the whole file is read).
type ref struct {
	kind, name string // kind: "queue" or "hours"
	node       *yaml.Node
	path       string
}

// build is the state of one LoadConfig beyond the Config itself.
type build struct {
	refs     []ref
	queues   map[string]*yaml.Node // queue name → node of its name
	overflow map[string]ref        // queue name → where its overflow queue is named
	members  []memberRef
}

// memberRef is an agent's membership, kept for the skill check.
type memberRef struct {
	agent int // index in Config.Agents
	queue string
	node  *yaml.Node
	path  string
}

func (d *decoder) config(root *yaml.Node) *Config {
	c := &Config{
		Node:        DefaultNode,
		ARI:         ARI{URL: DefaultARIURL, App: DefaultARIApp, MaxConns: DefaultARIMaxConns},
		HTTP:        defaultHTTP(),
		Log:         Log{Format: LogText, Level: slog.LevelInfo},
		Database:    Database{DataDir: DefaultDataDir},
		AgentsLogin: AgentsLoginDesktop,
		DeskLogin:   DeskLoginNotReady,
		Media:       map[string]QueueMedia{},
		Hours:       map[string]*Hours{},
		TimeZone:    time.UTC,
	}
	c.Callbacks = defaultCallbacks()
	root, flows := d.splitKey(root, "flows") // decoded apart, so the rest reads as before flows existed
	root, c.Dispositions = d.dispositionsSection(root)
	m := d.mapping(root, "", "node", "ari", "nodes", "http", "log", "database", "queues", "agents", "agents_login", "desk_login", "desk_endpoints", "show_monitored", "dids", "hours", "ivr", "crm", "recordings", "callbacks", "timezone", "softphone")
	if !m.ok {
		return c
	}
	if v, ok := d.str(m.get("timezone"), "timezone"); ok {
		if loc := d.zone(m.get("timezone"), "timezone", v); loc != nil {
			c.TimeZone = loc
		}
	}
	if v, ok := d.str(m.get("node"), "node"); ok {
		if !nodePattern.MatchString(v) {
			d.errorf(m.get("node"), "node", "%q is not a node name (letters, digits, '_' and '-', starting with a letter or digit, at most 32)", v)
		}
		c.Node = v
	}
	d.ari(m.get("ari"), &c.ARI)
	d.nodesSection(m.get("nodes"), mappingValue(m.get("ari"), "url"), c)
	d.http(m.get("http"), &c.HTTP)
	d.log(m.get("log"), &c.Log)
	d.database(m.get("database"), &c.Database)
	d.recordingsSection(m.get("recordings"), c)

	b := &build{queues: map[string]*yaml.Node{}, overflow: map[string]ref{}}
	d.hoursSection(m.get("hours"), c, b)
	if items, ok := d.seq(m.require("queues"), "queues"); ok {
		if len(items) == 0 {
			d.errorf(m.get("queues"), "queues", "at least one queue is required")
		}
		for i, item := range items {
			d.queueConfig(item, index("queues", i), c, b)
		}
	}
	if items, ok := d.seq(m.get("agents"), "agents"); ok {
		d.agents(items, c, b)
	}
	if v, ok := d.str(m.get("agents_login"), "agents_login"); ok {
		switch l := AgentsLogin(v); l {
		case AgentsLoginDesktop, AgentsLoginAll:
			c.AgentsLogin = l
		default:
			d.errorf(m.get("agents_login"), "agents_login", "unknown value %q (known: desktop, all)", v)
		}
	}
	if v, ok := d.str(m.get("desk_login"), "desk_login"); ok {
		switch l := DeskLogin(v); l {
		case DeskLoginNotReady, DeskLoginAvailable:
			c.DeskLogin = l
		default:
			d.errorf(m.get("desk_login"), "desk_login", "unknown value %q (known: not_ready, available)", v)
		}
	}
	if len(c.Nodes) > 1 && m.get("desk_endpoints") != nil {
		d.errorf(m.get("desk_endpoints"), "desk_endpoints", "with several nodes each desk phone is on a node: list the patterns under that node (nodes[].desk_endpoints)")
	} else {
		c.DeskEndpoints = d.deskEndpoints(m.get("desk_endpoints"), "desk_endpoints", false)
	}
	if v, ok := d.boolean(m.get("show_monitored"), "show_monitored"); ok {
		c.ShowMonitored = v
	}
	if items, ok := d.seq(m.get("dids"), "dids"); ok {
		d.dids(items, c, b)
	}
	d.callbacks(m.get("callbacks"), c, b)
	if flows != nil {
		d.checkDIDFlows(root, d.flowsSection(flows, c, b))
	}
	d.ivrSection(m.get("ivr"), c, b)
	d.crmSection(m.get("crm"), c, b)
	d.softphoneSection(m.get("softphone"), c)
	d.crossCheck(c, b)
	return c
}

func (d *decoder) ari(n *yaml.Node, a *ARI) {
	const secret = "credentials are read from the environment (ARI_USER, ARI_PASSWORD), never from the file"
	m := d.mappingHint(n, "ari", map[string]string{"user": secret, "password": secret, "username": secret}, "url", "app", "max_conns")
	if u, ok := d.str(m.get("url"), "ari.url"); ok {
		a.URL = u
		p, err := url.Parse(u)
		switch {
		case err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Hostname() == "":
			d.errorf(m.get("url"), "ari.url", "want an http:// or https:// URL like %q, got %q", DefaultARIURL, u)
		case p.User != nil:
			d.errorf(m.get("url"), "ari.url", "%s", secret)
		case p.Port() != "" && !validPort(p.Port()):
			d.errorf(m.get("url"), "ari.url", "bad port %q", p.Port())
		}
	}
	if v, ok := d.str(m.get("app"), "ari.app"); ok {
		if !namePattern.MatchString(v) {
			d.errorf(m.get("app"), "ari.app", "%q is not an application name (%s)", v, nameRule)
		}
		a.App = v
	}
	if v, ok := d.integer(m.get("max_conns"), "ari.max_conns"); ok {
		if v < 1 || v > MaxARIMaxConns {
			d.errorf(m.get("max_conns"), "ari.max_conns", "%d connections: want 1 to %d (Asterisk serves 100 HTTP sessions by default)", v, MaxARIMaxConns)
		} else {
			a.MaxConns = int(v)
		}
	}
}

func validPort(s string) bool {
	p, err := strconv.Atoi(s)
	return err == nil && p >= 1 && p <= 65535 && strconv.Itoa(p) == s
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

func (d *decoder) log(n *yaml.Node, l *Log) {
	m := d.mapping(n, "log", "format", "level")
	if v, ok := d.str(m.get("format"), "log.format"); ok {
		switch f := LogFormat(v); f {
		case LogText, LogJSON:
			l.Format = f
		default:
			d.errorf(m.get("format"), "log.format", "unknown format %q (known: text, json)", v)
		}
	}
	if v, ok := d.str(m.get("level"), "log.level"); ok {
		if lv, known := logLevels[v]; known {
			l.Level = lv
		} else {
			d.errorf(m.get("level"), "log.level", "unknown level %q (known: debug, info, warn, error)", v)
		}
	}
}

func (d *decoder) database(n *yaml.Node, db *Database) {
	const secret = "set DATABASE_URL in the environment instead: the file is stored in the database and must hold no secrets"
	m := d.mappingHint(n, "database", map[string]string{"url": secret, "dsn": secret, "password": secret}, "data_dir")
	if v, ok := d.str(m.get("data_dir"), "database.data_dir"); ok {
		if strings.TrimSpace(v) == "" {
			d.errorf(m.get("data_dir"), "database.data_dir", "must not be empty")
		}
		db.DataDir = v
	}
}

// name reads a name matching namePattern.
func (d *decoder) name(n *yaml.Node, path, what string) (string, bool) {
	v, ok := d.str(n, path)
	if !ok {
		return "", false
	}
	if !namePattern.MatchString(v) {
		d.errorf(n, path, "%q is not a %s name (%s)", v, what, nameRule)
		return v, false
	}
	return v, true
}

// literal reads an identifier that may be written as a plain number (agent ids, phone numbers):
// the text is kept as written, so leading zeros and a leading + survive.
func (d *decoder) literal(n *yaml.Node, path string) (string, bool) {
	v := d.scalar(n, path, "a string", "!!str", "!!int", "!!float")
	if v == nil {
		return "", false
	}
	if v.ShortTag() != "!!str" && !plainDigits.MatchString(v.Value) {
		d.typeError(n, path, "a string")
		return "", false
	}
	return v.Value, true
}

// positiveDuration reads a duration that must be above zero.
func (d *decoder) positiveDuration(n *yaml.Node, path string) (time.Duration, bool) {
	v, ok := d.duration(n, path)
	if ok && v <= 0 {
		d.errorf(n, path, "must be positive, got %s", v)
		return v, false
	}
	return v, ok
}

// nonNegativeDuration reads a duration that must not be below zero.
func (d *decoder) nonNegativeDuration(n *yaml.Node, path string) (time.Duration, bool) {
	v, ok := d.duration(n, path)
	if ok && v < 0 {
		d.nonNegative(n, path, v)
		return v, false
	}
	return v, ok
}

// priority reads a call or queue priority.
func (d *decoder) priority(n *yaml.Node, path string) int {
	v, ok := d.integer(n, path)
	if !ok {
		return 0
	}
	if v < 0 || v > acd.MaxPriority {
		d.errorf(n, path, "must be between 0 and %d, got %d", acd.MaxPriority, v)
		return 0
	}
	return int(v)
}

// deskEndpoints reads a list of desk phone patterns (desk_endpoints, nodes[].desk_endpoints);
// pjsip: each must be a PJSIP endpoint of the node (several nodes reach it through a trunk).
func (d *decoder) deskEndpoints(n *yaml.Node, key string, pjsip bool) []string {
	items, ok := d.seq(n, key)
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		ip := index(key, i)
		v, ok := d.str(it, ip)
		if !ok {
			continue
		}
		if _, err := path.Match(v, ""); err != nil || !strings.Contains(v, "/") {
			d.errorf(it, ip, "%q is not a pattern like PJSIP/1* (technology/resource, * and ? as wildcards)", v)
			continue
		}
		if pjsip && (!strings.HasPrefix(v, "PJSIP/") || strings.Contains(v, "@")) {
			d.errorf(it, ip, "with several nodes a desk phone is a PJSIP endpoint of its node like \"PJSIP/2*\" (the other nodes reach it through the trunk), got %q", v)
			continue
		}
		out = append(out, v)
	}
	return out
}
