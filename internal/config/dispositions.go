package config

import (
	"gopkg.in/yaml.v3"
)

// DefaultDispositions are the wrap-up codes agents pick from when the file has no
// dispositions: key.
var DefaultDispositions = []string{"resolved", "escalated", "callback-promised", "follow-up", "wrong-number", "no-action"}

// MaxDispositions bounds the list (it is one pick list on the agent's desktop).
const MaxDispositions = 100

// dispositionsSection reads the top-level dispositions: key, a list of wrap-up codes (names:
// letters, digits, '.', '_' and '-', at most 64; no duplicates; at least one). Absent or null:
// DefaultDispositions. It returns root without the key, for the mapping of the other keys.
func (d *decoder) dispositionsSection(root *yaml.Node) (*yaml.Node, []string) {
	rest, n := d.splitKey(root, "dispositions")
	if n == nil {
		return rest, append([]string(nil), DefaultDispositions...)
	}
	items, ok := d.seq(n, "dispositions")
	if !ok {
		return rest, nil
	}
	if len(items) == 0 || len(items) > MaxDispositions {
		d.errorf(n, "dispositions", "want 1 to %d wrap-up codes, got %d", MaxDispositions, len(items))
	}
	var out []string
	seen := map[string]int{}
	for i, item := range items {
		path := index("dispositions", i)
		v, ok := d.str(item, path)
		if !ok {
			continue
		}
		if !namePattern.MatchString(v) {
			d.errorf(item, path, "%q is not a wrap-up code (%s)", v, nameRule)
			continue
		}
		if line, dup := seen[v]; dup {
			d.errorf(item, path, "duplicate wrap-up code %q (first at line %d)", v, line)
			continue
		}
		seen[v] = item.Line
		out = append(out, v)
	}
	return rest, out
}

// splitKey takes key out of the top-level mapping root, for a section decoded on its own: the
// rest, and the key's value (nil when absent or null). A duplicate key is reported.
func (d *decoder) splitKey(root *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	v := resolve(root)
	if v == nil || v.Kind != yaml.MappingNode || !hasKey(v, key) {
		return root, nil
	}
	rest := *v
	rest.Content = nil
	var val, first *yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := resolve(v.Content[i])
		if k.Kind != yaml.ScalarNode || k.Value != key || k.ShortTag() == "!!merge" {
			rest.Content = append(rest.Content, v.Content[i], v.Content[i+1])
			continue
		}
		if first != nil {
			d.errorf(v.Content[i], "", "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		first = v.Content[i]
		if !isNull(v.Content[i+1]) {
			val = v.Content[i+1]
		}
	}
	return &rest, val
}
