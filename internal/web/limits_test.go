package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/testkit"
)

// These tests run the server NewServer builds, as the daemon runs it, over TCP on 127.0.0.1
// with short limits, and wait on conditions with deadlines far beyond those limits.

// tcpSite serves opt with NewServer on 127.0.0.1; accepted connections get small socket
// buffers so that a client that stops reading blocks the server's writes quickly.
func tcpSite(t *testing.T, opt Options) *site {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(opt)
	go srv.Serve(smallBuffers{ln})
	t.Cleanup(func() { srv.Close() })
	// The helpers read the address from an httptest.Server; this one only carries it.
	return &site{t: t, ts: &httptest.Server{URL: "http://" + ln.Addr().String()}}
}

type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// shortLimits are the limits these tests run with.
var shortLimits = Limits{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond,
	WriteTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, StreamWriteTimeout: 200 * time.Millisecond,
	StreamsPerSession: 2, StreamsPerUser: 3}

// waitClosed reads c until the server closes it (EOF or reset) and returns what it read; it
// fails the test if c is still open at the deadline.
func waitClosed(t *testing.T, c net.Conn, deadline time.Duration, what string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(deadline))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: the connection is still open after %v (read %q)", what, deadline, b)
	}
	return string(b)
}

// trickle writes one byte of s at a time until the connection fails or done closes.
func trickle(c net.Conn, s string, done <-chan struct{}) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i = (i + 1) % len(s) {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

// TestSlowAndIdleClientsAreCut: a client that sends its headers or its body a byte at a time,
// or that keeps a connection open without a request, is disconnected by the server's limits.
func TestSlowAndIdleClientsAreCut(t *testing.T) {
	opt := everything(t)
	opt.Logger = slog.New(slog.DiscardHandler)
	opt.Limits = shortLimits
	s := tcpSite(t, opt)
	for _, tt := range []struct {
		name, start, slow string
	}{
		{"slow headers", "GET /login HTTP/1.1\r\nHost: x\r\n", "X-Slow: aaaaaaaaaaaaaaaa\r\n"},
		{"slow body", "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n", "username=x&"},
	} {
		c, err := net.Dial("tcp", hostOf(s))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		c.Write([]byte(tt.start))
		go trickle(c, tt.slow, done)
		waitClosed(t, c, 5*time.Second, tt.name)
		close(done)
		c.Close()
	}

	// An idle kept-alive connection after an answer.
	c, err := net.Dial("tcp", hostOf(s))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 || resp.Close {
		t.Fatalf("healthz over a kept-alive connection: %v %v", resp, err)
	}
	resp.Body.Close()
	waitClosed(t, c, 5*time.Second, "idle keep-alive")
}

// wallboardSite is a TCP site whose wallboard stream sends often, with many queues so that
// each event is large; sue supervises every queue, root is admin.
func wallboardSite(t *testing.T, l Limits) (*site, *memUsers) {
	t.Helper()
	users := testUsers("sue", "root")
	var queues []acd.QueueStats
	for i := range 200 {
		name := fmt.Sprintf("queue-%03d", i)
		queues = append(queues, acd.QueueStats{Queue: name})
		users.users["sue"].Queues = append(users.users["sue"].Queues, name)
	}
	live := Live{At: time.Now(), Queues: queues}
	return tcpSite(t, Options{Users: users, Live: func() Live { return live }, Limits: l,
		Logger: slog.New(slog.DiscardHandler), wallboardTick: 20 * time.Millisecond}), users
}

// TestStreamsOutliveRequestTimeouts: an event stream is not cut by the read and write
// timeouts meant for requests: it still sends long after both.
func TestStreamsOutliveRequestTimeouts(t *testing.T) {
	s, _ := wallboardSite(t, shortLimits)
	c := s.client()
	s.login(c, "sue", "sue-pass")
	resp := s.openStream(c, "/api/queues/stream")
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	opened := time.Now()
	late := opened.Add(4 * shortLimits.WriteTimeout)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: queues") && time.Now().After(late) {
			return
		}
	}
	t.Fatalf("the stream ended %v after it opened (%v): the request timeouts cut it", time.Since(opened), sc.Err())
}

