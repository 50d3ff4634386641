package ariemu

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestLoad brings 2,000 concurrent callers into Stasis, answers them, plays
// a prompt to each, bridges them in pairs and hangs them all up, over HTTP
// and one websocket, within a time bound; a second websocket that does not
// read meanwhile still gets every event afterwards.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const n = 2000
	e := newEnv(t, Options{Speed: 100})
	ws := e.connect("switchboard")
	stalled := e.dialRaw(t, "switchboard")
	start := time.Now()

	ids := make([]string, n)
	for i := range ids {
		id, err := e.srv.PlaceCaller(Caller{Number: fmt.Sprint(i), DID: "5551000"})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	for i := 0; i < n; i++ {
		ws.next("StasisStart")
	}
	if got := len(e.srv.ChannelIDs()); got != n {
		t.Fatalf("%d channels up, want %d", got, n)
	}
	parallel(t, n/2, func(i int) error {
		a, b := ids[2*i], ids[2*i+1]
		for _, id := range []string{a, b} {
			if code, body := e.do("POST", "/channels/"+id+"/answer", nil); code != 204 {
				return fmt.Errorf("answer %s = %d %s", id, code, body)
			}
			if code, body := e.do("POST", "/channels/"+id+"/play?media=sound:beep", nil); code != 201 {
				return fmt.Errorf("play %s = %d %s", id, code, body)
			}
		}
		code, body := e.do("POST", "/bridges?type=mixing", nil)
		if code != 200 {
			return fmt.Errorf("bridge = %d %s", code, body)
		}
		bid := strings.Split(strings.Split(string(body), `"id":"`)[1], `"`)[0]
		if code, body := e.do("POST", "/bridges/"+bid+"/addChannel?channel="+a+","+b, nil); code != 204 {
			return fmt.Errorf("addChannel = %d %s", code, body)
		}
		for _, id := range []string{a, b} {
			if code, body := e.do("DELETE", "/channels/"+id, nil); code != 204 {
				return fmt.Errorf("hangup %s = %d %s", id, code, body)
			}
		}
		if code, body := e.do("DELETE", "/bridges/"+bid, nil); code != 204 {
			return fmt.Errorf("delete bridge = %d %s", code, body)
		}
		return nil
	})
	for i := 0; i < n; i++ {
		ws.next("StasisEnd")
	}
	elapsed := time.Since(start)
	if len(e.srv.ChannelIDs()) != 0 {
		t.Fatalf("%d channels left", len(e.srv.ChannelIDs()))
	}
	// The stalled connection lost nothing.
	ws.mu.Lock()
	want := len(ws.all)
	ws.mu.Unlock()
	got := 0
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for got < want {
		if _, _, err := stalled.Read(ctx); err != nil {
			t.Fatalf("stalled websocket: read %d of %d events: %v", got, want, err)
		}
		got++
	}
	t.Logf("%d channels: placed, answered, played, bridged and hung up in %v; %d events per connection", n, elapsed, want)
	if elapsed > 60*time.Second {
		t.Fatalf("took %v", elapsed)
	}
}

// dialRaw opens an events websocket the test reads only when it wants.
func (e *testEnv) dialRaw(t *testing.T, app string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(e.ts.URL, "http") + "/ari/events?app=" + app + "&api_key=" + testUser + ":" + testPass
	conn, _, err := websocket.Dial(context.Background(), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 22)
	t.Cleanup(func() { _ = conn.CloseNow() })
	for deadline := time.Now().Add(2 * time.Second); e.appConns(app) < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return conn
}

func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// BenchmarkOriginateHangup measures one originate + answer + StasisStart +
// hangup round over HTTP and the websocket.
func BenchmarkOriginateHangup(b *testing.B) {
	e := newEnv(b, Options{Speed: 1000, DefaultPhone: &Phone{Behaviour: PhoneAnswer}})
	ws := e.connect("switchboard")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ch := e.must(200, "POST", "/channels?endpoint=PJSIP/a&app=switchboard", nil)
		ws.next("StasisStart")
		e.must(204, "DELETE", "/channels/"+ch["id"].(string), nil)
		ws.next("ChannelDestroyed")
	}
}
