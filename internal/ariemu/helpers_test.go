package ariemu

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	testUser = "switchboard"
	testPass = "secret"
)

// seen collects every event message any test client received, for the
// conformance check of event fields.
var seen struct {
	sync.Mutex
	msgs [][]byte
}

type testEnv struct {
	t   testing.TB
	srv *Server
	ts  *httptest.Server
}

func newEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	opts.Username, opts.Password = testUser, testPass
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.RecordingsDir == "" {
		opts.RecordingsDir = t.TempDir()
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	return &testEnv{t: t, srv: srv, ts: ts}
}

// do sends an ARI request (path without /ari) and returns status and body.
func (e *testEnv) do(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.ts.URL+"/ari"+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// must sends a request and fails the test unless it answers want.
func (e *testEnv) must(want int, method, path string, body any) map[string]any {
	e.t.Helper()
	code, b := e.do(method, path, body)
	if code != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, code, b, want)
	}
	var m map[string]any
	if len(b) > 0 && b[0] == '{' {
		_ = json.Unmarshal(b, &m)
	}
	return m
}

// wsClient is an application's events websocket.
type wsClient struct {
	t      testing.TB
	conn   *websocket.Conn
	events chan map[string]any
	mu     sync.Mutex
	all    []map[string]any
}

func (e *testEnv) connect(app string, query ...string) *wsClient {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/ari/events?app=" + app
	if len(query) > 0 {
		u += "&" + strings.Join(query, "&")
	}
	before := e.registered()
	h := http.Header{}
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth(testUser, testPass)
	h.Set("Authorization", req.Header.Get("Authorization"))
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		e.t.Fatalf("dial events: %v", err)
	}
	conn.SetReadLimit(1 << 22)
	c := &wsClient{t: e.t, conn: conn, events: make(chan map[string]any, 1<<16)}
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				close(c.events)
				return
			}
			seen.Lock()
			seen.msgs = append(seen.msgs, b)
			seen.Unlock()
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				e.t.Errorf("event is not json: %s", b)
				continue
			}
			c.mu.Lock()
			c.all = append(c.all, m)
			c.mu.Unlock()
			c.events <- m
		}
	}()
	e.t.Cleanup(func() { _ = conn.Close(websocket.StatusNormalClosure, "") })
	// The server registers the application after the handshake: wait for it.
	for deadline := time.Now().Add(2 * time.Second); e.registered() <= before && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return c
}

// registered counts the websockets the server has registered so far.
func (e *testEnv) registered() int {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	return e.srv.wsCount
}

// appConns counts the websockets registered for app (a replaced one leaves).
func (e *testEnv) appConns(app string) int {
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	if a := e.srv.apps[app]; a != nil {
		return len(a.conns)
	}
	return 0
}

// next returns the next event of type typ, skipping others; fails after timeout.
func (c *wsClient) next(typ string) map[string]any {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				c.t.Fatalf("websocket closed waiting for %s", typ)
			}
			if ev["type"] == typ {
				return ev
			}
		case <-timeout:
			c.t.Fatalf("no %s event within 10s", typ)
		}
	}
}

// expect reads events and checks their types are exactly want, in order,
// ignoring ChannelVarset.
func (c *wsClient) expect(want ...string) []map[string]any {
	c.t.Helper()
	var got []map[string]any
	timeout := time.After(10 * time.Second)
	for len(got) < len(want) {
		select {
		case ev, ok := <-c.events:
			if !ok {
				c.t.Fatalf("websocket closed; got %v want %v", types(got), want)
			}
			if ev["type"] == "ChannelVarset" {
				continue
			}
			got = append(got, ev)
			if ev["type"] != want[len(got)-1] {
				c.t.Fatalf("event %d = %s, want %s\n got %v\nwant %v", len(got)-1, ev["type"], want[len(got)-1], types(got), want)
			}
		case <-timeout:
			c.t.Fatalf("timeout: got %v want %v", types(got), want)
		}
	}
	return got
}

func types(evs []map[string]any) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i], _ = e["type"].(string)
	}
	return out
}

func field(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func str(m map[string]any, path ...string) string {
	s, _ := field(m, path...).(string)
	return s
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
