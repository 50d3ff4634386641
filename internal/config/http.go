package config

import (
	"net"
	"net/netip"
	"net/url"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults of the http: section: timeouts that bound what a slow or idle client can hold,
// and caps on the event streams (docs/security.md).
const (
	DefaultReadHeaderTimeout  = 10 * time.Second
	DefaultReadTimeout        = 30 * time.Second
	DefaultWriteTimeout       = 60 * time.Second
	DefaultIdleTimeout        = 2 * time.Minute
	DefaultStreamWriteTimeout = 10 * time.Second
	DefaultStreamsPerSession  = 4
	DefaultStreamsPerUser     = 16

	maxHTTPTimeout = time.Hour
	maxStreams     = 1000
)

// HTTP is the router's own HTTP server (API, dashboard, metrics).
type HTTP struct {
	Listen string // host:port
	// PublicURL is the site's address as browsers use it (public_url), e.g. behind an HTTPS
	// proxy: scheme://host[:port], no path. https: cookies are Secure and /login redirects
	// there from plain http. "": not set (cookies are Secure only on a TLS connection).
	PublicURL string
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the whole request with
	// its body, WriteTimeout writing an answer (event streams instead bound each write by
	// StreamWriteTimeout), IdleTimeout a kept-alive connection waiting for its next request.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, StreamWriteTimeout time.Duration
	// StreamsPerSession and StreamsPerUser cap the open event streams (wallboard, screen pop)
	// of one session or API token, and of one account over all of them.
	StreamsPerSession, StreamsPerUser int
	// TrustedProxies are the proxies (trusted_proxies: addresses or CIDR ranges) whose
	// X-Forwarded-For names the client's address, for the login throttle and the logs.
	TrustedProxies []netip.Prefix
}

func defaultHTTP() HTTP {
	return HTTP{Listen: DefaultListen, ReadHeaderTimeout: DefaultReadHeaderTimeout, ReadTimeout: DefaultReadTimeout,
		WriteTimeout: DefaultWriteTimeout, IdleTimeout: DefaultIdleTimeout, StreamWriteTimeout: DefaultStreamWriteTimeout,
		StreamsPerSession: DefaultStreamsPerSession, StreamsPerUser: DefaultStreamsPerUser}
}

func (d *decoder) http(n *yaml.Node, h *HTTP) {
	m := d.mapping(n, "http", "listen", "public_url", "read_header_timeout", "read_timeout", "write_timeout",
		"idle_timeout", "stream_write_timeout", "streams_per_session", "streams_per_user", "trusted_proxies")
	if v, ok := d.str(m.get("listen"), "http.listen"); ok {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			d.errorf(m.get("listen"), "http.listen", "want host:port like %q, got %q", DefaultListen, v)
		}
		h.Listen = v
	}
	if v, ok := d.str(m.get("public_url"), "http.public_url"); ok {
		h.PublicURL = d.publicURL(m.get("public_url"), v)
	}
	if items, ok := d.seq(m.get("trusted_proxies"), "http.trusted_proxies"); ok {
		for i, it := range items {
			path := index("http.trusted_proxies", i)
			v, ok := d.str(it, path)
			if !ok {
				continue
			}
			p, err := netip.ParsePrefix(v)
			if err != nil {
				a, aerr := netip.ParseAddr(v)
				if aerr != nil || a.Zone() != "" {
					d.errorf(it, path, "%q is not an address or a CIDR range like 10.0.0.0/8", v)
					continue
				}
				p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
			}
			if p != p.Masked() {
				d.errorf(it, path, "%q has host bits set; the range is %s", v, p.Masked())
				continue
			}
			h.TrustedProxies = append(h.TrustedProxies, p)
		}
	}
	for _, t := range []struct {
		key string
		dst *time.Duration
	}{
		{"read_header_timeout", &h.ReadHeaderTimeout}, {"read_timeout", &h.ReadTimeout}, {"write_timeout", &h.WriteTimeout},
		{"idle_timeout", &h.IdleTimeout}, {"stream_write_timeout", &h.StreamWriteTimeout},
	} {
		path := "http." + t.key
		if v, ok := d.duration(m.get(t.key), path); ok {
			if v <= 0 || v > maxHTTPTimeout {
				d.errorf(m.get(t.key), path, "must be above 0 and at most %v, got %v", maxHTTPTimeout, v)
				continue
			}
			*t.dst = v
		}
	}
	if h.ReadHeaderTimeout > h.ReadTimeout {
		d.errorf(either(m, "read_header_timeout", "read_timeout"), "http", "read_header_timeout %v is longer than read_timeout %v, which includes it",
			h.ReadHeaderTimeout, h.ReadTimeout)
	}
	for _, c := range []struct {
		key string
		dst *int
	}{{"streams_per_session", &h.StreamsPerSession}, {"streams_per_user", &h.StreamsPerUser}} {
		path := "http." + c.key
		if v, ok := d.integer(m.get(c.key), path); ok {
			if v < 1 || v > maxStreams {
				d.errorf(m.get(c.key), path, "must be between 1 and %d, got %d", maxStreams, v)
				continue
			}
			*c.dst = int(v)
		}
	}
	if h.StreamsPerSession > h.StreamsPerUser {
		d.errorf(either(m, "streams_per_session", "streams_per_user"), "http", "streams_per_session %d is more than streams_per_user %d, which includes it",
			h.StreamsPerSession, h.StreamsPerUser)
	}
}

// either is the node of key a, or of b when a is not in the file: where to report a
// conflict between two keys that may each be left at its default.
func either(m *mapping, a, b string) *yaml.Node {
	if n := m.get(a); n != nil {
		return n
	}
	return m.get(b)
}

// publicURL checks public_url and returns it as scheme://host[:port].
func (d *decoder) publicURL(n *yaml.Node, v string) string {
	const path = "http.public_url"
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "":
		d.errorf(n, path, "want the site's address like \"https://switchboard.example.com\", got %q", v)
	case u.User != nil:
		d.errorf(n, path, "must not hold credentials")
	case u.Port() != "" && !validPort(u.Port()):
		d.errorf(n, path, "bad port %q", u.Port())
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		d.errorf(n, path, "want only scheme://host[:port] (the site is served at the root), got %q", v)
	default:
		return u.Scheme + "://" + u.Host
	}
	return ""
}
