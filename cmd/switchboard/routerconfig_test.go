package main

import (
	"testing"
	"time"

	"switchboard/internal/config"
)

// The router's "today" statistics start at the center's midnight, not UTC's.
func TestRouterOptionsCarryTimeZone(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	if got := routerOptions(&config.Config{TimeZone: msk}).Location; got != msk {
		t.Fatalf("router location %v, want the center's %v", got, msk)
	}
}
