package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// gather returns the registry's samples as "name{label=value,…} value", sorted.
func gather(t *testing.T, reg *prometheus.Registry) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out = append(out, fmt.Sprintf("%s{%s} %v", mf.GetName(), strings.Join(ls, ","), m.GetGauge().GetValue()))
		}
	}
	slices.Sort(out)
	return out
}

func TestCallbackCollector(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t)
	s := store.New(pool)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(store.NewCallbackCollector(s, time.Second))
	eq(t, "empty", gather(t, reg), []string{"switchboard_callbacks_up{} 1"})

	mustRequest(t, s, cbReq("+49301110001", "line1", at(0)))
	mustRequest(t, s, cbReq("+49301110002", "line1", at(1)))
	mustRequest(t, s, cbReq("+49301110003", "line2", at(0)))
	if _, err := s.ClaimCallbacks(ctx, "r1", at(5), 1); err != nil {
		t.Fatal(err)
	}
	eq(t, "counts", gather(t, reg), []string{
		"switchboard_callbacks_up{} 1",
		"switchboard_callbacks{queue=line1,state=dialing} 1",
		"switchboard_callbacks{queue=line1,state=pending} 1",
		"switchboard_callbacks{queue=line1,state=scheduled} 0",
		"switchboard_callbacks{queue=line2,state=dialing} 0",
		"switchboard_callbacks{queue=line2,state=pending} 1",
		"switchboard_callbacks{queue=line2,state=scheduled} 0",
	})

	// A database that does not answer: up 0, no counts, and the scrape still works.
	closed, err := pgxpool.New(ctx, pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	reg2 := prometheus.NewPedanticRegistry()
	reg2.MustRegister(store.NewCallbackCollector(store.New(closed), 100*time.Millisecond))
	eq(t, "down", gather(t, reg2), []string{"switchboard_callbacks_up{} 0"})
}
