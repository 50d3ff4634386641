package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The decoder walks a yaml.Node tree by hand instead of unmarshalling into structs, so that every
// problem is reported with its line and the walk goes on to find the next one. Every file format
// of this package (scenarios, switchboard.yaml) is read with it.
//
// Conventions: a path names the value in messages ("queues[0].handle_time.mean"); a nil node
// means "absent" and every helper then does nothing and reports nothing, so calls chain
// (d.duration(m.get("warmup"), ...)) without nil checks; null values (`key:` or `key: ~`) count
// as absent; aliases are followed and YAML merge keys (`<<: *base`) are applied.

const (
	maxMergeDepth = 8    // nested merge keys
	maxMerges     = 1000 // merge keys expanded per file, against alias bombs
)

type decoder struct {
	file   string
	errs   Errors
	merges int
}

func newDecoder(file string) *decoder { return &decoder{file: file} }

// errorf records a problem at n's line. path, when set, prefixes the reason.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	d.errorAt(line, path, format, args...)
}

func (d *decoder) errorAt(line int, path, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if path != "" {
		reason = path + ": " + reason
	}
	d.errs = append(d.errs, Error{File: d.file, Line: line, Reason: reason})
}

// typeError reports that n is not the kind of value wanted ("an integer", "a list").
func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n, path, "want %s, got %s", want, describe(n))
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
var bigInteger = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`) // plain integers too long for int64 resolve to !!float
var unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// parse reads exactly one YAML document and returns its root node, or nil after recording why not.
func (d *decoder) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errorAt(1, "", "empty file")
		} else {
			d.yamlError(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.errorf(&next, "", "only one YAML document is allowed")
		return nil
	case !errors.Is(err, io.EOF):
		d.yamlError(data, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.errorAt(1, "", "empty file")
		return nil
	}
	return doc.Content[0]
}

// yamlError turns a yaml.v3 syntax error into an Error with its line.
func (d *decoder) yamlError(data []byte, err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.errorAt(line, "", "%s", m[2])
		return
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		// yaml.v3 gives no line here: find the first use of the alias.
		line := 1
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line += bytes.Count(data[:i], []byte("\n"))
		}
		d.errorAt(line, "", "unknown anchor %q", m[1])
		return
	}
	d.errorAt(1, "", "%s", strings.TrimPrefix(msg, "yaml: "))
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil || isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode:
		v := n.Value
		if r := []rune(v); len(r) > 24 {
			v = string(r[:24]) + "..."
		}
		if n.ShortTag() == "!!str" {
			return strconv.Quote(v)
		}
		return v
	}
	return "something else"
}

// field and index build paths for messages.
func field(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// pair is one entry of a mapping.
type pair struct {
	name       string
	key, value *yaml.Node
}

// pairs returns the entries of mapping n in order, with merge keys applied (explicit keys win over
// merged ones, earlier merges over later ones). It reports non-scalar and duplicate keys, and
// reports a type error and returns ok false when n is not a mapping.
func (d *decoder) pairs(n *yaml.Node, path string) (ps []pair, ok bool) {
	return d.pairsDepth(n, path, 0)
}

func (d *decoder) pairsDepth(n *yaml.Node, path string, depth int) ([]pair, bool) {
	if n == nil {
		return nil, false
	}
	v := resolve(n)
	if v.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return nil, false
	}
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolve(v.Content[i]), v.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(val, path, depth)...)
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(v.Content[i], path, "keys must be strings, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(v.Content[i], path, "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = v.Content[i]
		out = append(out, pair{name: k.Value, key: v.Content[i], value: val})
	}
	for _, p := range merged {
		if _, dup := seen[p.name]; !dup {
			seen[p.name] = p.key
			out = append(out, p)
		}
	}
	return out, true
}

// merge returns the entries a merge key (<<) brings in: one mapping or a list of mappings.
func (d *decoder) merge(n *yaml.Node, path string, depth int) []pair {
	d.merges++
	switch {
	case d.merges == maxMerges+1:
		d.errorf(n, path, "too many merge keys")
		return nil
	case d.merges > maxMerges:
		return nil
	case depth >= maxMergeDepth:
		d.errorf(n, path, "merge keys nested too deeply")
		return nil
	}
	v := resolve(n)
	if v.Kind == yaml.SequenceNode {
		var out []pair
		seen := map[string]bool{}
		for _, item := range v.Content {
			if resolve(item).Kind != yaml.MappingNode {
				d.typeError(item, field(path, "<<"), "a mapping to merge")
				continue
			}
			ps, _ := d.pairsDepth(item, path, depth+1)
			for _, p := range ps {
				if !seen[p.name] {
					seen[p.name] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	if v.Kind != yaml.MappingNode {
		d.typeError(n, field(path, "<<"), "a mapping or a list of mappings to merge")
		return nil
	}
	ps, _ := d.pairsDepth(n, path, depth+1)
	return ps
}

// mapping is a YAML mapping with a fixed set of keys.
type mapping struct {
	d      *decoder
	node   *yaml.Node
	path   string
	ok     bool            // node is a mapping
	fields map[string]pair // known keys with a non-null value
	nulls  map[string]pair // known keys present with a null value
}

// mapping reads n as a mapping whose keys must be among known, reporting every other key.
// When n is nil (absent) or not a mapping, the result is empty and its ok is false.
func (d *decoder) mapping(n *yaml.Node, path string, known ...string) *mapping {
	return d.mappingHint(n, path, nil, known...)
}

// mappingHint is mapping with a reason of its own for some keys that are not allowed (hint maps
// the key to the reason), e.g. secrets that must come from the environment.
func (d *decoder) mappingHint(n *yaml.Node, path string, hint map[string]string, known ...string) *mapping {
	m := &mapping{d: d, node: n, path: path, fields: map[string]pair{}, nulls: map[string]pair{}}
	ps, ok := d.pairs(n, path)
	m.ok = ok
	for _, p := range ps {
		switch {
		case hint[p.name] != "" && !slices.Contains(known, p.name):
			d.errorf(p.key, field(path, p.name), "%s", hint[p.name])
		case !slices.Contains(known, p.name):
			d.errorf(p.key, path, "unknown key %q (known: %s)", p.name, strings.Join(known, ", "))
		case isNull(p.value):
			m.nulls[p.name] = p
		default:
			m.fields[p.name] = p
		}
	}
	return m
}

// get returns the value of key, or nil when it is absent or null.
func (m *mapping) get(key string) *yaml.Node {
	if p, ok := m.fields[key]; ok {
		return p.value
	}
	return nil
}

// require is get, reporting a missing key (at the mapping) or a null value (at the key).
func (m *mapping) require(key string) *yaml.Node {
	if v := m.get(key); v != nil {
		return v
	}
	if p, ok := m.nulls[key]; ok {
		m.d.errorf(p.key, field(m.path, key), "missing value")
	} else if m.ok {
		m.d.errorf(m.node, m.path, "missing required key %q", key)
	}
	return nil
}

// has reports whether key is present with a non-null value.
func (m *mapping) has(key string) bool { _, ok := m.fields[key]; return ok }

// scalar returns the resolved scalar node with one of the given tags, or reports want.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) *yaml.Node {
	if n == nil {
		return nil
	}
	v := resolve(n)
	if v.Kind != yaml.ScalarNode || !slices.Contains(tags, v.ShortTag()) {
		d.typeError(n, path, want)
		return nil
	}
	return v
}

// str reads a string.
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	v := d.scalar(n, path, "a string", "!!str")
	if v == nil {
		return "", false
	}
	return v.Value, true
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	v := d.scalar(n, path, "true or false", "!!bool")
	if v == nil {
		return false, false
	}
	var b bool
	if err := v.Decode(&b); err != nil {
		d.typeError(n, path, "true or false")
		return false, false
	}
	return b, true
}

// integer reads a whole number; 1.0 and "1" are rejected as not integers.
func (d *decoder) integer(n *yaml.Node, path string) (int64, bool) {
	if v := resolve(n); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!float" && bigInteger.MatchString(v.Value) {
		d.errorf(n, path, "integer %s out of range", describe(v))
		return 0, false
	}
	v := d.scalar(n, path, "an integer", "!!int")
	if v == nil {
		return 0, false
	}
	var i int64
	if err := v.Decode(&i); err != nil {
		d.errorf(n, path, "integer %s out of range", describe(v))
		return 0, false
	}
	return i, true
}

// number reads a finite integer or float.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	v := d.scalar(n, path, "a number", "!!int", "!!float")
	if v == nil {
		return 0, false
	}
	var f float64
	if err := v.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		d.errorf(n, path, "want a finite number, got %s", describe(v))
		return 0, false
	}
	return f, true
}

// duration reads a Go duration string ("20s", "1h30m") or a plain number of seconds.
func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	const want = `a duration like "90s" or "1h30m", or seconds`
	v := d.scalar(n, path, want, "!!str", "!!int", "!!float")
	if v == nil {
		return 0, false
	}
	if v.ShortTag() == "!!str" {
		dur, err := time.ParseDuration(v.Value)
		if err != nil {
			d.typeError(n, path, want)
			return 0, false
		}
		return dur, true
	}
	secs, ok := d.number(n, path)
	if !ok {
		return 0, false
	}
	if ns := secs * float64(time.Second); ns >= math.MaxInt64 || ns <= math.MinInt64 {
		d.errorf(n, path, "duration %s out of range", describe(v))
		return 0, false
	}
	return time.Duration(math.Round(secs * float64(time.Second))), true
}

// seq reads a list and returns its items.
func (d *decoder) seq(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	if n == nil {
		return nil, false
	}
	v := resolve(n)
	if v.Kind != yaml.SequenceNode {
		d.typeError(n, path, "a list")
		return nil, false
	}
	return v.Content, true
}
