package config

import (
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/ivr/callback"
)

// Defaults of the callbacks: section. Without the section callbacks still work: numbers in
// any country, three attempts five minutes apart within a day, dialed as PJSIP/<number>.
const (
	DefaultCallbackAttempts    = callback.DefaultMaxAttempts
	DefaultCallbackRetryDelay  = 5 * time.Minute
	DefaultCallbackExpiry      = 24 * time.Hour
	DefaultCallbackDial        = "PJSIP/{number}"
	DefaultCallbackRingTimeout = 30 * time.Second
	DefaultCallbackDialAhead   = 1
)

// Callbacks is the callbacks: section: who may be called back, when, how often, and how the
// dialer reaches the customer.
type Callbacks struct {
	// Country is the country calling code of national numbers ("49"); required when
	// International is false.
	Country       string
	International bool     // numbers outside Country may be called back
	Deny          []string // E.164 prefixes never called ("+49900": premium)
	MaxAttempts   int      // dialing attempts per callback
	RetryDelay    time.Duration
	Expiry        time.Duration // how long a request lives
	// Hours names a Config.Hours entry: attempts start only while it is open ("" = any time).
	Hours       string
	CallerID    string        // the number the customer sees; "" = the trunk's default
	Dial        string        // endpoint template with {number}, e.g. "PJSIP/{number}@trunk"
	RingTimeout time.Duration // how long the customer's phone rings
	// DialAhead is how many callbacks of one queue wait in the engine at once, each holding
	// its place among the live callers; the others stay in the database until one leaves.
	DialAhead int
	Queues    map[string]QueueCallbacks // by queue name; queues not listed: both off
}

// QueueCallbacks is one queue's callback settings.
type QueueCallbacks struct {
	// MissedAfter: a caller who hangs up after waiting this long in the queue gets a
	// callback at the original place (0 = off).
	MissedAfter time.Duration
	// AfterHours lets a caller to a DID of this queue leave a callback request while the
	// DID's hours are closed (instead of only hearing the closed message).
	AfterHours bool
}

// Policy is the callback policy of queue.
func (c Callbacks) Policy(queue string) callback.Policy {
	return callback.Policy{
		DenyPrefixes: c.Deny, AllowInternational: c.International, HomeCountry: c.Country,
		MaxAttempts: c.MaxAttempts, RetryDelay: c.RetryDelay, Expiry: c.Expiry,
		MissedAfter: c.Queues[queue].MissedAfter,
	}
}

// DialEndpoint is the endpoint that reaches number (E.164).
func (c Callbacks) DialEndpoint(number string) string {
	return strings.ReplaceAll(c.Dial, "{number}", number)
}

func defaultCallbacks() Callbacks {
	return Callbacks{International: true, MaxAttempts: DefaultCallbackAttempts, RetryDelay: DefaultCallbackRetryDelay,
		Expiry: DefaultCallbackExpiry, Dial: DefaultCallbackDial, RingTimeout: DefaultCallbackRingTimeout,
		DialAhead: DefaultCallbackDialAhead, Queues: map[string]QueueCallbacks{}}
}

var (
	countryPattern  = regexp.MustCompile(`^\+?[1-9][0-9]{0,2}$`)
	callerIDPattern = regexp.MustCompile(`^\+?[0-9]{3,15}$`)
)

func (d *decoder) callbacks(n *yaml.Node, c *Config, b *build) {
	const path = "callbacks"
	m := d.mapping(n, path, "country", "international", "deny", "max_attempts", "retry_delay", "expiry", "hours",
		"caller_id", "dial", "ring_timeout", "dial_ahead", "queues")
	if !m.ok {
		return
	}
	cb := &c.Callbacks
	if v, ok := d.literal(m.get("country"), field(path, "country")); ok {
		if !countryPattern.MatchString(v) {
			d.errorf(m.get("country"), field(path, "country"), "%q is not a country calling code (1-3 digits, not starting with 0)", v)
		}
		cb.Country = strings.TrimPrefix(v, "+")
	}
	if v, ok := d.boolean(m.get("international"), field(path, "international")); ok {
		cb.International = v
	}
	if !cb.International && cb.Country == "" {
		d.errorf(n, path, "international: false needs country: the home country's calling code")
	}
	if items, ok := d.seq(m.get("deny"), field(path, "deny")); ok {
		for i, item := range items {
			ip := index(field(path, "deny"), i)
			v, ok := d.literal(item, ip)
			if !ok {
				continue
			}
			if err := (callback.Policy{AllowInternational: true, DenyPrefixes: []string{v}}).Validate(); err != nil {
				d.errorf(item, ip, "%q is not a number prefix: want \"+\" and digits, e.g. \"+49900\"", v)
				continue
			}
			cb.Deny = append(cb.Deny, v)
		}
	}
	if v, ok := d.integer(m.get("max_attempts"), field(path, "max_attempts")); ok {
		if v < 1 || v > 20 {
			d.errorf(m.get("max_attempts"), field(path, "max_attempts"), "must be between 1 and 20, got %d", v)
		} else {
			cb.MaxAttempts = int(v)
		}
	}
	if v, ok := d.nonNegativeDuration(m.get("retry_delay"), field(path, "retry_delay")); ok {
		cb.RetryDelay = v
	}
	if v, ok := d.positiveDuration(m.get("expiry"), field(path, "expiry")); ok {
		cb.Expiry = v
	}
	if v, ok := d.name(m.get("hours"), field(path, "hours"), "hours"); ok {
		cb.Hours = v
		b.refs = append(b.refs, ref{"hours", v, m.get("hours"), field(path, "hours")})
	}
	if v, ok := d.literal(m.get("caller_id"), field(path, "caller_id")); ok {
		if !callerIDPattern.MatchString(v) {
			d.errorf(m.get("caller_id"), field(path, "caller_id"), "%q is not a phone number (digits, optionally after +)", v)
		}
		cb.CallerID = v
	}
	if v, ok := d.str(m.get("dial"), field(path, "dial")); ok {
		switch {
		case !strings.Contains(v, "{number}"):
			d.errorf(m.get("dial"), field(path, "dial"), "%q does not contain {number}", v)
		case !endpointPattern.MatchString(strings.ReplaceAll(v, "{number}", "+4930123456")):
			d.errorf(m.get("dial"), field(path, "dial"), "%q is not an endpoint template like %q", v, "PJSIP/{number}@trunk")
		}
		cb.Dial = v
	}
	if v, ok := d.positiveDuration(m.get("ring_timeout"), field(path, "ring_timeout")); ok {
		cb.RingTimeout = v
	}
	if v, ok := d.integer(m.get("dial_ahead"), field(path, "dial_ahead")); ok {
		if v < 1 || v > 100 {
			d.errorf(m.get("dial_ahead"), field(path, "dial_ahead"), "must be between 1 and 100, got %d", v)
		} else {
			cb.DialAhead = int(v)
		}
	}
	ps, _ := d.pairs(m.get("queues"), field(path, "queues"))
	for _, p := range ps {
		qp := field(field(path, "queues"), p.name)
		b.refs = append(b.refs, ref{"queue", p.name, p.key, field(path, "queues")})
		qm := d.mapping(p.value, qp, "missed_after", "after_hours")
		var q QueueCallbacks
		if v, ok := d.nonNegativeDuration(qm.get("missed_after"), field(qp, "missed_after")); ok {
			q.MissedAfter = v
		}
		if v, ok := d.boolean(qm.get("after_hours"), field(qp, "after_hours")); ok {
			q.AfterHours = v
		}
		cb.Queues[p.name] = q
	}
}
