package config

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/crm"
)

// CRM is the crm: section: how customers are identified and what their segment does to a
// call's route. The external CRM's API key is never in the file: External.APIKeyEnv names the
// environment variable that holds it.
type CRM struct {
	HomeCountry string // calling code for national numbers in customer records ("49"); "" = E.164 only
	ReopenDays  int    // window after a resolution in which a call on the ticket counts as a reopening
	Segments    crm.SegmentPolicy
	PopURL      *crm.Template // the desktop's link into the CRM: {number}, {account}, {customer}; nil: none
	External    *CRMExternal  // nil: local records only
}

// CRMExternal is the external CRM connector's configuration.
type CRMExternal struct {
	URL          *crm.Template // {number}, {account}
	Mapping      crm.Mapping
	Timeout      time.Duration
	Failures     int           // consecutive failures that open the breaker
	CoolDown     time.Duration // before a half-open probe
	APIKeyEnv    string        // environment variable holding the API key; "" = none
	APIKeyHeader string        // default Authorization ("Bearer <key>")
}

// APIKey reads the API key from the environment (getenv is os.Getenv in the daemon).
func (x *CRMExternal) APIKey(getenv func(string) string) string {
	if x == nil || x.APIKeyEnv == "" {
		return ""
	}
	return getenv(x.APIKeyEnv)
}

// Bounds of the crm: section.
const (
	MaxCRMTimeout  = 5 * time.Second // a lookup holds a caller; more than this is a mistake
	MaxReopenDays  = 365
	MaxCRMFailures = 1000
)

var (
	envPattern    = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)
	headerPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	countryCode   = regexp.MustCompile(`^\+?[1-9][0-9]{0,2}$`)
)

const crmSecret = "secrets never go in the file: name the environment variable that holds the key with api_key_env"

func (d *decoder) crmSection(n *yaml.Node, c *Config, b *build) {
	if n == nil {
		return
	}
	m := d.mapping(n, "crm", "home_country", "reopen_days", "segments", "pop_url", "external")
	if !m.ok {
		return
	}
	x := &CRM{ReopenDays: crm.DefaultReopenDays, Segments: crm.SegmentPolicy{}}
	c.CRM = x
	if v, ok := d.literal(m.get("home_country"), "crm.home_country"); ok {
		if !countryCode.MatchString(v) {
			d.errorf(m.get("home_country"), "crm.home_country", "want a country calling code like \"49\", got %q", v)
		}
		x.HomeCountry = strings.TrimPrefix(v, "+")
	}
	if v, ok := d.integer(m.get("reopen_days"), "crm.reopen_days"); ok {
		if v < 1 || v > MaxReopenDays {
			d.errorf(m.get("reopen_days"), "crm.reopen_days", "must be between 1 and %d, got %d", MaxReopenDays, v)
		}
		x.ReopenDays = int(v)
	}
	if ps, ok := d.pairs(m.get("segments"), "crm.segments"); ok {
		for _, p := range ps {
			path := field("crm.segments", p.name)
			seg := crm.Segment(p.name)
			if !seg.Valid() {
				d.errorf(p.key, "crm.segments", "unknown segment %q (known: standard, vip, b2b)", p.name)
				continue
			}
			sm := d.mapping(p.value, path, "priority_boost", "queue")
			var r crm.SegmentRule
			if v, ok := d.integer(sm.get("priority_boost"), field(path, "priority_boost")); ok {
				if v < -crm.RoutePriorityMax || v > crm.RoutePriorityMax {
					d.errorf(sm.get("priority_boost"), field(path, "priority_boost"), "must be between %d and %d, got %d",
						-crm.RoutePriorityMax, crm.RoutePriorityMax, v)
				}
				r.PriorityBoost = int(v)
			}
			if q, ok := d.name(sm.get("queue"), field(path, "queue"), "queue"); ok {
				r.Queue = q
				b.refs = append(b.refs, ref{kind: "queue", name: q, node: sm.get("queue"), path: field(path, "queue")})
			}
			if sm.ok && !sm.has("priority_boost") && !sm.has("queue") {
				d.errorf(p.value, path, "give a priority_boost, a queue, or both")
			}
			x.Segments[seg] = r
		}
	}
	x.PopURL = d.urlTemplate(m.get("pop_url"), "crm.pop_url", "number", "account", "customer")
	x.External = d.crmExternal(m.get("external"))
}

