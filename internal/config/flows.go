package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/ivr"
)

// IVR flows (package ivr) are read from the top-level flows: key of switchboard.yaml, each flow
// inline or in a file of its own:
//
//	flows:
//	  main-menu:                     # the name DIDs use (flow: main-menu)
//	    start: welcome               # optional: default the first node
//	    fallback: agent              # optional: a route/transfer/hangup node for callers who run out of input budget
//	    nodes:
//	      welcome: {type: play, prompt: welcome, next: agent}
//	      agent: {type: route, queue: support-l1}
//	  survey: {file: flows/survey.yaml}  # relative to switchboard.yaml; the file holds start, fallback, nodes
//
// Each node is a mapping with a type and the keys of that type (flowKeys). Every problem is
// reported with its file and line, decoding problems first; a flow that decodes is then checked
// as a whole by ivr.Validate (dangling references, unreachable nodes, loops with no exit). A DID
// naming a flow is checked against the flows when the file has a flows: key (files written
// before flows existed keep loading; the daemon refuses their flow DIDs).

// maxFlowFile bounds a flow file.
const maxFlowFile = 1 << 20

// flowCommon are the keys of every input node.
var flowInput = []string{"prompt", "timeout", "retries", "invalid", "no_input", "fallback"}

// flowKeys are the keys each node type takes besides type.
var flowKeys = map[ivr.Kind][]string{
	ivr.KindPlay:     {"prompt", "interruptible", "next"},
	ivr.KindMenu:     append([]string{"choices"}, flowInput...),
	ivr.KindCollect:  append([]string{"min_digits", "max_digits", "terminator", "inter_digit", "sensitive", "var", "next"}, flowInput...),
	ivr.KindHours:    {"hours", "open", "closed"},
	ivr.KindLanguage: append([]string{"languages", "next"}, flowInput...),
	ivr.KindLookup:   {"by", "var", "found", "not_found", "failed", "timeout"},
	ivr.KindSet:      {"priority", "skills", "data", "next"},
	ivr.KindRoute:    {"queue", "priority", "skills", "data"},
	ivr.KindCallback: append([]string{"queue", "priority", "skills", "data", "accept", "decline", "decline_next", "message"}, flowInput...),
	ivr.KindInfo:     {"prompt", "field", "say_as", "next", "missing"},
	ivr.KindTransfer: {"number"},
	ivr.KindHangup:   {"message"},
	ivr.KindSurvey:   append([]string{"next"}, flowInput...),
}

// allFlowKeys is every node key, type first.
var allFlowKeys = func() []string {
	keys := []string{"type"}
	for _, k := range ivr.Kinds {
		for _, key := range flowKeys[k] {
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	return keys
}()

// flowEnv is what a flow may refer to outside itself.
type flowEnv struct {
	hours  map[string]*Hours
	queues map[string]*yaml.Node // nil: queue names are not checked (LoadFlow)
}

// flowLines locates validation errors: "node\x00field" → line.
type flowLines map[string]int

// LoadFlow reads one flow file (start, fallback, nodes) and checks it with ivr.Validate. Hours
// names are resolved in hours (nil: none); queue names are not checked. name is the file name
// used in messages; problems are returned as an Errors.
func LoadFlow(r io.Reader, name string, hours map[string]*Hours) (*ivr.Flow, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFlowFile+1))
	if err != nil {
		return nil, fmt.Errorf("read flow %s: %w", name, err)
	}
	d := newDecoder(name)
	if len(data) > maxFlowFile {
		d.errorAt(1, "", "flow file larger than %d bytes", maxFlowFile)
		return nil, d.errs.err()
	}
	var f *ivr.Flow
	if root := d.parse(data); root != nil {
		f = d.flow(root, "", strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)), flowEnv{hours: hours})
	}
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// flowsSection decodes the flows: mapping into c.Flows (only flows without problems) and
// returns the names declared, nil when flows is not a mapping.
func (d *decoder) flowsSection(n *yaml.Node, c *Config, b *build) map[string]bool {
	ps, ok := d.pairs(n, "flows")
	if !ok {
		return nil
	}
	declared := map[string]bool{}
	c.Flows = map[string]*ivr.Flow{}
	env := flowEnv{hours: c.Hours, queues: b.queues}
	for _, p := range ps {
		path := field("flows", p.name)
		if !namePattern.MatchString(p.name) {
			d.errorf(p.key, "flows", "%q is not a flow name (%s)", p.name, nameRule)
			continue
		}
		declared[p.name] = true
		var f *ivr.Flow
		if v := resolve(p.value); v != nil && v.Kind == yaml.MappingNode && hasKey(v, "file") {
			f = d.flowFile(p.value, path, p.name, env)
		} else {
			f = d.flow(p.value, path, p.name, env)
		}
		if f != nil {
			f.Line = p.key.Line
			c.Flows[p.name] = f
		}
	}
	return declared
}

