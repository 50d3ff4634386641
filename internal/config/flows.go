package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
