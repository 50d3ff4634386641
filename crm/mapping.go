package crm

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Path is a dotted path into a JSON document: "data.customer.full_name", "data.phones.0".
// A segment of digits indexes an array (and names a key in an object).
type Path []string

// Limits of a path.
const (
	MaxPath      = 256
	MaxPathDepth = 32
)

// ParsePath parses a dotted path.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return nil, invalid("mapping", "empty path")
	}
	if len(s) > MaxPath {
		return nil, invalid("mapping", "path longer than %d bytes", MaxPath)
	}
	segs := strings.Split(s, ".")
	if len(segs) > MaxPathDepth {
		return nil, invalid("mapping", "path deeper than %d", MaxPathDepth)
	}
	for _, seg := range segs {
		if seg == "" {
			return nil, invalid("mapping", "path %q has an empty segment", s)
		}
		if strings.ContainsFunc(seg, func(r rune) bool { return r < ' ' || r == '{' || r == '}' || r == '[' || r == ']' }) {
			return nil, invalid("mapping", "path %q: write array indexes as .0, not [0]", s)
		}
	}
	return Path(segs), nil
}

func (p Path) String() string { return strings.Join(p, ".") }

// Lookup follows p into a document decoded by encoding/json (with UseNumber or not).
func (p Path) Lookup(doc any) (any, bool) {
	cur := doc
	for _, seg := range p {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(v) || strconv.Itoa(i) != seg {
				return nil, false
			}
			cur = v[i]
		default:
			return nil, false
		}
	}
	return cur, cur != nil
}

// Fields an external answer can be mapped onto.
const (
	FieldID       = "id"
	FieldName     = "name"
	FieldSegment  = "segment"
	FieldLanguage = "language"
	FieldPhones   = "phones"
	FieldAccounts = "accounts"
	FieldNotes    = "notes"
)

// MappingFields lists the fields a Mapping may name.
var MappingFields = []string{FieldID, FieldName, FieldSegment, FieldLanguage, FieldPhones, FieldAccounts, FieldNotes}

// Mapping says where each customer field is in the external CRM's answer. Name is required:
// an answer without it means "not found".
type Mapping map[string]Path

// ParseMapping parses field → dotted path.
func ParseMapping(m map[string]string) (Mapping, error) {
	out := Mapping{}
	for field, path := range m {
		if !slices.Contains(MappingFields, field) {
			return nil, invalid("mapping", "unknown field %q (known: %s)", field, strings.Join(MappingFields, ", "))
		}
		p, err := ParsePath(path)
		if err != nil {
			return nil, err
		}
		out[field] = p
	}
	if _, ok := out[FieldName]; !ok {
		return nil, invalid("mapping", "a path for %q is required", FieldName)
	}
	return out, nil
}

// External is a customer as the external CRM describes it.
type External struct {
	ID       string
	Customer Customer // ID 0; phones and accounts as the CRM wrote them
}

// Extract maps a decoded JSON answer onto a customer; ok is false when the answer has no name.
// Values that are not what a field holds are ignored; a string where a list is expected is a
// list of one; an unknown segment is standard.
func (m Mapping) Extract(doc any) (External, bool) {
	var e External
	name := scalarString(m.get(FieldName, doc))
	if strings.TrimSpace(name) == "" {
		return e, false
	}
	e.ID = scalarString(m.get(FieldID, doc))
	e.Customer = Customer{Name: name, Segment: Standard, Language: scalarString(m.get(FieldLanguage, doc)),
		Notes: scalarString(m.get(FieldNotes, doc)), Phones: stringList(m.get(FieldPhones, doc)),
		Accounts: stringList(m.get(FieldAccounts, doc))}
	if s := Segment(strings.ToLower(scalarString(m.get(FieldSegment, doc)))); s.Valid() {
		e.Customer.Segment = s
	}
	return e, true
}

func (m Mapping) get(field string, doc any) any {
	p, ok := m[field]
	if !ok {
		return nil
	}
	v, _ := p.Lookup(doc)
	return v
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func stringList(v any) []string {
	if l, ok := v.([]any); ok {
		var out []string
		for _, x := range l {
			if s := scalarString(x); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if s := scalarString(v); s != "" {
		return []string{s}
	}
	return nil
}