// splitFlows takes the top-level flows: entry out of the root mapping, so that the rest is
// decoded as before flows existed (and its messages stay as they were). It returns the root
// without flows and the flows value, nil when absent or null.
func (d *decoder) splitFlows(root *yaml.Node) (*yaml.Node, *yaml.Node) {
	v := resolve(root)
	if v == nil || v.Kind != yaml.MappingNode || !hasKey(v, "flows") {
		return root, nil
	}
	rest := *v
	rest.Content = nil
	var flows, first *yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := resolve(v.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value != "flows" || k.ShortTag() == "!!merge" {
			rest.Content = append(rest.Content, v.Content[i], v.Content[i+1])
			continue
		}
		if first != nil {
			d.errorf(v.Content[i], "", "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		first = v.Content[i]
		if !isNull(v.Content[i+1]) {
			flows = v.Content[i+1]
		}
	}
	return &rest, flows
}

// hasKey reports whether mapping n has key directly (no merge keys, no errors).
func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return true
		}
	}
	return false
}

// flowFile reads {file: path}, relative to the configuration file's folder.
func (d *decoder) flowFile(n *yaml.Node, path, name string, env flowEnv) *ivr.Flow {
	m := d.mapping(n, path, "file")
	file, ok := d.str(m.require("file"), field(path, "file"))
	if !ok {
		return nil
	}
	if ext := filepath.Ext(file); ext != ".yaml" && ext != ".yml" {
		d.errorf(m.get("file"), field(path, "file"), "want a .yaml or .yml file, got %q", file)
		return nil
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(filepath.Dir(d.file), file)
	}
	data, err := readLimited(file)
	if err != nil {
		d.errorf(m.get("file"), field(path, "file"), "%v", err)
		return nil
	}
	fd := newDecoder(file)
	var f *ivr.Flow
	if root := fd.parse(data); root != nil {
		f = fd.flow(root, "", name, env)
	}
	d.errs = append(d.errs, fd.errs...)
	if len(fd.errs) > 0 {
		return nil
	}
	return f
}

func readLimited(file string) ([]byte, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read flow file: %w", errors.Unwrap(err))
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFlowFile+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("read flow file %s: %w", file, err)
	case len(data) > maxFlowFile:
		return nil, fmt.Errorf("flow file %s larger than %d bytes", file, maxFlowFile)
	}
	return data, nil
}

