package config

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/ivr"
)

// flowInput are the keys of every input node (menu, collect, language, callback, survey).
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
	ivr.KindCallback: append([]string{"queue", "priority", "skills", "data", "accept", "decline", "decline_next", "message",
		"other", "number_prompt", "number_refused", "home_country", "international", "deny_prefixes"}, flowInput...),
	ivr.KindInfo:     {"prompt", "field", "say_as", "next", "missing"},
	ivr.KindTransfer: {"number"},
	ivr.KindHangup:   {"message"},
	ivr.KindSurvey:   append([]string{"next"}, flowInput...),
}

// allFlowKeys is every node key, type first.
var allFlowKeys = func() []string {
	keys := []string{"type", "label"}
	for _, k := range ivr.Kinds {
		for _, key := range flowKeys[k] {
			if !slices.Contains(keys, key) {
				keys = append(keys, key)
			}
		}
	}
	return keys
}()

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
		if p.name != "type" && p.name != "label" && !slices.Contains(keys, p.name) {
			d.errorf(p.key, path, "a %s node takes no %q (it takes: %s)", kind, p.name, strings.Join(keys, ", "))
		}
	}
	node := &ivr.Node{ID: id, Kind: kind, Label: d.label(m.get("label"), field(path, "label"))}
	node.Prompt = d.media(m.get("prompt"), field(path, "prompt"))
	node.Invalid = d.media(m.get("invalid"), field(path, "invalid"))
	node.NoInput = d.media(m.get("no_input"), field(path, "no_input"))
	node.Message = d.media(m.get("message"), field(path, "message"))
	node.NumberPrompt = d.media(m.get("number_prompt"), field(path, "number_prompt"))
	node.NumberRefused = d.media(m.get("number_refused"), field(path, "number_refused"))
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
	if kind == ivr.KindCollect {
		node.MinDigits = 1 // default
		m.require("max_digits")
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
	node.Other, _ = d.dtmfKey(m.get("other"), field(path, "other"))
	if v, ok := d.str(m.get("home_country"), field(path, "home_country")); ok {
		node.Numbers.HomeCountry = v
	}
	if v, ok := d.boolean(m.get("international"), field(path, "international")); ok {
		node.Numbers.AllowInternational = v
	}
	if items, ok := d.seq(m.get("deny_prefixes"), field(path, "deny_prefixes")); ok {
		for i, item := range items {
			if v, ok := d.scalarText(item, fmt.Sprintf("%s[%d]", field(path, "deny_prefixes"), i)); ok {
				node.Numbers.DenyPrefixes = append(node.Numbers.DenyPrefixes, v)
			}
		}
	}
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

// label reads a node's label for people: a text for every language, or one per language
// code ({en: Billing, ru: Оплата}).
func (d *decoder) label(n *yaml.Node, path string) map[string]string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if v, ok := d.scalarText(n, path); ok {
			return map[string]string{"": v}
		}
		return nil
	}
	return d.flowData(n, path)
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
