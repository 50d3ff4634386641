package crm

import (
	"net/url"
	"slices"
	"strings"
)

// Template is a URL with placeholders ("https://crm.example/lookup?phone={number}"), parsed
// once from the configuration. Values are percent-encoded whole (everything but letters,
// digits and "-._~"), so they can neither add query parameters nor change the path.
type Template struct {
	raw   string
	parts []part
}

type part struct {
	lit   string
	field string // placeholder name when lit is ""
}

// MaxTemplate bounds a template's length.
const MaxTemplate = 2048

// ParseTemplate parses a URL template whose placeholders must be among allowed. The result must
// be an absolute http or https URL with no credentials, and its scheme and host must not come
// from a placeholder.
func ParseTemplate(s string, allowed ...string) (*Template, error) {
	if s == "" {
		return nil, invalid("url", "empty")
	}
	if len(s) > MaxTemplate {
		return nil, invalid("url", "longer than %d bytes", MaxTemplate)
	}
	t := &Template{raw: s}
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if close := strings.IndexByte(rest, '}'); close >= 0 && (open < 0 || close < open) {
			return nil, invalid("url", "'}' without '{'")
		}
		if open < 0 {
			t.parts = append(t.parts, part{lit: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{lit: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, invalid("url", "'{' without '}'")
		}
		name := rest[open+1 : open+end]
		if !slices.Contains(allowed, name) {
			return nil, invalid("url", "unknown placeholder {%s} (known: {%s})", name, strings.Join(allowed, "}, {"))
		}
		t.parts = append(t.parts, part{field: name})
		rest = rest[open+end+1:]
	}
	a, errA := url.Parse(t.Expand(func(string) string { return "a" }))
	b, errB := url.Parse(t.Expand(func(string) string { return "b" }))
	switch {
	case errA != nil || errB != nil:
		return nil, invalid("url", "not a URL")
	case a.Scheme != "http" && a.Scheme != "https":
		return nil, invalid("url", "want an http:// or https:// URL")
	case a.Host == "" || a.Hostname() == "":
		return nil, invalid("url", "no host")
	case a.User != nil:
		return nil, invalid("url", "credentials do not belong in the URL (the API key comes from the environment into a header)")
	case a.Host != b.Host || a.Scheme != b.Scheme:
		return nil, invalid("url", "the scheme and host must not come from a placeholder")
	}
	return t, nil
}

// String returns the template as written (it holds no values, so it may be logged).
func (t *Template) String() string { return t.raw }

// Host returns the template's host, for logs.
func (t *Template) Host() string {
	u, err := url.Parse(t.Expand(func(string) string { return "" }))
	if err != nil {
		return ""
	}
	return u.Host
}

// Expand fills the placeholders with value(name), percent-encoded.
func (t *Template) Expand(value func(name string) string) string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.field == "" {
			b.WriteString(p.lit)
		} else {
			b.WriteString(escape(value(p.field)))
		}
	}
	return b.String()
}

// escape percent-encodes every byte but RFC 3986's unreserved characters.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
