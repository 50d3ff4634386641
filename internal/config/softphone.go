package config

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// EnvSoftphoneSecret holds the key the browser phones' SIP passwords are derived from
// (SoftphonePassword); it is never read from the file.
const EnvSoftphoneSecret = "SOFTPHONE_SECRET"

// DefaultSoftphoneEndpoint is the browser phone of agent {agent} in deploy/asterisk/pjsip.conf.
const DefaultSoftphoneEndpoint = "PJSIP/webrtc-{agent}"

// Softphone is the softphone: section: where the desktop's browser phone registers. Without
// the section agents work only on desk phones.
type Softphone struct {
	// WSURL is Asterisk's secure websocket for SIP (wss://host:8089/ws).
	WSURL string
	// Domain is the SIP domain of the browser phones' addresses (sip:webrtc-1001@Domain); ""
	// is WSURL's host.
	Domain string
	// Endpoint is the browser phone's endpoint with {agent} for the agent's id: what the
	// router dials when the agent logs in on "this browser".
	Endpoint string
	// RingTimeout is how long the desktop counts down an offer whose queue's ring time it has
	// not learned (the desk's offered pop carries that).
	RingTimeout time.Duration
	// ICEServers are STUN/TURN URLs the browser may use besides its own addresses.
	ICEServers []string
	// Secret is the key of the SIP passwords (SOFTPHONE_SECRET, LoadSoftphoneEnv).
	Secret string
}

// AgentEndpoint is agent's browser phone.
func (s Softphone) AgentEndpoint(agent string) string {
	return strings.ReplaceAll(s.Endpoint, "{agent}", agent)
}

// SoftphonePassword is the SIP password of a browser phone's endpoint name (e.g.
// webrtc-1001): the first 24 characters of base64url(HMAC-SHA256(secret, name)). The same
// is written in pjsip.conf (deploy/asterisk/README.md shows how to compute it).
func SoftphonePassword(secret, endpointName string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(endpointName))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:24]
}

var (
	softphoneEndpointPattern = regexp.MustCompile(`^PJSIP/[A-Za-z0-9_.+-]*\{agent\}[A-Za-z0-9_.+-]*$`)
	iceURLPattern            = regexp.MustCompile(`^(stun|stuns|turn|turns):[^\s,]+$`)
)

func (d *decoder) softphoneSection(n *yaml.Node, c *Config) {
	const path = "softphone"
	m := d.mapping(n, path, "ws_url", "domain", "endpoint", "ring_timeout", "ice_servers")
	if !m.ok {
		return
	}
	s := &Softphone{Endpoint: DefaultSoftphoneEndpoint, RingTimeout: 20 * time.Second}
	if v, ok := d.str(m.require("ws_url"), field(path, "ws_url")); ok {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
			d.errorf(m.get("ws_url"), field(path, "ws_url"), "%q is not a websocket URL like wss://pbx.example.com:8089/ws", v)
		} else {
			s.WSURL, s.Domain = v, u.Hostname()
		}
	}
	if v, ok := d.str(m.get("domain"), field(path, "domain")); ok {
		if strings.ContainsAny(v, " /@:;") || v == "" {
			d.errorf(m.get("domain"), field(path, "domain"), "%q is not a host name", v)
		}
		s.Domain = v
	}
	if v, ok := d.str(m.get("endpoint"), field(path, "endpoint")); ok {
		if !softphoneEndpointPattern.MatchString(v) {
			d.errorf(m.get("endpoint"), field(path, "endpoint"), "%q is not an endpoint template like %q", v, DefaultSoftphoneEndpoint)
		}
		s.Endpoint = v
	}
	if v, ok := d.positiveDuration(m.get("ring_timeout"), field(path, "ring_timeout")); ok {
		s.RingTimeout = v
	}
	if items, ok := d.seq(m.get("ice_servers"), field(path, "ice_servers")); ok {
		for i, it := range items {
			if v, ok := d.str(it, index(field(path, "ice_servers"), i)); ok {
				if !iceURLPattern.MatchString(v) {
					d.errorf(it, index(field(path, "ice_servers"), i), "%q is not a stun: or turn: URL", v)
				}
				s.ICEServers = append(s.ICEServers, v)
			}
		}
	}
	c.Softphone = s
}

// LoadSoftphoneEnv fills the softphone's secret from SOFTPHONE_SECRET, required when the
// file has a softphone: section.
func (c *Config) LoadSoftphoneEnv(getenv func(string) string) error {
	if c.Softphone == nil {
		return nil
	}
	c.Softphone.Secret = getenv(EnvSoftphoneSecret)
	if len(c.Softphone.Secret) < 16 {
		return &envError{EnvSoftphoneSecret + " not set or shorter than 16 characters (the softphone: section needs it)"}
	}
	return nil
}

type envError struct{ msg string }

func (e *envError) Error() string { return "environment: " + e.msg }
