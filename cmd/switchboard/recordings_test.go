package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/router"
	"switchboard/internal/testkit"
)

// Recordings end to end: a call in billing (policy always) is recorded by the emulator,
// fetched into the recording store, indexed in PostgreSQL with its call, queue, agent and
// number; the agent finds it and plays part of it (206, the right bytes, an audit row); another
// agent may not; a damaged file is refused with 409 and a missing one with 410.
func TestDaemonRecordsIndexesAndPlaysBack(t *testing.T) {
	emu, d, cfg := demoDaemon(t)
	ctx := context.Background()

	ch, err := emu.PlaceCaller(ariemu.Caller{Number: "79995550001", DID: "5552000", TalkTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	name := "call-demo-" + ch
	testkit.Eventually(t, "recording indexed", func() bool { _, err := d.store.Recording(ctx, name); return err == nil })
	row, _ := d.store.Recording(ctx, name)
	if row.CallID != "demo-"+ch || row.Queue != "billing" || row.Number != "79995550001" || row.Format != "wav" ||
		row.Duration < 900*time.Millisecond || row.Size < 44 || len(row.SHA256) != 64 {
		t.Fatalf("index row %+v", row)
	}
	file, err := os.ReadFile(row.Path)
	if err != nil || int64(len(file)) != row.Size {
		t.Fatalf("stored file: %d bytes, %v", len(file), err)
	}
	other := "1001"
	if row.Agent == other {
		other = "1002"
	}
	addAccounts(t, d, testAccount{name: "own", role: "agent", agent: row.Agent}, testAccount{name: "other", role: "agent", agent: other},
		testAccount{name: "root", role: "admin"})
	own, otherC, root := login(t, d.addr, "own"), login(t, d.addr, "other"), login(t, d.addr, "root")

	var found struct {
		Recordings []struct{ Name, URL string }
	}
	code, body := fetch(t, own, "http://"+d.addr+"/api/recordings?queue=billing&number=79995550001&min_duration=0.5", "")
	if json.Unmarshal(body, &found); code != 200 || len(found.Recordings) != 1 || found.Recordings[0].Name != name {
		t.Fatalf("search: %d %s", code, body)
	}
	if code, body := fetch(t, otherC, "http://"+d.addr+"/api/recordings", ""); code != 200 || bytes.Contains(body, []byte(name)) {
		t.Fatalf("another agent's search: %d %s", code, body)
	}
	code, body = fetch(t, own, "http://"+d.addr+found.Recordings[0].URL, "bytes=0-43")
	if code != http.StatusPartialContent || !bytes.Equal(body, file[:44]) || string(body[:4]) != "RIFF" {
		t.Fatalf("range playback: %d %q", code, body)
	}
	if code, _ := fetch(t, otherC, "http://"+d.addr+"/recordings/"+name, ""); code != http.StatusForbidden {
		t.Fatalf("another agent's playback: %d", code)
	}
	trail, err := d.store.AuditTrail(ctx, "recording:"+name)
	if err != nil || len(trail) != 1 || trail[0].Actor != "own" || trail[0].Action != "play" {
		t.Fatalf("audit: %+v %v", trail, err)
	}

	damaged := bytes.Clone(file)
	damaged[len(damaged)-1] ^= 0xff
	if err := os.WriteFile(row.Path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := fetch(t, root, "http://"+d.addr+"/recordings/"+name, ""); code != http.StatusConflict || bytes.Contains(body, []byte("RIFF")) {
		t.Fatalf("damaged file: %d", code)
	}
	os.Remove(row.Path)
	if code, _ := fetch(t, root, "http://"+d.addr+"/recordings/"+name, ""); code != http.StatusGone {
		t.Fatalf("missing file: %d", code)
	}
	if trail, _ := d.store.AuditTrail(ctx, "recording:"+name); len(trail) != 1 {
		t.Fatalf("refused requests were audited as served: %+v", trail)
	}
	// A recording collected after its call was gone takes what it lacks from the call record.
	testkit.Eventually(t, "call record written", func() bool {
		c, err := d.store.Call(ctx, "demo-"+ch)
		return err == nil && !c.AnsweredAt.IsZero()
	})
	left := router.Recorded{Name: name, CallID: "demo-" + ch}
	fillFromCall(ctx, d.store, &left)
	if left.Queue != "billing" || left.Agent != row.Agent || left.Number != "79995550001" || left.Started.IsZero() {
		t.Fatalf("filled from the call record: %+v", left)
	}
	// Asterisk's copy went once the index held the recording.
	if code := ariGet(t, cfg, "/recordings/stored/"+name, nil); code != http.StatusNotFound {
		t.Fatalf("stored recording on asterisk: %d", code)
	}
}

func fetch(t *testing.T, c *http.Client, u, rangeHdr string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if rangeHdr != "" {
		req.Header.Set("Range", rangeHdr)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