// urlTemplate reads a URL template with the given placeholders.
func (d *decoder) urlTemplate(n *yaml.Node, path string, placeholders ...string) *crm.Template {
	v, ok := d.str(n, path)
	if !ok {
		return nil
	}
	t, err := crm.ParseTemplate(v, placeholders...)
	if err != nil {
		d.errorf(n, path, "%s", invalidReason(err))
		return nil
	}
	return t
}

// invalidReason is a crm.InvalidError's reason (its field is the path already).
func invalidReason(err error) string {
	var ie *crm.InvalidError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return err.Error()
}

func (d *decoder) crmExternal(n *yaml.Node) *CRMExternal {
	if n == nil {
		return nil
	}
	const path = "crm.external"
	m := d.mappingHint(n, path, map[string]string{"api_key": crmSecret, "token": crmSecret, "password": crmSecret, "secret": crmSecret},
		"url", "mapping", "timeout", "breaker", "api_key_env", "api_key_header")
	if !m.ok {
		return nil
	}
	x := &CRMExternal{Timeout: crm.DefaultTimeout, Failures: crm.DefaultFailures, CoolDown: crm.DefaultCoolDown, Mapping: crm.Mapping{}}
	x.URL = d.urlTemplate(m.require("url"), field(path, "url"), "number", "account")
	if ps, ok := d.pairs(m.require("mapping"), field(path, "mapping")); ok {
		for _, p := range ps {
			at := field(field(path, "mapping"), p.name)
			if !slices.Contains(crm.MappingFields, p.name) {
				d.errorf(p.key, field(path, "mapping"), "unknown field %q (known: %s)", p.name, strings.Join(crm.MappingFields, ", "))
				continue
			}
			v, ok := d.str(p.value, at)
			if !ok {
				continue
			}
			pp, err := crm.ParsePath(v)
			if err != nil {
				d.errorf(p.value, at, "%s", invalidReason(err))
				continue
			}
			x.Mapping[p.name] = pp
		}
		if _, ok := x.Mapping[crm.FieldName]; !ok && !hasPair(ps, crm.FieldName) {
			d.errorf(m.get("mapping"), field(path, "mapping"), "a path for %q is required", crm.FieldName)
		}
	}
	if v, ok := d.positiveDuration(m.get("timeout"), field(path, "timeout")); ok {
		if v > MaxCRMTimeout {
			d.errorf(m.get("timeout"), field(path, "timeout"), "at most %s: a lookup holds the caller", MaxCRMTimeout)
		}
		x.Timeout = v
	}
	bm := d.mapping(m.get("breaker"), field(path, "breaker"), "failures", "cool_down")
	if v, ok := d.integer(bm.get("failures"), field(path, "breaker.failures")); ok {
		if v < 1 || v > MaxCRMFailures {
			d.errorf(bm.get("failures"), field(path, "breaker.failures"), "must be between 1 and %d, got %d", MaxCRMFailures, v)
		}
		x.Failures = int(v)
	}
	if v, ok := d.positiveDuration(bm.get("cool_down"), field(path, "breaker.cool_down")); ok {
		x.CoolDown = v
	}
	if v, ok := d.str(m.get("api_key_env"), field(path, "api_key_env")); ok {
		if !envPattern.MatchString(v) {
			d.errorf(m.get("api_key_env"), field(path, "api_key_env"), "want an environment variable name like CRM_API_KEY, got %q", v)
		}
		x.APIKeyEnv = v
	}
	if v, ok := d.str(m.get("api_key_header"), field(path, "api_key_header")); ok {
		if !headerPattern.MatchString(v) {
			d.errorf(m.get("api_key_header"), field(path, "api_key_header"), "want a header name like X-Api-Key, got %q", v)
		}
		x.APIKeyHeader = v
	}
	return x
}

func hasPair(ps []pair, name string) bool {
	for _, p := range ps {
		if p.name == name {
			return true
		}
	}
	return false
}
