package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Node is one Asterisk node of a router over several (nodes:). Its channel ids must carry
// its name (asterisk.conf: systemname = Name). The ARI credentials come from the environment
// variables the file names (UserEnv, PasswordEnv), never from the file.
type Node struct {
	Name string
	URL  string
	App  string // default ari.app
	// Trunk is the PJSIP endpoint, on every other node, of the inter-node trunk to this node
	// (deploy/asterisk/pjsip.conf's [to-<node>]).
	Trunk       string
	UserEnv     string
	PasswordEnv string
	User        string // filled by LoadEnv
	Password    string
	MaxConns    int // default ari.max_conns
	// DownAfter is how long the node may be away before the router ends its calls (down_after,
	// default DefaultNodeDownAfter); its agents are paused "node down" at once.
	DownAfter time.Duration
	// DeskEndpoints are the phones on this node agents may log in on at the desk and
	// supervisors listen on, besides the agents' own (desk_endpoints: patterns like PJSIP/2*).
	DeskEndpoints []string
}

// DefaultNodeDownAfter is a node's down_after when not set.
const DefaultNodeDownAfter = 10 * time.Second

// nodesSection reads nodes:, after ari: (whose app and max_conns are the nodes' defaults).
// With one node the node is the ari: setting; with several, every agent's phone is a PJSIP
// endpoint (agentNodes checks it), reached from the other nodes through the trunk.
func (d *decoder) nodesSection(n *yaml.Node, ariURL *yaml.Node, c *Config) {
	items, ok := d.seq(n, "nodes")
	if !ok {
		return
	}
	if len(items) == 0 {
		d.errorf(n, "nodes", "list at least one node, or leave nodes: out and use ari:")
		return
	}
	if ariURL != nil {
		d.errorf(ariURL, "ari.url", "nodes: names the Asterisk nodes; give each its url there, not ari.url")
	}
	names := map[string]int{}
	const secret = "credentials are read from the environment variables user_env and password_env name, never from the file"
	for i, item := range items {
		path := index("nodes", i)
		m := d.mappingHint(item, path, map[string]string{"user": secret, "password": secret, "username": secret},
			"name", "url", "app", "trunk", "user_env", "password_env", "max_conns", "down_after", "desk_endpoints")
		if !m.ok {
			continue
		}
		nd := Node{App: c.ARI.App, MaxConns: c.ARI.MaxConns, DownAfter: DefaultNodeDownAfter}
		if v, ok := d.str(m.require("name"), field(path, "name")); ok {
			switch first, dup := names[v]; {
			case !nodePattern.MatchString(v):
				d.errorf(m.get("name"), field(path, "name"), "%q is not a node name (letters, digits, '_' and '-', starting with a letter or digit, at most 32)", v)
			case dup:
				d.errorf(m.get("name"), field(path, "name"), "node %q is listed twice (first at line %d)", v, first)
			default:
				names[v] = m.get("name").Line
			}
			nd.Name = v
		}
		if v, ok := d.str(m.require("url"), field(path, "url")); ok {
			p, err := url.Parse(v)
			switch {
			case err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Hostname() == "":
				d.errorf(m.get("url"), field(path, "url"), "want an http:// or https:// URL like %q, got %q", DefaultARIURL, v)
			case p.User != nil:
				d.errorf(m.get("url"), field(path, "url"), "%s", secret)
			case p.Port() != "" && !validPort(p.Port()):
				d.errorf(m.get("url"), field(path, "url"), "bad port %q", p.Port())
			}
			nd.URL = v
		}
		if v, ok := d.str(m.get("app"), field(path, "app")); ok {
			if !namePattern.MatchString(v) {
				d.errorf(m.get("app"), field(path, "app"), "%q is not an application name (%s)", v, nameRule)
			}
			nd.App = v
		}
		if v, ok := d.str(m.get("trunk"), field(path, "trunk")); ok {
			if !namePattern.MatchString(v) {
				d.errorf(m.get("trunk"), field(path, "trunk"), "%q is not a PJSIP endpoint name (%s)", v, nameRule)
			}
			nd.Trunk = v
		} else if len(items) > 1 && m.get("trunk") == nil {
			d.errorf(item, path, "trunk: is required with several nodes: the PJSIP endpoint on the other nodes that reaches this one (e.g. to-%s)", nd.Name)
		}
		for _, e := range []struct {
			key string
			dst *string
		}{{"user_env", &nd.UserEnv}, {"password_env", &nd.PasswordEnv}} {
			if v, ok := d.str(m.require(e.key), field(path, e.key)); ok {
				if !envPattern.MatchString(v) {
					d.errorf(m.get(e.key), field(path, e.key), "%q is not an environment variable name (A-Z, 0-9 and '_')", v)
				}
				*e.dst = v
			}
		}
		if v, ok := d.integer(m.get("max_conns"), field(path, "max_conns")); ok {
			if v < 1 || v > MaxARIMaxConns {
				d.errorf(m.get("max_conns"), field(path, "max_conns"), "%d connections: want 1 to %d (Asterisk serves 100 HTTP sessions by default)", v, MaxARIMaxConns)
			} else {
				nd.MaxConns = int(v)
			}
		}
		if v, ok := d.positiveDuration(m.get("down_after"), field(path, "down_after")); ok {
			nd.DownAfter = v
		}
		nd.DeskEndpoints = d.deskEndpoints(m.get("desk_endpoints"), field(path, "desk_endpoints"), len(items) > 1)
		c.Nodes = append(c.Nodes, nd)
	}
	if len(c.Nodes) == 1 {
		c.ARI.URL, c.ARI.App, c.ARI.MaxConns = c.Nodes[0].URL, c.Nodes[0].App, c.Nodes[0].MaxConns
	}
}

