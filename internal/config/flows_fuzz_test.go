package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/ivr"
)

// FuzzLoadFlow checks that no flow file panics the loader, that it reports the same problems
// every time, that every error is well formed, and that a flow it accepts is valid and runs:
// a session over it ends within its input budget whatever the caller does. Seeds:
// testdata/fuzz/FuzzLoadFlow and testdata/flows/*.y*ml.
func FuzzLoadFlow(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "flows", "*.y*ml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	hours := map[string]*Hours{"office": {Name: "office", Location: time.UTC,
		Weekly: [7][]Span{1: {{Start: 8 * time.Hour, End: 18 * time.Hour}}}}}
	f.Fuzz(func(t *testing.T, in []byte) {
		fl, err := LoadFlow(bytes.NewReader(in), "f.yaml", hours)
		_, err2 := LoadFlow(bytes.NewReader(in), "f.yaml", hours)
		if fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("two loads disagree:\n%v\n---\n%v", err, err2)
		}
		if err != nil {
			if fl != nil {
				t.Fatal("flow returned with an error")
			}
			for _, e := range err.(Errors) {
				if e.File != "f.yaml" || e.Line < 1 || e.Reason == "" || strings.Contains(e.Reason, "\n") {
					t.Fatalf("malformed error %+v", e)
				}
			}
			return
		}
		if errs := ivr.Validate(fl); len(errs) > 0 {
			t.Fatalf("accepted an invalid flow: %v", errs)
		}
		const budget = 30
		s, err := ivr.NewSession(fl, ivr.Options{Caller: "+4930111", MaxInputs: budget})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		s.Start(now)
		for i := 0; !s.Done(); i++ {
			if i > budget {
				t.Fatalf("session still at %s after %d inputs", s.Node(), i)
			}
			var in ivr.Input
			switch i % 3 {
			case 0:
				in = ivr.Digit{D: "1*#93"[i%5]}
			case 1:
				in = ivr.Timeout{Timer: i}
			default:
				in = ivr.PlaybackFinished{ID: i}
			}
			s.Handle(now, in)
		}
	})
}
