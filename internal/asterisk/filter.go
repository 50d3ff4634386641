package asterisk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The event filter: Asterisk builds every event of the application (channel and bridge
// snapshots, a bridge's whole channel list with each enter and leave) and writes the ones
// its filter lets through. With EventsOptions.Types set, every connection puts the same list
// in the application's filter (PUT /applications/{app}/eventFilter, Asterisk 13.26 and
// later), so the types the router skips never cross the socket. The application exists only
// once the websocket is registered, a moment after the upgrade: a 404 is tried again.

const (
	filterRetry    = 50 * time.Millisecond
	filterAttempts = 60
)

// setFilter puts e's types in the application's event filter; it gives up (logged) after
// filterAttempts or when ctx ends.
func (e *Events) setFilter(ctx context.Context) {
	allowed := make([]map[string]string, 0, len(e.opt.Types))
	for _, t := range e.opt.Types {
		allowed = append(allowed, map[string]string{"type": t})
	}
	body, _ := json.Marshal(map[string]any{"allowed": allowed, "disallowed": []any{}})
	target := strings.TrimSuffix(e.opt.URL, "/") + "/applications/" + url.PathEscape(e.opt.App) + "/eventFilter"
	var err error
	for range filterAttempts {
		var code int
		code, err = e.putFilter(ctx, target, body)
		switch {
		case err == nil && code == http.StatusOK:
			e.opt.Logger.Info("ari event filter set", "app", e.opt.App, "types", len(allowed))
			return
		case err == nil && code != http.StatusNotFound:
			e.opt.Logger.Warn("ari event filter refused; every event is sent", "app", e.opt.App, "status", code)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(filterRetry):
		}
	}
	e.opt.Logger.Warn("ari event filter not set; every event is sent", "app", e.opt.App, "err", err)
}

func (e *Events) putFilter(ctx context.Context, target string, body []byte) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPut, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if e.opt.Username != "" {
		req.SetBasicAuth(e.opt.Username, e.opt.Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("event filter: %w", err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
