package screenpop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
	"switchboard/recording"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, pgtest.WithTemplate(func(ctx context.Context, db *pgxpool.Pool) error {
		return store.Migrate(ctx, db, nil)
	}))
}

// The recordings enricher finds the caller's recorded calls, newest first, and nobody else's.
func TestRecordingsEnricher(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.Pool(t))
	for i, number := range []string{"+4930111222", "+4930111222", "+4930999999", "+4930111222"} {
		name := "call-ast1-" + string(rune('a'+i))
		err := st.IndexRecording(ctx, recording.Recording{Name: name, CallID: "ast1-" + name, Queue: "q", Number: number,
			Started: t0.Add(time.Duration(i) * time.Hour), Duration: 62 * time.Second, Format: "wav", SHA256: "ab", Path: "/x/" + name})
		if err != nil {
			t.Fatal(err)
		}
	}
	e, err := Recordings{Index: st, Limit: 2}.Enrich(ctx, Query{Caller: "+4930111222"})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Recordings) != 2 || e.Recordings[0].Name != "call-ast1-d" || e.Recordings[1].Name != "call-ast1-b" ||
		e.Recordings[0].Duration != 62*time.Second || !e.Recordings[0].Started.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("recordings %+v", e.Recordings)
	}
	if e, err := (Recordings{Index: st}).Enrich(ctx, Query{}); err != nil || len(e.Recordings) != 0 {
		t.Fatalf("withheld number: %+v %v", e, err)
	}
}

// A pop lists only the recordings its agent may hear (their own calls): the names of other
// agents' recordings of the same caller would tell call ids and dates outside their scope.
func TestPopRecordingsInTheAgentsScope(t *testing.T) {
	ctx := context.Background()
	st := store.New(pgtest.Pool(t))
	for i, agent := range []string{"1001", "1002", "1001", "1003"} {
		name := "call-ast1-" + string(rune('a'+i))
		err := st.IndexRecording(ctx, recording.Recording{Name: name, CallID: "ast1-" + name, Queue: "q", Agent: agent,
			Number: "+4930111222", Started: t0.Add(time.Duration(i) * time.Hour), Duration: time.Minute, Format: "wav", SHA256: "ab", Path: "/x/" + name})
		if err != nil {
			t.Fatal(err)
		}
	}
	h := startHub(t, Options{Enrichers: []Enricher{Recordings{Index: st}}})
	for _, tt := range []struct {
		agent string
		want  []string
	}{{"1001", []string{"call-ast1-c", "call-ast1-a"}}, {"1002", []string{"call-ast1-b"}}, {"1004", nil}} {
		s := h.Subscribe(tt.agent)
		next(t, s) // idle
		call := "ast1-new-" + tt.agent
		arrive(h, call, tt.agent)
		if p := next(t, s); p.Kind != KindOffered || len(p.Recordings) != 0 {
			t.Fatalf("first pop %+v, want the offer before the enrichment", p)
		}
		var got []string // the caller has recordings: the offer is sent again, enriched
		for _, r := range next(t, s).Recordings {
			got = append(got, r.Name)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("agent %s's pop lists recordings %v, want %v", tt.agent, got, tt.want)
		}
		s.Close()
	}
}
