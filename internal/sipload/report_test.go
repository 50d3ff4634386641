package sipload

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestQuantileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.95, 95 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := Quantile(d, tt.q); got != tt.want {
			t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := Quantile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("one sample: %v", got)
	}
	if got := Quantile(nil, 0.5); got != 0 {
		t.Errorf("no samples: %v", got)
	}
}

func TestSummaryByClass(t *testing.T) {
	s := NewStats()
	s.Attempt("a")
	s.Answer("a", 10*time.Millisecond)
	s.Attempt("b")
	s.Fail("b", 486)
	s.Attempt("b")
	s.Abandon("b")
	s.Fail("", 488) // a phone's refusal: no class
	sum := s.Snapshot(time.Second)
	if sum.Attempted != 3 || sum.Answered != 1 || sum.Failed != 2 || sum.Abandoned != 1 || sum.FailedBy["486"] != 1 || sum.FailedBy["488"] != 1 {
		t.Fatalf("totals %+v", sum)
	}
	if len(sum.Classes) != 2 || sum.Classes[0].Name != "a" || sum.Classes[0].Setup.P99 != 10 ||
		sum.Classes[1].Failed != 1 || sum.Classes[1].Abandoned != 1 || sum.Classes[1].Attempted != 2 {
		t.Fatalf("classes %+v", sum.Classes)
	}
	var text bytes.Buffer
	sum.WriteText(&text, true)
	if !strings.Contains(text.String(), "486:1 488:1") || !strings.Contains(text.String(), "class b") {
		t.Fatalf("text:\n%s", text.String())
	}
	b, err := json.Marshal(sum)
	if err != nil || !bytes.Contains(b, []byte(`"failed_by_code":{"486":1,"488":1}`)) {
		t.Fatalf("json %s %v", b, err)
	}
}
