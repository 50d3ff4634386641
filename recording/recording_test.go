package recording

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A recording's JSON carries the duration in seconds and the player's URL, never the file's
// path, and reads back as it was written.
func TestRecordingJSON(t *testing.T) {
	r := Recording{Name: "call-ast1-c1", CallID: "ast1-c1", Queue: "billing", Agent: "1001", Number: "+4930111222",
		Started: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Duration: 62500 * time.Millisecond, Size: 1000,
		Format: "wav", SHA256: "ab", Path: "/var/spool/recordings/call-ast1-c1.wav"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"call-ast1-c1","call_id":"ast1-c1","queue":"billing","agent":"1001","number":"+4930111222",` +
		`"started":"2026-03-02T09:00:00Z","duration_seconds":62.5,"size":1000,"format":"wav","sha256":"ab",` +
		`"url":"/recordings/call-ast1-c1"}`
	if string(b) != want {
		t.Fatalf("JSON\n%s\nwant\n%s", b, want)
	}
	if strings.Contains(string(b), "spool") {
		t.Fatalf("the path leaks: %s", b)
	}
	var back Recording
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	r.Path = ""
	if back != r {
		t.Fatalf("read back %+v, want %+v", back, r)
	}
}
