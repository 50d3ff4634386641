package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/pgtest"
	"switchboard/internal/testkit"
)

// serve as a process would run it: a configuration file, secrets in the environment, SIGHUP
// adding an agent while a call is connected, SIGTERM to stop.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	emu, err := ariemu.New(ariemu.Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	addr, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	emu.SetPhone("PJSIP/1008", ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	ln := freePort(t)
	conf := func(extra string) []byte {
		return []byte("node: ast1\nari: {url: \"http://" + addr + "/ari\"}\nhttp: {listen: \"" + ln + "\"}\nagents_login: all\n" +
			"queues:\n  - {name: billing}\nagents:\n  - {id: \"1008\", endpoint: PJSIP/1008, queues: [billing]}\n" + extra +
			"dids:\n  - {number: \"5552000\", queue: billing}\n")
	}
	file := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(file, conf(""), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ARI_USER", "u")
	t.Setenv("ARI_PASSWORD", "p")
	t.Setenv("DATABASE_URL", pgtest.URL(t))
	t.Setenv("SWITCHBOARD_METRICS_TOKEN", "tok")
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() { done <- serveCmd([]string{"-c", file}, io.Discard, &errb) }()

	agents := func() int {
		req, _ := http.NewRequest("GET", "http://"+ln+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		n := 0
		for _, m := range regexp.MustCompile(`(?m)^switchboard_agents\{state="[a-z-]+"\} (\d+)$`).FindAllSubmatch(b, -1) {
			v, _ := strconv.Atoi(string(m[1]))
			n += v
		}
		return n
	}
	testkit.Eventually(t, "serving with one agent", func() bool { return agents() == 1 })
	ch, err := emu.PlaceCaller(ariemu.Caller{DID: "5552000", TalkTime: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "call connected", func() bool { r, _ := emu.Call(ch); return !r.Bridged.IsZero() })

	if err := os.WriteFile(file, conf("  - {id: \"1009\", endpoint: PJSIP/1009, queues: [billing]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "two agents after SIGHUP", func() bool { return agents() == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	rec, err := emu.WaitCall(ctx, ch, ariemu.Ended)
	cancel()
	if err != nil || rec.Outcome != ariemu.OutcomeCompleted {
		t.Fatalf("the call across the reload: %+v %v", rec, err)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