// mappingValue is the value of key in mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// agentNode reads an agent's node: (the node its phone is on), which must be one of nodes:.
func (d *decoder) agentNode(n *yaml.Node, path string, c *Config) string {
	v, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if len(c.Nodes) == 0 {
		d.errorf(n, path, "node %q: there is no nodes: list (one Asterisk, under ari:)", v)
		return ""
	}
	for _, nd := range c.Nodes {
		if nd.Name == v {
			return v
		}
	}
	known := make([]string, len(c.Nodes))
	for i, nd := range c.Nodes {
		known[i] = nd.Name
	}
	d.errorf(n, path, "unknown node %q (nodes: %s)", v, strings.Join(known, ", "))
	return ""
}

// checkNodePhone refuses, with several nodes, a phone the other nodes cannot reach through
// the PJSIP trunk.
func (d *decoder) checkNodePhone(n *yaml.Node, path, endpoint string, c *Config) {
	if len(c.Nodes) > 1 && (!strings.HasPrefix(endpoint, "PJSIP/") || strings.Contains(endpoint, "@")) {
		d.errorf(n, path, "with several nodes a phone must be a PJSIP endpoint of its node like \"PJSIP/1001\" (the other nodes reach it through the trunk), got %q", endpoint)
	}
}

// NodeOf is the node an agent's phone is on: its node:, else the first node ("" with one).
func (c *Config) NodeOf(agent string) string {
	if n := c.AgentNodes[agent]; n != "" {
		return n
	}
	if len(c.Nodes) > 0 {
		return c.Nodes[0].Name
	}
	return ""
}

// loadNodesEnv fills every node's credentials from the variables it names.
func (c *Config) loadNodesEnv(getenv func(string) string) error {
	var missing []string
	for i := range c.Nodes {
		n := &c.Nodes[i]
		n.User, n.Password = getenv(n.UserEnv), getenv(n.PasswordEnv)
		for _, kv := range [][2]string{{n.UserEnv, n.User}, {n.PasswordEnv, n.Password}} {
			if kv[1] == "" {
				missing = append(missing, kv[0])
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("environment: %s not set (the nodes' ARI credentials are never read from the config file)", strings.Join(missing, " and "))
	}
	if len(c.Nodes) == 1 {
		c.ARI.User, c.ARI.Password = c.Nodes[0].User, c.Nodes[0].Password
	}
	return nil
}

// CheckNodesAsterisk checks, with several nodes, that the Asterisk configuration in dir is
// one node's: asterisk.conf's systemname is a node's name (its channel ids carry it), and
// pjsip.conf has the trunk to every other node (named as that node's trunk:, with its aor and
// identify) entering a context of extensions.conf that rings the phone without Stasis. Nil
// with one node.
func CheckNodesAsterisk(c *Config, dir string) []error {
	if len(c.Nodes) < 2 {
		return nil
	}
	names := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		names[i] = n.Name
	}
	ast, err := ReadAsteriskConf(filepath.Join(dir, "asterisk.conf"))
	if err != nil {
		return []error{fmt.Errorf("asterisk.conf: %w (each node needs [options] systemname = its node name: %s)", err, strings.Join(names, ", "))}
	}
	this := ""
	if opt := findSection(ast, "options", ""); opt != nil {
		this = opt.Values["systemname"]
	}
	if !slices.Contains(names, this) {
		return []error{fmt.Errorf("asterisk.conf: systemname %q is not a node of nodes: (%s): a node's channel ids must begin with its name", this, strings.Join(names, ", "))}
	}
	pjsip, err := ReadAsteriskConf(filepath.Join(dir, "pjsip.conf"))
	if err != nil {
		return []error{err}
	}
	dialplan, err := ReadAsteriskConf(filepath.Join(dir, "extensions.conf"))
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, n := range c.Nodes {
		if n.Name == this {
			continue
		}
		ep := findSection(pjsip, n.Trunk, "endpoint")
		if ep == nil {
			errs = append(errs, fmt.Errorf("pjsip.conf: node %s's trunk %s is not an endpoint (node %s rings node %s's phones through it)", n.Name, n.Trunk, this, n.Name))
			continue
		}
		identified := slices.ContainsFunc(pjsip, func(s *AsteriskSection) bool {
			return !s.Template && s.Values["type"] == "identify" && s.Values["endpoint"] == n.Trunk
		})
		if findSection(pjsip, ep.Values["aors"], "aor") == nil || !identified {
			errs = append(errs, fmt.Errorf("pjsip.conf:%d: trunk %s lacks its aor or identify section", ep.Line, n.Trunk))
		}
		ctx := findSection(dialplan, ep.Values["context"], "")
		switch {
		case ctx == nil:
			errs = append(errs, fmt.Errorf("pjsip.conf:%d: trunk %s enters context %q, which extensions.conf lacks", ep.Line, n.Trunk, ep.Values["context"]))
		case strings.Contains(contextText(filepath.Join(dir, "extensions.conf"), ctx.Name), "Stasis("):
			errs = append(errs, fmt.Errorf("extensions.conf:%d: [%s] enters Stasis: a leg from another node is that node's call and must only ring the phone", ctx.Line, ctx.Name))
		}
	}
	return errs
}

// contextText is the text of the dialplan context name in the file at path, comments removed.
func contextText(path, name string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var out strings.Builder
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, ";")
		line = strings.TrimSpace(line)
		if m := confHeader.FindStringSubmatch(line); m != nil {
			in = m[1] == name
			continue
		}
		if in {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}
