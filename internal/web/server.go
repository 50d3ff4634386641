package web

import (
	"net/http"
	"time"
)

// NewServer returns the HTTP server for opt: Handler(opt) with the server's limits.
func NewServer(opt Options) *http.Server {
	return &http.Server{Handler: Handler(opt), ReadHeaderTimeout: 10 * time.Second}
}