// flow decodes one flow mapping; it returns nil when the flow has problems (all reported).
func (d *decoder) flow(n *yaml.Node, path, name string, env flowEnv) *ivr.Flow {
	before := len(d.errs)
	m := d.mapping(n, path, "start", "fallback", "nodes")
	if !m.ok {
		return nil
	}
	f := &ivr.Flow{Name: name, Nodes: map[string]*ivr.Node{}}
	lines := flowLines{}
	nodesPath := field(path, "nodes")
	ps, ok := d.pairs(m.require("nodes"), nodesPath)
	if ok && len(ps) == 0 {
		d.errorf(m.get("nodes"), nodesPath, "a flow needs at least one node")
	}
	for _, p := range ps {
		if !namePattern.MatchString(p.name) {
			d.errorf(p.key, nodesPath, "%q is not a node name (%s)", p.name, nameRule)
			continue
		}
		if node := d.flowNode(p.value, field(nodesPath, p.name), p.name, env, lines); node != nil {
			node.Line = p.key.Line
			f.Nodes[p.name] = node
		}
	}
	if v, ok := d.str(m.get("start"), field(path, "start")); ok {
		f.Start = v
		lines["\x00start"] = m.get("start").Line
	} else if len(ps) > 0 && !m.has("start") {
		f.Start = ps[0].name
	}
	if v, ok := d.str(m.get("fallback"), field(path, "fallback")); ok {
		f.Fallback = v
		lines["\x00fallback"] = m.get("fallback").Line
	}
	if len(d.errs) > before {
		return nil // the whole-flow checks would only repeat what is reported
	}
	for _, err := range ivr.Validate(f) {
		var ve *ivr.ValidationError
		if !errors.As(err, &ve) {
			d.errorf(n, path, "%v", err)
			continue
		}
		at, fieldName := field(path, "nodes"), ve.Field
		if fieldName == "kind" {
			fieldName = "type"
		}
		if ve.Node != "" {
			at = field(at, ve.Node)
		} else {
			at = path
		}
		if fieldName != "" {
			at = field(at, fieldName)
		}
		line := lines.find(ve.Node, fieldName)
		if line == 0 {
			line = ve.Line
		}
		if line == 0 {
			line = m.node.Line
		}
		d.errorAt(line, at, "%s", ve.Reason)
	}
	if len(d.errs) > before {
		return nil
	}
	return f
}