// TestStreamCapsAndStalledReaders: one session opens at most StreamsPerSession streams and one
// account StreamsPerUser over its sessions (429 beyond); a stream whose client stops reading is
// dropped by its write deadline, which frees its place; a logout ends the session's streams.
func TestStreamCapsAndStalledReaders(t *testing.T) {
	s, _ := wallboardSite(t, shortLimits)
	sue1, sue2 := s.client(), s.client()
	s.login(sue1, "sue", "sue-pass")
	s.login(sue2, "sue", "sue-pass")
	open := func(c *http.Client) *http.Response {
		t.Helper()
		resp := s.openStream(c, "/api/queues/stream")
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
		}
		return resp
	}
	a, b := open(sue1), open(sue1)
	if a.StatusCode != 200 || b.StatusCode != 200 {
		t.Fatalf("two streams of one session: %d %d", a.StatusCode, b.StatusCode)
	}
	if r := open(sue1); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third stream of one session: %d, want 429", r.StatusCode)
	}
	if r := open(sue2); r.StatusCode != 200 {
		t.Fatalf("another session's first stream: %d", r.StatusCode)
	}
	if r := open(sue2); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a fourth stream of the account: %d, want 429", r.StatusCode)
	}

	// A logout ends the session's streams at once: both of sue1's end, and sue2 may open again.
	csrf := csrfField.FindStringSubmatch(func() string { _, p := s.get(sue1, "/wallboard"); return p }())
	if csrf == nil {
		t.Fatal("no logout form")
	}
	if resp, err := sue1.PostForm("http://"+hostOf(s)+"/logout", map[string][]string{"csrf": {csrf[1]}}); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", resp, err)
	}
	for _, r := range []*http.Response{a, b} {
		done := make(chan error, 1)
		go func() { _, err := io.Copy(io.Discard, r.Body); done <- err }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a stream of the signed-out session still runs")
		}
	}
	testkit.Eventually(t, "a place freed by the logout", func() bool {
		r := open(sue2)
		r.Body.Close()
		return r.StatusCode == 200
	})

	// root opens one stream and stops reading: its writes block, the write deadline drops it,
	// and its place (StreamsPerSession is 1 here) is free again.
	// The write deadline is longer here so that the check that the place is held cannot race
	// the drop on a loaded machine; the drop itself is waited for.
	one := shortLimits
	one.StreamsPerSession, one.StreamsPerUser = 1, 1
	one.StreamWriteTimeout = 3 * time.Second
	s2, _ := wallboardSite(t, one)
	root := s2.client()
	s2.login(root, "root", "root-pass")
	conn := rawStream(t, s2, root)
	defer conn.Close()
	if r := s2.openStream(root, "/api/queues/stream"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a second stream while the stalled one holds the place: %d, want 429", r.StatusCode)
	}
	testkit.Eventually(t, "the stalled stream dropped", func() bool {
		r := s2.openStream(root, "/api/queues/stream")
		r.Body.Close()
		return r.StatusCode == 200
	})
}

// rawStream opens the wallboard stream on a connection that never reads, with a small
// receive buffer, carrying c's session cookie.
func rawStream(t *testing.T, s *site, c *http.Client) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return serr
	}}
	conn, err := d.DialContext(context.Background(), "tcp", hostOf(s))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+hostOf(s)+"/api/queues/stream", nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	// The status line says the server has counted the stream; nothing more is read.
	status := make([]byte, len("HTTP/1.1 200"))
	if _, err := io.ReadFull(conn, status); err != nil || string(status) != "HTTP/1.1 200" {
		t.Fatalf("raw stream: %q %v", status, err)
	}
	return conn
}

func hostOf(s *site) string { return strings.TrimPrefix(s.ts.URL, "http://") }
