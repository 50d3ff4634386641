package config

import (
	"regexp"
	"time"

	"gopkg.in/yaml.v3"
)

// IVR is the ivr: section: what IVR flows do beyond their nodes.
//
//	ivr:
//	  transfer_context: sb-transfer   # dialplan context transfer nodes continue into (extensions.conf)
//	  lookup_timeout: 2s              # limit of one customer lookup
//	  surveys: {support-l1: survey}   # queue → flow a caller hears when the agent hangs up first
//	  secure_prompt: beep             # played when an agent starts a secure digit entry
//	  secure_timeout: 15s             # wait for the first digit of a secure entry
type IVR struct {
	TransferContext string            // "" refuses transfers to a number
	LookupTimeout   time.Duration     // 0: the router's default (2s)
	Surveys         map[string]string // queue → flow name
	SecurePrompt    string            // a sound name; "": the router's default
	SecureTimeout   time.Duration     // 0: the router's default (15s)
}

// Limits of the ivr: section.
const (
	MaxLookupTimeout = 10 * time.Second
	MaxSecureTimeout = time.Minute
)

var contextPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,79}$`)

// ivrSection reads the ivr: mapping; surveys name declared queues and flows.
func (d *decoder) ivrSection(n *yaml.Node, c *Config, b *build) {
	if n == nil {
		return
	}
	m := d.mapping(n, "ivr", "transfer_context", "lookup_timeout", "surveys", "secure_prompt", "secure_timeout")
	if !m.ok {
		return
	}
	if v, ok := d.str(m.get("transfer_context"), "ivr.transfer_context"); ok {
		if !contextPattern.MatchString(v) {
			d.errorf(m.get("transfer_context"), "ivr.transfer_context", "%q is not a dialplan context name (letters, digits, '_' and '-', at most 79)", v)
		}
		c.IVR.TransferContext = v
	}
	limit := func(key string, lo, hi time.Duration) time.Duration {
		v, ok := d.duration(m.get(key), "ivr."+key)
		if ok && (v < lo || v > hi) {
			d.errorf(m.get(key), "ivr."+key, "must be between %s and %s, got %s", lo, hi, v)
			return 0
		}
		return v
	}
	c.IVR.LookupTimeout = limit("lookup_timeout", 100*time.Millisecond, MaxLookupTimeout)
	c.IVR.SecureTimeout = limit("secure_timeout", time.Second, MaxSecureTimeout)
	if v, ok := d.str(m.get("secure_prompt"), "ivr.secure_prompt"); ok {
		if !soundPattern.MatchString(v) {
			d.errorf(m.get("secure_prompt"), "ivr.secure_prompt", "%q is not a sound name", v)
		}
		c.IVR.SecurePrompt = v
	}
	ps, ok := d.pairs(m.get("surveys"), "ivr.surveys")
	if !ok {
		return
	}
	c.IVR.Surveys = map[string]string{}
	for _, p := range ps {
		path := field("ivr.surveys", p.name)
		if _, known := b.queues[p.name]; !known {
			d.errorf(p.key, path, "unknown queue %q", p.name)
			continue
		}
		flow, ok := d.str(p.value, path)
		if !ok {
			continue
		}
		if c.Flows[flow] == nil {
			d.errorf(p.value, path, "unknown flow %q", flow)
			continue
		}
		c.IVR.Surveys[p.name] = flow
	}
}
