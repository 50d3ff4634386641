package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/sipload"
)

// sbload's own callers against its own phones on loopback, with --json.
func TestRunLoopbackJSON(t *testing.T) {
	// One process with both sides: the callers dial the phones' port.
	addr := freeAddr(t)
	sc := filepath.Join(t.TempDir(), "loop.yaml")
	err := os.WriteFile(sc, fmt.Appendf(nil, `
duration: 1s
phones:
  listen: ["%s"]
  answer: 1
callers:
  target: %s
  rate: 10
  max_calls: 3
  to: "100-109"
  classes: [{talk: 500ms, dtmf: "1# at 100ms"}]
`, addr, addr), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code, err := run(ctx, []string{"--json", "--interval", "0", "--duration", "2s", "--rate", "20", sc}, &stdout, &stderr)
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	var sum struct {
		Attempted, Answered, Failed int64
		PhoneAnswered               int64           `json:"phone_answered"`
		DTMFSent                    int64           `json:"dtmf_sent"`
		DTMFRecv                    int64           `json:"dtmf_received"`
		RTPSent                     int64           `json:"rtp_sent"`
		Setup                       struct{ N int } `json:"setup_ms"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if sum.Attempted != 3 || sum.Answered != 3 || sum.PhoneAnswered != 3 || sum.Setup.N != 3 {
		t.Fatalf("summary %+v\n%s", sum, stdout.String())
	}
	// Each caller sends "1#"; the phones count what they receive.
	if sum.DTMFSent != 6 || sum.DTMFRecv != 6 || sum.RTPSent == 0 {
		t.Fatalf("media %+v", sum)
	}
}

func TestRunBadScenario(t *testing.T) {
	sc := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(sc, []byte("callers:\n  target: x\n  rate: 1\n  to: \"1\"\n  classes:\n    - dtmf: \"1 at soon\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := run(context.Background(), []string{sc}, &out, &out)
	if code != 2 || err == nil || !strings.Contains(err.Error(), "line 6") {
		t.Fatalf("exit %d, %v; want 2 with the line number", code, err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().String()
}

// The scenarios shipped beside sbload (and quoted in docs/sipload.md) parse.
func TestShippedScenariosParse(t *testing.T) {
	files, err := filepath.Glob("scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sipload.ParseScenario(r)
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestRunRateNeedsCallers(t *testing.T) {
	sc := filepath.Join(t.TempDir(), "phones.yaml")
	if err := os.WriteFile(sc, []byte("phones: {listen: [\"127.0.0.1:0\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := run(context.Background(), []string{"--rate", "5", sc}, &out, &out)
	if code != 2 || err == nil || !strings.Contains(err.Error(), "no callers") {
		t.Fatalf("exit %d, %v", code, err)
	}
}
