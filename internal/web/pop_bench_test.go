package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/screenpop"
)

// BenchmarkPopDelivery: offer → pop parsed by the agent's desktop, over real HTTP (SSE), with
// 1000 agents connected and calls arriving at 200/s, each offered, answered and ended (three
// pops). One iteration is one call; run with -benchtime=2000x (10 s). Reports the latency
// quantiles (ms) of the offered pops.
func BenchmarkPopDelivery(b *testing.B) {
	const agents, rate = 1000, 200
	users := &memUsers{sessions: map[string]*account.Session{}, users: map[string]*account.User{}}
	for i := range agents {
		id := strconv.Itoa(1000 + i)
		users.sessions["t"+id] = &account.Session{User: account.User{Username: id, Role: "agent", AgentID: id}, ExpiresAt: time.Now().Add(time.Hour)}
	}
	hub := screenpop.New(screenpop.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	ts := httptest.NewServer(Handler(Options{Users: users, Live: func() Live { return Live{} }, Pops: hubPops(hub)}))
	defer ts.Close()
	defer cancel() // the streams end before the server closes

	var offered sync.Map
	var mu sync.Mutex
	var lat []time.Duration
	ready := make(chan struct{}, agents)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: agents}}
	for i := range agents {
		id := strconv.Itoa(1000 + i)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/api/agent/pop/stream", nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "t" + id})
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				ready <- struct{}{}
				return
			}
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			first := true
			for sc.Scan() {
				data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
				if !ok {
					continue
				}
				if first {
					first = false
					ready <- struct{}{}
				}
				var p struct {
					Kind   string `json:"kind"`
					CallID string `json:"call_id"`
				}
				if json.Unmarshal(data, &p) == nil && p.Kind == screenpop.KindOffered {
					if at, ok := offered.LoadAndDelete(p.CallID); ok {
						mu.Lock()
						lat = append(lat, time.Since(at.(time.Time)))
						mu.Unlock()
					}
				}
			}
		}()
	}
	for range agents {
		<-ready
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
		call, agent := "c"+strconv.Itoa(i), strconv.Itoa(1000+i%agents)
		now := time.Now()
		hub.CallInfo(call, "+4930111222", "5551000")
		hub.Observe(acd.CallEnqueued{At: now, Call: call, Queue: "q", EnqueuedAt: now})
		offered.Store(call, time.Now())
		hub.Observe(acd.CallOffered{At: now, Call: call, Queue: "q", Agent: agent})
		hub.Observe(acd.CallAnswered{At: now, Call: call, Queue: "q", Agent: agent})
		hub.Observe(acd.CallEnded{At: now, Call: call, Queue: "q", Agent: agent})
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(lat)
		mu.Unlock()
		if n == b.N || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	if len(lat) != b.N {
		b.Fatalf("%d of %d offered pops delivered", len(lat), b.N)
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
}
