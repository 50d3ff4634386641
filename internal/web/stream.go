package web

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Event streams (the wallboard's, the screen pop's) hold a connection for as long as the
// page is open, so each is bounded: a cap per session (or API token) and per account, a
// deadline on every write (a client that stops reading is dropped instead of holding the
// handler on a blocked write), a session check every streamRecheck, and a logout ends the
// session's streams at once.

// streams counts the open streams and can end a session's.
type streams struct {
	mu        sync.Mutex
	bySession map[string]map[*openStream]struct{}
	byUser    map[int64]int
}

type openStream struct{ cancel context.CancelFunc }

func newStreams() *streams {
	return &streams{bySession: map[string]map[*openStream]struct{}{}, byUser: map[int64]int{}}
}

// open registers a stream of session for user unless a cap is reached.
func (st *streams) open(session string, user int64, l Limits, cancel context.CancelFunc) (*openStream, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.bySession[session]) >= l.StreamsPerSession {
		return nil, errors.New("too many event streams open for this session")
	}
	if st.byUser[user] >= l.StreamsPerUser {
		return nil, errors.New("too many event streams open for this account")
	}
	o := &openStream{cancel: cancel}
	if st.bySession[session] == nil {
		st.bySession[session] = map[*openStream]struct{}{}
	}
	st.bySession[session][o] = struct{}{}
	st.byUser[user]++
	return o, nil
}

func (st *streams) close(session string, user int64, o *openStream) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.bySession[session], o)
	if len(st.bySession[session]) == 0 {
		delete(st.bySession, session)
	}
	if st.byUser[user]--; st.byUser[user] <= 0 {
		delete(st.byUser, user)
	}
}

// end stops every stream of session (a logout).
func (st *streams) end(session string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for o := range st.bySession[session] {
		o.cancel()
	}
}

// limitStreams admits a stream within the caps (429 beyond them) and ends it with its
// session's logout. It runs after requireRole.
func (s *server) limitStreams(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, key := sessionFrom(r.Context()), credentialFrom(r.Context())
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		o, err := s.streams.open(key, sess.User.ID, s.limits, cancel)
		if err != nil {
			s.opt.Logger.Warn("event stream refused", "user", sess.User.Username, "reason", err.Error())
			writeError(w, http.StatusTooManyRequests, CodeTooMany, "")
			return
		}
		defer s.streams.close(key, sess.User.ID, o)
		next(w, r.WithContext(ctx))
	}
}

// eventStream writes server-sent events, each write within the stream write timeout.
type eventStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// startEvents answers with an event stream. The server's read timeout would end it (the
// request is read; the connection's reader only watches for the client leaving), so it is
// lifted, and each write gets its own deadline instead of the server's write timeout.
func (s *server) startEvents(w http.ResponseWriter) *eventStream {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	return &eventStream{w: w, rc: rc, timeout: s.limits.StreamWriteTimeout}
}

// send writes msg and flushes it; an error ends the stream.
func (e *eventStream) send(msg []byte) error {
	if err := e.rc.SetWriteDeadline(time.Now().Add(e.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := e.w.Write(msg); err != nil {
		return err
	}
	return e.rc.Flush()
}

// event is one server-sent event named name with data.
func event(name string, data []byte) []byte {
	return append(append([]byte("event: "+name+"\ndata: "), data...), '\n', '\n')
}
