package config

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Asterisk configuration shipped in deploy/asterisk must match the example switchboard.yaml:
// these tests read both and compare what the two sides must agree on.

const asteriskDir = "../../deploy/asterisk"

// ariUser is the ARI user deploy/asterisk/README.md tells operators to export as ARI_USER.
const ariUser = "switchboard"

// confSection is one [section] of an Asterisk .conf file, with its templates' settings applied.
type confSection struct {
	name     string
	template bool
	lines    []confLine // in order, templates' first
}

type confLine struct {
	key, value string
	line       int
}

// get returns the last value of key (later lines override templates'), or "".
func (s *confSection) get(key string) string {
	v := ""
	for _, l := range s.lines {
		if l.key == key {
			v = l.value
		}
	}
	return v
}

func (s *confSection) all(key string) []confLine {
	var out []confLine
	for _, l := range s.lines {
		if l.key == key {
			out = append(out, l)
		}
	}
	return out
}

var sectionHeader = regexp.MustCompile(`^\[([^\]]+)\](?:\(([^)]*)\))?$`)

// readConf parses an Asterisk .conf file: sections, "key = value" and "key => value" lines,
// ";" comments, templates ((!)) and inheritance ((tmpl1,tmpl2)). Sections of the same name stay
// separate (pjsip.conf has an endpoint, an auth and an aor called 1001).
func readConf(t *testing.T, name string) []*confSection {
	t.Helper()
	f, err := os.Open(filepath.Join(asteriskDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*confSection
	templates := map[string]*confSection{}
	var cur *confSection
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if i := strings.Index(text, ";"); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if m := sectionHeader.FindStringSubmatch(text); m != nil {
			cur = &confSection{name: m[1]}
			for _, tmpl := range strings.Split(m[2], ",") {
				switch tmpl = strings.TrimSpace(tmpl); {
				case tmpl == "":
				case tmpl == "!":
					cur.template = true
				case templates[tmpl] != nil:
					cur.lines = append(cur.lines, templates[tmpl].lines...)
				default:
					t.Errorf("%s:%d: unknown template %q", name, n, tmpl)
				}
			}
			if cur.template {
				templates[cur.name] = cur
			}
			out = append(out, cur)
			continue
		}
		if cur == nil {
			t.Errorf("%s:%d: setting outside a section: %q", name, n, text)
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			t.Errorf("%s:%d: not a setting: %q", name, n, text)
			continue
		}
		value = strings.TrimPrefix(value, ">") // "=>"
		cur.lines = append(cur.lines, confLine{strings.TrimSpace(key), strings.TrimSpace(value), n})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sections returns the non-template sections called name (of the given type, when typ is set).
func sections(conf []*confSection, name, typ string) []*confSection {
	var out []*confSection
	for _, s := range conf {
		if s.name == name && !s.template && (typ == "" || s.get("type") == typ) {
			out = append(out, s)
		}
	}
	return out
}

func loadExample(t *testing.T) *Config {
	t.Helper()
	f, err := os.Open(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := LoadConfig(f, examplePath)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var stasisCall = regexp.MustCompile(`\bStasis\(([^,)]*)(?:,([^)]*))?\)`)

func TestDeployDialplanUsesTheApp(t *testing.T) {
	c := loadExample(t)
	conf := readConf(t, "extensions.conf")
	carrier := sections(conf, "from-carrier", "")
	if len(carrier) != 1 {
		t.Fatalf("extensions.conf: want one [from-carrier] context, got %d", len(carrier))
	}
	var stasis, failed, fallbackQueue bool
	for _, l := range carrier[0].lines {
		if l.key != "exten" && l.key != "same" {
			continue
		}
		for _, m := range stasisCall.FindAllStringSubmatch(l.value, -1) {
			stasis = true
			if m[1] != c.ARI.App {
				t.Errorf("extensions.conf:%d: Stasis(%s,...), but ari.app is %q", l.line, m[1], c.ARI.App)
			}
			if m[2] != "inbound,${EXTEN}" {
				t.Errorf("extensions.conf:%d: Stasis arguments %q, want inbound,${EXTEN}", l.line, m[2])
			}
		}
		failed = failed || strings.Contains(l.value, `"${STASISSTATUS}" = "FAILED"`)
		fallbackQueue = fallbackQueue || strings.Contains(l.value, "Queue(fallback")
	}
	if !stasis || !failed || !fallbackQueue {
		t.Errorf("[from-carrier]: Stasis %v, STASISSTATUS=FAILED check %v, Queue(fallback) %v; want all", stasis, failed, fallbackQueue)
	}
	if s := sections(readConf(t, "queues.conf"), "fallback", ""); len(s) != 1 {
		t.Errorf("queues.conf: want one [fallback] queue, got %d", len(s))
	}
}

func TestDeployAgentEndpointsExist(t *testing.T) {
	c := loadExample(t)
	pjsip := readConf(t, "pjsip.conf")
	endpointExists := func(dial string) bool {
		tech, res, _ := strings.Cut(dial, "/")
		return strings.EqualFold(tech, "PJSIP") && len(sections(pjsip, res, "endpoint")) == 1
	}
	for _, a := range c.Agents {
		if !endpointExists(a.Endpoint) {
			t.Errorf("agent %s: endpoint %s is not a type=endpoint section of pjsip.conf", a.ID, a.Endpoint)
		}
		name := strings.TrimPrefix(a.Endpoint, "PJSIP/")
		ep := sections(pjsip, name, "endpoint")
		if len(ep) == 1 && (ep[0].get("auth") == "" || len(sections(pjsip, ep[0].get("auth"), "auth")) != 1 ||
			len(sections(pjsip, ep[0].get("aors"), "aor")) != 1) {
			t.Errorf("pjsip.conf: endpoint %s lacks its auth or aor section", name)
		}
	}
	members := sections(readConf(t, "queues.conf"), "fallback", "")
	for _, s := range members {
		var got []string
		for _, m := range s.all("member") {
			dial, _, _ := strings.Cut(m.value, ",")
			got = append(got, dial)
			if !endpointExists(dial) {
				t.Errorf("queues.conf:%d: member %s is not an endpoint of pjsip.conf", m.line, dial)
			}
		}
		for _, a := range c.Agents {
			if !slices.Contains(got, a.Endpoint) {
				t.Errorf("queues.conf: the fallback queue lacks agent %s's %s", a.ID, a.Endpoint)
			}
		}
	}
	carrier := sections(pjsip, "carrier", "endpoint")
	if len(carrier) != 1 || carrier[0].get("context") != "from-carrier" || len(sections(pjsip, "carrier", "identify")) != 1 {
		t.Error("pjsip.conf: want endpoint carrier in context from-carrier, identified by IP")
	}
	for _, s := range sections(pjsip, "transport-udp", "transport") {
		if s.get("protocol") != "udp" || !strings.HasSuffix(s.get("bind"), ":5060") {
			t.Errorf("pjsip.conf: transport-udp is %s on %s, want udp on port 5060", s.get("protocol"), s.get("bind"))
		}
	}
}

func TestDeployARIUserAndPort(t *testing.T) {
	c := loadExample(t)
	ari := readConf(t, "ari.conf")
	if g := sections(ari, "general", ""); len(g) != 1 || g[0].get("enabled") != "yes" {
		t.Error("ari.conf: [general] enabled = yes is missing")
	}
	users := sections(ari, ariUser, "user")
	if len(users) != 1 || users[0].get("password") == "" || users[0].get("password_format") != "plain" {
		t.Fatalf("ari.conf: want user [%s] with a password and password_format = plain", ariUser)
	}
	u, err := url.Parse(c.ARI.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	http := sections(readConf(t, "http.conf"), "general", "")
	if len(http) != 1 {
		t.Fatal("http.conf: no [general]")
	}
	if got := http[0].get("enabled"); got != "yes" {
		t.Errorf("http.conf: enabled = %q, want yes", got)
	}
	if got := http[0].get("bindport"); got != port {
		t.Errorf("http.conf: bindport = %s, but ari.url %s has port %s", got, c.ARI.URL, port)
	}
	if got := http[0].get("bindaddr"); got != u.Hostname() {
		t.Errorf("http.conf: bindaddr = %s, but ari.url %s has host %s", got, c.ARI.URL, u.Hostname())
	}
}

// TestDeployPasswordsArePlaceholders keeps real secrets out of the repository: every password
// in the shipped files is an obvious placeholder.
func TestDeployPasswordsArePlaceholders(t *testing.T) {
	for _, name := range []string{"pjsip.conf", "ari.conf"} {
		for _, s := range readConf(t, name) {
			for _, l := range s.all("password") {
				if !strings.HasPrefix(l.value, "CHANGE-ME") {
					t.Errorf("%s:%d: password %q is not a CHANGE-ME placeholder", name, l.line, l.value)
				}
			}
		}
	}
}

// TestDeployMusicOnHold: every queue's moh class is defined in the shipped musiconhold.conf as
// files from a folder (a source build without "make samples" has no musiconhold.conf, and
// callers on hold then hear silence).
func TestDeployMusicOnHold(t *testing.T) {
	c := loadExample(t)
	moh := readConf(t, "musiconhold.conf")
	for queue, m := range c.Media {
		s := sections(moh, m.MOH, "")
		if len(s) != 1 {
			t.Errorf("queue %s: music-on-hold class %q: %d sections in musiconhold.conf, want 1", queue, m.MOH, len(s))
			continue
		}
		if got := s[0].get("mode"); got != "files" {
			t.Errorf("musiconhold.conf [%s]: mode = %q, want files", m.MOH, got)
		}
		if got := s[0].get("directory"); got != "/usr/share/asterisk/moh" {
			t.Errorf("musiconhold.conf [%s]: directory = %q, want Debian's /usr/share/asterisk/moh", m.MOH, got)
		}
	}
	for _, q := range sections(readConf(t, "queues.conf"), "fallback", "") {
		if class := q.get("musicclass"); len(sections(moh, class, "")) != 1 {
			t.Errorf("queues.conf [fallback]: musicclass %q is not a class of musiconhold.conf", class)
		}
	}
}

// TestDeployFallbackQueueLeavesWhenNobodyCanAnswer: with every phone unregistered, a caller
// in the fallback queue must go on to the message and voicemail at once, not wait the whole
// Queue() timeout: joinempty and leavewhenempty must count unavailable members as absent.
func TestDeployFallbackQueueLeavesWhenNobodyCanAnswer(t *testing.T) {
	for _, q := range sections(readConf(t, "queues.conf"), "fallback", "") {
		for _, key := range []string{"joinempty", "leavewhenempty"} {
			v := q.get(key)
			opts := strings.Split(strings.ReplaceAll(v, " ", ""), ",")
			if !slices.Contains(opts, "strict") && !slices.Contains(opts, "unavailable") {
				t.Errorf("queues.conf [fallback]: %s = %q, want strict (or a list with unavailable)", key, v)
			}
		}
	}
}

// TestDeployHTTPSessionLimit: Asterisk closes connections past http.conf's sessionlimit; it
// must leave room for the router's pool (ari.max_conns) and its event websocket, twice over
// (an old and a new router process overlap during a restart), and not exceed Asterisk's own
// default by accident of a typo.
func TestDeployHTTPSessionLimit(t *testing.T) {
	c := loadExample(t)
	http := sections(readConf(t, "http.conf"), "general", "")
	if len(http) != 1 {
		t.Fatal("http.conf: no [general]")
	}
	v := http[0].get("sessionlimit")
	limit, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("http.conf: sessionlimit = %q, want a number", v)
	}
	if need := 2 * (c.ARI.MaxConns + 1); limit < need {
		t.Errorf("http.conf: sessionlimit = %d, want at least %d for ari.max_conns %d", limit, need, c.ARI.MaxConns)
	}
	ka, err := strconv.Atoi(http[0].get("session_keep_alive"))
	if err != nil || time.Duration(ka)*time.Millisecond <= DefaultARIIdleTimeout {
		t.Errorf("http.conf: session_keep_alive = %q ms, want more than the router's idle timeout %s", http[0].get("session_keep_alive"), DefaultARIIdleTimeout)
	}
}

const nodesExamplePath = "../../deploy/switchboard.nodes.example.yaml"

// deploy/asterisk is node pbx-a of deploy/switchboard.nodes.example.yaml: it has a trunk to
// every other node under that node's trunk: name, entering [from-nodes], which rings the
// local phone without the router (the leg is the caller's node's) and knows every phone.
func TestDeployInterNodeTrunk(t *testing.T) {
	f, err := os.Open(nodesExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := LoadConfig(f, nodesExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Nodes) < 2 || c.Nodes[0].Name != "pbx-a" {
		t.Fatalf("nodes example: %+v", c.Nodes)
	}
	pjsip := readConf(t, "pjsip.conf")
	for _, n := range c.Nodes[1:] {
		eps := sections(pjsip, n.Trunk, "endpoint")
		if len(eps) != 1 {
			t.Errorf("pjsip.conf: node %s's trunk %q: want one endpoint, got %d", n.Name, n.Trunk, len(eps))
			continue
		}
		if ctx := eps[0].get("context"); ctx != "from-nodes" {
			t.Errorf("pjsip.conf: trunk %s enters context %q, want from-nodes", n.Trunk, ctx)
		}
		if len(sections(pjsip, eps[0].get("aors"), "aor")) != 1 || len(sections(pjsip, n.Trunk, "identify")) != 1 {
			t.Errorf("pjsip.conf: trunk %s lacks its aor or identify section", n.Trunk)
		}
	}
	ctx := sections(readConf(t, "extensions.conf"), "from-nodes", "")
	if len(ctx) != 1 {
		t.Fatalf("extensions.conf: want one [from-nodes] context, got %d", len(ctx))
	}
	var patterns []string
	for _, l := range ctx[0].lines {
		if stasisCall.MatchString(l.value) {
			t.Errorf("extensions.conf:%d: [from-nodes] must not enter the application: %s", l.line, l.value)
		}
		if l.key == "exten" {
			patterns = append(patterns, strings.SplitN(l.value, ",", 2)[0])
		}
		if l.key == "same" && strings.Contains(l.value, "Dial(") && !strings.Contains(l.value, "Dial(PJSIP/${EXTEN}") {
			t.Errorf("extensions.conf:%d: [from-nodes] dials %s, want the local phone PJSIP/${EXTEN}", l.line, l.value)
		}
	}
	for _, a := range c.Agents {
		res := strings.TrimPrefix(a.Endpoint, "PJSIP/")
		if !slices.ContainsFunc(patterns, func(p string) bool { return dialplanMatch(p, res) }) {
			t.Errorf("extensions.conf: [from-nodes] has no extension for agent %s's phone %s (patterns %v)", a.ID, res, patterns)
		}
	}
}

// dialplanMatch says whether an extension pattern (_X. style, or a literal) matches exten.
func dialplanMatch(pattern, exten string) bool {
	p, ok := strings.CutPrefix(pattern, "_")
	if !ok {
		return pattern == exten
	}
	for i, r := range p {
		if r == '.' || r == '!' {
			return len(exten) > i || r == '!'
		}
		if i >= len(exten) {
			return false
		}
		c := rune(exten[i])
		switch r {
		case 'X':
			ok = c >= '0' && c <= '9'
		case 'Z':
			ok = c >= '1' && c <= '9'
		case 'N':
			ok = c >= '2' && c <= '9'
		default:
			ok = c == r
		}
		if !ok {
			return false
		}
	}
	return len(exten) == len(p)
}
