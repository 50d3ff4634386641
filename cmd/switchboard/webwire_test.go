package main

import (
	"testing"

	"switchboard/internal/config"
	"switchboard/internal/web"
)

// The web server fills a zero limit with its own default; it must be the configuration's.
func TestWebLimitsDefaults(t *testing.T) {
	want := webLimits(config.HTTP{ReadHeaderTimeout: config.DefaultReadHeaderTimeout, ReadTimeout: config.DefaultReadTimeout,
		WriteTimeout: config.DefaultWriteTimeout, IdleTimeout: config.DefaultIdleTimeout,
		StreamWriteTimeout: config.DefaultStreamWriteTimeout, StreamsPerSession: config.DefaultStreamsPerSession,
		StreamsPerUser: config.DefaultStreamsPerUser})
	if got := web.DefaultLimits(); got != want {
		t.Errorf("web.DefaultLimits() = %+v, want the configuration's %+v", got, want)
	}
}
