package web

import (
	"net/http"
	"time"

	"switchboard/internal/config"
)

// Limits bound what one client may hold (config's http: section; docs/security.md). A zero
// field takes config's default.
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

// LimitsOf takes the limits from the configuration's http: section.
func LimitsOf(h config.HTTP) Limits {
	return Limits{ReadHeaderTimeout: h.ReadHeaderTimeout, ReadTimeout: h.ReadTimeout, WriteTimeout: h.WriteTimeout,
		IdleTimeout: h.IdleTimeout, StreamWriteTimeout: h.StreamWriteTimeout,
		StreamsPerSession: h.StreamsPerSession, StreamsPerUser: h.StreamsPerUser}
}

func (l Limits) withDefaults() Limits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, config.DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, config.DefaultReadTimeout)
	def(&l.WriteTimeout, config.DefaultWriteTimeout)
	def(&l.IdleTimeout, config.DefaultIdleTimeout)
	def(&l.StreamWriteTimeout, config.DefaultStreamWriteTimeout)
	if l.StreamsPerSession <= 0 {
		l.StreamsPerSession = config.DefaultStreamsPerSession
	}
	if l.StreamsPerUser <= 0 {
		l.StreamsPerUser = config.DefaultStreamsPerUser
	}
	return l
}

// NewServer returns the HTTP server for opt: Handler(opt) with opt.Limits' timeouts.
func NewServer(opt Options) *http.Server {
	l := opt.Limits.withDefaults()
	return &http.Server{Handler: Handler(opt), ReadHeaderTimeout: l.ReadHeaderTimeout, ReadTimeout: l.ReadTimeout,
		WriteTimeout: l.WriteTimeout, IdleTimeout: l.IdleTimeout}
}
