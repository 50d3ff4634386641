package ariemu

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// app is a Stasis application: the websocket connections that registered it
// and its subscriptions. Guarded by Server.mu.
type app struct {
	name         string
	conns        map[*wsConn]bool // value: subscribeAll
	subscribeAll int
	filter       eventFilter // eventfilter.go
}

func (a *app) connected() bool { return len(a.conns) > 0 }

// wsConn is one events websocket with its unbounded outgoing queue.
type wsConn struct {
	apps map[string]bool // guarded by Server.mu

	mu     sync.Mutex
	queue  [][]byte
	wake   chan struct{}
	done   chan struct{}
	closed bool
}

func (c *wsConn) enqueue(msg []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, msg)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *wsConn) shutdown() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
}

// enqueueFinal queues a last message and ends the connection after it.
func (c *wsConn) enqueueFinal(msg []byte) {
	c.mu.Lock()
	if !c.closed {
		c.queue = append(c.queue, msg)
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
}

// writeLoop sends queued messages until the connection or ctx ends.
func (c *wsConn) writeLoop(ctx context.Context, ws *websocket.Conn) error {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, msg := range batch {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := ws.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				return err
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-c.wake:
		case <-c.done:
			// Send what was queued before the end (e.g. ApplicationReplaced).
			c.mu.Lock()
			batch = c.queue
			c.queue = nil
			c.mu.Unlock()
			for _, msg := range batch {
				wctx, cancel := context.WithTimeout(ctx, time.Second)
				err := ws.Write(wctx, websocket.MessageText, msg)
				cancel()
				if err != nil {
					return nil
				}
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// handleEvents is GET /ari/events?app=a[,b][&subscribeAll=true].
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.partitioned.Load() {
		http.Error(w, "partitioned by the test", http.StatusServiceUnavailable)
		return
	}
	q := r.URL.Query()
	var names []string
	for _, v := range q["app"] {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		writeError(w, http.StatusBadRequest, "Missing parameter app")
		return
	}
	subAll := false
	if v := q.Get("subscribeAll"); v != "" {
		subAll = v == "true" || v == "yes" || v == "1"
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"ari"}, InsecureSkipVerify: true})
	if err != nil {
		s.log.Warn("websocket accept", "err", err)
		return
	}
	c := &wsConn{apps: map[string]bool{}, wake: make(chan struct{}, 1), done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close(websocket.StatusGoingAway, "shutting down")
		return
	}
	s.conns[c] = struct{}{}
	s.wsCount++
	for _, n := range names {
		a := s.apps[n]
		if a == nil {
			a = &app{name: n, conns: map[*wsConn]bool{}}
			s.apps[n] = a
		}
		if s.opts.ReplaceConnections {
			s.replaceConns(a)
		}
		a.conns[c] = subAll
		c.apps[n] = true
		if subAll {
			a.subscribeAll++
		}
	}
	s.mu.Unlock()
	s.log.Info("application connected", "apps", names, "subscribeAll", subAll)

	// Read what the application sends: REST requests (wsrest.go), one after the other.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		defer cancel()
		for {
			typ, msg, err := ws.Read(ctx)
			if err != nil {
				s.noteClose(err)
				return
			}
			if typ == websocket.MessageText {
				s.wsRequest(ctx, c, names[0], msg)
			}
		}
	}()
	err = c.writeLoop(ctx, ws)

	s.mu.Lock()
	delete(s.conns, c)
	for n := range c.apps {
		s.dropConn(s.apps[n], c)
	}
	s.mu.Unlock()
	c.shutdown()
	if err != nil && ctx.Err() == nil {
		s.log.Info("application websocket write failed", "apps", names, "err", err)
		_ = ws.Close(websocket.StatusInternalError, "write failed")
		return
	}
	_ = ws.Close(websocket.StatusNormalClosure, "")
	s.log.Info("application disconnected", "apps", names)
}

// noteClose counts how an application's websocket ended, as Asterisk logs it: a close frame,
// or closed abruptly ("Web socket closed abruptly", WebSocket read error).
func (s *Server) noteClose(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if websocket.CloseStatus(err) == -1 {
		s.abruptCloses++
	} else {
		s.cleanCloses++
	}
}

// WebsocketCloses says how many event websockets the applications closed with a close frame
// (clean) and how many they dropped without one (abrupt) so far.
func (s *Server) WebsocketCloses() (clean, abrupt int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cleanCloses, s.abruptCloses
}

// dropConn takes c out of application a. Call with s.mu held.
func (s *Server) dropConn(a *app, c *wsConn) {
	if a == nil {
		return
	}
	if sub, ok := a.conns[c]; ok {
		if sub {
			a.subscribeAll--
		}
		delete(a.conns, c)
	}
	delete(c.apps, a.name)
}

// replaceConns does what Asterisk does when an application registers again:
// the previous websocket gets ApplicationReplaced and no more events for it
// (and is closed once it serves no application). Call with s.mu held.
func (s *Server) replaceConns(a *app) {
	for old := range a.conns {
		s.dropConn(a, old)
		msg, _ := json.Marshal(map[string]string{"type": "ApplicationReplaced", "timestamp": stamp(time.Now()),
			"application": a.name, "asterisk_id": s.opts.AsteriskID})
		if len(old.apps) == 0 {
			old.enqueueFinal(msg)
		} else {
			old.enqueue(msg)
		}
		s.log.Info("application replaced", "app", a.name)
	}
}

// event is one ARI event before it is addressed to an application.
type event map[string]any

// emit sends ev to every connection of the applications in to, plus the
// applications subscribed to everything. Call with s.mu held: the order of
// emit calls is the order every connection sees.
func (s *Server) emit(typ string, ev event, to ...map[string]bool) {
	targets := map[string]bool{}
	for _, set := range to {
		for a, ok := range set {
			if ok {
				targets[a] = true
			}
		}
	}
	for name, a := range s.apps {
		if a.subscribeAll > 0 {
			targets[name] = true
		}
	}
	if len(targets) == 0 {
		return
	}
	ev["type"] = typ
	ev["timestamp"] = stamp(time.Now())
	ev["asterisk_id"] = s.opts.AsteriskID
	base, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("marshal event", "type", typ, "err", err)
		return
	}
	names := make([]string, 0, len(targets))
	for n := range targets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := s.apps[n]
		if a == nil || !a.connected() || !a.filter.passes(typ) {
			continue
		}
		q, _ := json.Marshal(n)
		msg := make([]byte, 0, len(base)+len(q)+16)
		msg = append(msg, base[:len(base)-1]...)
		msg = append(msg, `,"application":`...)
		msg = append(msg, q...)
		msg = append(msg, '}')
		for c := range a.conns {
			c.enqueue(msg)
		}
	}
}

// appConnected reports whether an application has a websocket. Call with s.mu held.
func (s *Server) appConnected(name string) bool {
	a := s.apps[name]
	return a != nil && a.connected()
}

// bridgeSubs returns the applications subscribed to a bridge as a set.
func bridgeSubs(b *bridge) map[string]bool {
	m := make(map[string]bool, len(b.subs))
	for a, n := range b.subs {
		if n > 0 {
			m[a] = true
		}
	}
	return m
}
