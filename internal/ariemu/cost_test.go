package ariemu

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

func costServer(t *testing.T, c Cost) (*Server, string) {
	t.Helper()
	srv, err := New(Options{RecordingsDir: t.TempDir(), Cost: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return srv, addr
}

// An idle kept-alive connection holds its session until the keep-alive timeout closes it.
func TestCostKeepAliveFreesSessions(t *testing.T) {
	srv, addr := costServer(t, Cost{SessionLimit: 2, KeepAlive: time.Second})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 10}}
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// One request, then the kept-alive connection stays idle.
		req, _ := http.NewRequest("GET", "http://"+addr+"/ari/asterisk/ping", nil)
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request on session %d: %v %v", i, resp, err)
		}
		resp.Body.Close()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if open, _, _, _ := srv.Sessions(); open == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("two idle connections never held their sessions")
		}
	}
	if _, err := client.Get("http://" + addr + "/ari/asterisk/ping"); err == nil {
		t.Fatal("a third session was served past the limit of 2")
	}
	// The server closes the idle ones after the keep-alive timeout: room again.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, err := client.Get("http://" + addr + "/ari/asterisk/ping")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle sessions never freed: %v", err)
		}
	}
}

// Requests wait for a worker and take their service time: ten requests at 5 ms on one
// worker cannot end sooner than 50 ms.
func TestCostRequestsQueue(t *testing.T) {
	srv, addr := costServer(t, Cost{Request: 5 * time.Millisecond, Workers: 1, Connect: -1})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 20}}
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get("http://" + addr + "/ari/asterisk/ping")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("10 requests of 5 ms on one worker took %v", took)
	}
	if _, _, _, n := srv.Sessions(); n != 10 {
		t.Errorf("requests served: %d, want 10", n)
	}
}

// Negative figures turn the model off: no limit on sessions.
func TestCostOff(t *testing.T) {
	_, addr := costServer(t, Cost{SessionLimit: -1, Request: -1, Connect: -1, WebSocketRequest: -1})
	var conns []net.Conn
	for i := 0; i < 150; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	resp, err := http.Get("http://" + addr + "/ari/asterisk/ping")
	if err != nil {
		t.Fatalf("with no session limit: %v", err)
	}
	resp.Body.Close()
	_ = conns
}

// A client that closes its connection while its request waits for a worker does not free
// the session: as Asterisk, the emulator serves the request and only then lets the session
// go. Two requests of 200 ms on one worker: the second's session lasts until about 400 ms,
// though its client left at once.
func TestCostClientLeavingHoldsSession(t *testing.T) {
	srv, addr := costServer(t, Cost{Request: 200 * time.Millisecond, Workers: 1, Connect: -1})
	start := time.Now()
	var conns []net.Conn
	for i := range 2 { // the second waits for the worker the first holds
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req, _ := http.NewRequest("GET", "http://"+addr+"/ari/asterisk/ping", nil)
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, _, _, n := srv.Sessions(); n == int64(i+1) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("request %d never reached the emulator", i+1)
			}
		}
	}
	_ = conns[1].Close() // the waiting one leaves
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if open, _, _, _ := srv.Sessions(); open < 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the closed connection never freed its session")
		}
	}
	if held := time.Since(start); held < 400*time.Millisecond {
		t.Errorf("session freed after %v, before both requests were served (400 ms)", held)
	}
}
