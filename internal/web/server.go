package web

import (
	"net/http"
	"time"
)

// Limits bound what one client may hold (the configuration's http: section; docs/security.md).
// A zero field takes DefaultLimits'.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the whole request with
	// its body, WriteTimeout writing an answer, IdleTimeout a kept-alive connection between
	// requests. Event streams are exempt from ReadTimeout and WriteTimeout: each of their
	// writes has StreamWriteTimeout instead, so that a client that stops reading is dropped.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, StreamWriteTimeout time.Duration
	// StreamsPerSession and StreamsPerUser cap the open event streams of one session (or API
	// token) and of one account.
	StreamsPerSession, StreamsPerUser int
}

// DefaultLimits are the limits a zero field takes: the configuration's defaults
// (docs/security.md; cmd/switchboard checks that they agree).
func DefaultLimits() Limits {
	return Limits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 2 * time.Minute, StreamWriteTimeout: 10 * time.Second, StreamsPerSession: 4, StreamsPerUser: 16}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	def := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	def(&l.ReadTimeout, d.ReadTimeout)
	def(&l.WriteTimeout, d.WriteTimeout)
	def(&l.IdleTimeout, d.IdleTimeout)
	def(&l.StreamWriteTimeout, d.StreamWriteTimeout)
	if l.StreamsPerSession <= 0 {
		l.StreamsPerSession = d.StreamsPerSession
	}
	if l.StreamsPerUser <= 0 {
		l.StreamsPerUser = d.StreamsPerUser
	}
	return l
}

// NewServer returns the HTTP server for opt: Handler(opt) with opt.Limits' timeouts.
func NewServer(opt Options) *http.Server {
	l := opt.Limits.withDefaults()
	return &http.Server{Handler: Handler(opt), ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout}
}
