package screenpop

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/recording"
)

// memIndex is the recordings index in memory, as the store searches it by caller number:
// newest first, at most limit (cmd/switchboard tests the enricher on the store itself).
type memIndex []recording.Recording

func (m memIndex) SearchRecordings(_ context.Context, q recording.Query, limit int, _ string) ([]recording.Recording, string, error) {
	var out []recording.Recording
	for _, r := range m {
		if r.Number == q.Number {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b recording.Recording) int { return b.Started.Compare(a.Started) })
	return out[:min(limit, len(out))], "", nil
}

// A pop lists only the recordings its agent may hear (their own calls): the names of other
// agents' recordings of the same caller would tell call ids and dates outside their scope.
func TestPopRecordingsInTheAgentsScope(t *testing.T) {
	var idx memIndex
	for i, agent := range []string{"1001", "1002", "1001", "1003"} {
		name := "call-ast1-" + string(rune('a'+i))
		idx = append(idx, recording.Recording{Name: name, CallID: "ast1-" + name, Queue: "q", Agent: agent,
			Number: "+4930111222", Started: t0.Add(time.Duration(i) * time.Hour), Duration: time.Minute, Format: "wav", SHA256: "ab", Path: "/x/" + name})
	}
	h := startHub(t, Options{Enrichers: []Enricher{Recordings{Index: idx}}})
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