// find returns the line of node's field ("choices.1", "prompt[0]"), of the field's key, or 0.
func (l flowLines) find(node, fieldName string) int {
	for f := fieldName; f != ""; {
		if line := l[node+"\x00"+f]; line > 0 {
			return line
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 0
}

func (d *decoder) flowNode(n *yaml.Node, path, id string, env flowEnv, lines flowLines) *ivr.Node {
	m := d.mapping(n, path, allFlowKeys...)
	if !m.ok {
		return nil
	}
	for key, p := range m.fields {
		lines[id+"\x00"+key] = p.key.Line
	}
	kindName, ok := d.str(m.require("type"), field(path, "type"))
	if !ok {
		return nil
	}
	kind := ivr.Kind(kindName)
	keys, known := flowKeys[kind]
	if !known {
		names := make([]string, len(ivr.Kinds))
		for i, k := range ivr.Kinds {
			names[i] = string(k)
		}
		d.errorf(m.get("type"), field(path, "type"), "unknown node type %q (known: %s)", kindName, strings.Join(names, ", "))
		return nil
	}
	for _, p := range sortedPairs(m) {
		if p.name != "type" && !slices.Contains(keys, p.name) {
			d.errorf(p.key, path, "a %s node takes no %q (it takes: %s)", kind, p.name, strings.Join(keys, ", "))
		}
	}
	node := &ivr.Node{ID: id, Kind: kind}
	node.Prompt = d.media(m.get("prompt"), field(path, "prompt"))
	node.Invalid = d.media(m.get("invalid"), field(path, "invalid"))
	node.NoInput = d.media(m.get("no_input"), field(path, "no_input"))
	node.Message = d.media(m.get("message"), field(path, "message"))
	ref := func(key string) string {
		v, _ := d.name(m.get(key), field(path, key), "node")
		return v
	}
	node.Next, node.Fallback = ref("next"), ref("fallback")
	node.Open, node.Closed = ref("open"), ref("closed")
	node.Found, node.NotFound, node.Failed = ref("found"), ref("not_found"), ref("failed")
	node.DeclineNode, node.Missing = ref("decline_next"), ref("missing")
	if v, ok := d.boolean(m.get("interruptible"), field(path, "interruptible")); ok {
		node.Interruptible = v
	}
	if v, ok := d.boolean(m.get("sensitive"), field(path, "sensitive")); ok {
		node.Sensitive = v
	}
	if v, ok := d.nonNegativeDuration(m.get("timeout"), field(path, "timeout")); ok {
		if kind == ivr.KindLookup {
			node.LookupTimeout = v
		} else {
			node.Timeout = v
		}
	}
	if v, ok := d.nonNegativeDuration(m.get("inter_digit"), field(path, "inter_digit")); ok {
		node.InterDigit = v
	}
	if v, ok := d.integer(m.get("retries"), field(path, "retries")); ok {
		node.Retries, node.NoRetry = clampInt(v), v == 0
	}
	if v, ok := d.integer(m.get("min_digits"), field(path, "min_digits")); ok {
		node.MinDigits = clampInt(v)
	}
	if v, ok := d.integer(m.get("max_digits"), field(path, "max_digits")); ok {
		node.MaxDigits = clampInt(v)
	}
	if v, ok := d.str(m.get("terminator"), field(path, "terminator")); ok {
		node.Terminator = v
	}
	if v, ok := d.name(m.get("var"), field(path, "var"), "variable"); ok {
		node.Var = v
	}
	if v, ok := d.str(m.get("by"), field(path, "by")); ok {
		node.By = v
	}
	if v, ok := d.str(m.get("field"), field(path, "field")); ok {
		node.Field = v
	}
	if v, ok := d.str(m.get("say_as"), field(path, "say_as")); ok {
		node.SayAs = ivr.MediaKind(v)
	}
	if v, ok := d.literal(m.get("number"), field(path, "number")); ok {
		node.Number = v
	}
	node.Accept, _ = d.dtmfKey(m.get("accept"), field(path, "accept"))
	node.Decline, _ = d.dtmfKey(m.get("decline"), field(path, "decline"))
	if m.has("priority") {
		p := d.priority(m.get("priority"), field(path, "priority"))
		node.Priority = &p
	}
	node.Skills = d.skills(m.get("skills"), field(path, "skills"))
	node.Data = d.flowData(m.get("data"), field(path, "data"))
	if v, ok := d.name(m.get("queue"), field(path, "queue"), "queue"); ok {
		node.Queue = v
		if env.queues != nil {
			if _, known := env.queues[v]; !known {
				d.errorf(m.get("queue"), field(path, "queue"), "unknown queue %q", v)
			}
		}
	}
	if v, ok := d.str(m.get("hours"), field(path, "hours")); ok {
		node.Hours = v
		if h := env.hours[v]; h != nil {
			node.Calendar = h
		} else {
			d.errorf(m.get("hours"), field(path, "hours"), "unknown hours %q", v)
		}
	}
	node.Choices = d.choices(m.get("choices"), field(path, "choices"), id, lines)
	node.Languages = d.languages(m.get("languages"), field(path, "languages"), id, lines)
	return node
}

func clampInt(v int64) int {
	return int(max(min(v, 1<<20), -1<<20))
}

// sortedPairs returns a mapping's present keys in line order.
func sortedPairs(m *mapping) []pair {
	var ps []pair
	for _, p := range m.fields {
		ps = append(ps, p)
	}
	for _, p := range m.nulls {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b pair) int {
		if a.key.Line != b.key.Line {
			return a.key.Line - b.key.Line
		}
		return a.key.Column - b.key.Column
	})
	return ps
}

// dtmfKey reads a phone key: 0-9 may be written unquoted; * and # must be quoted in YAML.
func (d *decoder) dtmfKey(n *yaml.Node, path string) (string, bool) {
	v := d.scalar(n, path, `a key like 1 or "#"`, "!!str", "!!int")
	if v == nil {
		return "", false
	}
	return v.Value, true
}

// media reads a prompt: a sound name, or a list of sound names and {digits: "123"},
// {number: 42}, {var: name} items.
func (d *decoder) media(n *yaml.Node, path string) []ivr.Media {
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	single := true
	if v := resolve(n); v.Kind == yaml.SequenceNode {
		items, single = v.Content, false
	}
	var out []ivr.Media
	for i, item := range items {
		at := path
		if !single {
			at = index(path, i)
		}
		v := resolve(item)
		switch {
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
			if !soundPattern.MatchString(v.Value) {
				d.errorf(item, at, "%q is not a sound name (letters, digits, '_', '/', '.' and '-')", v.Value)
				continue
			}
			out = append(out, ivr.Sound(v.Value))
		case v.Kind == yaml.MappingNode:
			m := d.mapping(item, at, "digits", "number", "var")
			if len(m.fields) != 1 {
				d.errorf(item, at, "want exactly one of digits, number, var")
				continue
			}
			switch {
			case m.has("digits"):
				if s, ok := d.literal(m.get("digits"), field(at, "digits")); ok {
					out = append(out, ivr.Media{Kind: ivr.MediaDigits, Value: s})
				}
			case m.has("number"):
				if x, ok := d.integer(m.get("number"), field(at, "number")); ok {
					out = append(out, ivr.Media{Kind: ivr.MediaNumber, Value: fmt.Sprint(x)})
				}
			case m.has("var"):
				if s, ok := d.name(m.get("var"), field(at, "var"), "variable"); ok {
					out = append(out, ivr.Media{Kind: ivr.MediaVar, Value: s})
				}
			}
		default:
			d.typeError(item, at, "a sound name or {digits|number|var: ...}")
		}
	}
	return out
}

// flowData reads attached data: name → text.
func (d *decoder) flowData(n *yaml.Node, path string) map[string]string {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, p := range ps {
		if v, ok := d.scalarText(p.value, field(path, p.name)); ok {
			out[p.name] = v
		}
	}
	return out
}

// scalarText reads any string, number or boolean as written.
func (d *decoder) scalarText(n *yaml.Node, path string) (string, bool) {
	v := d.scalar(n, path, "a string", "!!str", "!!int", "!!float", "!!bool")
	if v == nil {
		return "", false
	}
	return v.Value, true
}

// choices reads a menu: key → node.
func (d *decoder) choices(n *yaml.Node, path, id string, lines flowLines) map[string]string {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, p := range ps {
		lines[id+"\x00choices."+p.name] = p.key.Line
		if v, ok := d.name(p.value, field(path, p.name), "node"); ok {
			out[p.name] = v
		}
	}
	return out
}

// languages reads key → language code, or key → {code, skill, level}.
func (d *decoder) languages(n *yaml.Node, path, id string, lines flowLines) map[string]ivr.Language {
	ps, ok := d.pairs(n, path)
	if !ok {
		return nil
	}
	out := map[string]ivr.Language{}
	for _, p := range ps {
		at := field(path, p.name)
		lines[id+"\x00languages."+p.name] = p.key.Line
		if v := resolve(p.value); v.Kind == yaml.ScalarNode {
			if code, ok := d.str(p.value, at); ok {
				out[p.name] = ivr.Language{Code: code}
			}
			continue
		}
		m := d.mapping(p.value, at, "code", "skill", "level")
		if !m.ok {
			continue
		}
		var l ivr.Language
		l.Code, _ = d.str(m.require("code"), field(at, "code"))
		l.Skill, _ = d.str(m.get("skill"), field(at, "skill"))
		if v, ok := d.integer(m.get("level"), field(at, "level")); ok {
			l.Level = clampInt(v)
		}
		out[p.name] = l
	}
	return out
}

// checkDIDFlows reports DIDs naming a flow that is not declared. It reads the dids list
// quietly: dids() has reported whatever else is wrong with it.
func (d *decoder) checkDIDFlows(root *yaml.Node, declared map[string]bool) {
	root = resolve(root)
	if declared == nil || root == nil || root.Kind != yaml.MappingNode {
		return
	}
	var dids *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if resolve(root.Content[i]).Value == "dids" {
			dids = resolve(root.Content[i+1])
		}
	}
	if dids == nil || dids.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range dids.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			k, v := resolve(item.Content[j]), resolve(item.Content[j+1])
			if k.Value != "flow" || v.Kind != yaml.ScalarNode || !namePattern.MatchString(v.Value) {
				continue
			}
			if !declared[v.Value] {
				d.errorf(item.Content[j+1], field(index("dids", i), "flow"), "unknown flow %q", v.Value)
			}
		}
	}
}
