package sipload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// needSipp returns the sipp binary. `make test` installs it (Debian
// sip-tester); under CI=true its absence fails the test, elsewhere it skips.
func needSipp(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sipp not installed: run `make test` (internal/tools/deps.sh installs Debian sip-tester)")
		}
		t.Skip("sipp not installed (Debian package sip-tester; `make test` installs it)")
	}
	return path
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sipp runs sipp in the background; wait returns its exit status and output.
type sippProc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
	port int
}

func startSipp(t *testing.T, ctx context.Context, args ...string) *sippProc {
	t.Helper()
	bin := needSipp(t)
	p := &sippProc{port: freeUDPPort(t), done: make(chan error, 1)}
	dir := t.TempDir()
	base := []string{"-i", "127.0.0.1", "-p", strconv.Itoa(p.port), "-mi", "127.0.0.1",
		"-mp", strconv.Itoa(freeUDPPort(t)), "-cp", strconv.Itoa(freeUDPPort(t)), "-nostdin",
		"-timeout", "15s", "-timeout_error", "-trace_err", "-error_file", filepath.Join(dir, "errors.log")}
	for i, a := range args {
		if filepath.Ext(a) == ".xml" {
			abs, err := filepath.Abs(a)
			if err != nil {
				t.Fatal(err)
			}
			args[i] = abs
		}
	}
	p.cmd = exec.CommandContext(ctx, bin, append(base, args...)...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	// sipp is ready when its SIP port is taken.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p.port))
		if err != nil {
			return p
		}
		c.Close()
	}
	t.Fatalf("sipp did not bind 127.0.0.1:%d within 5 s", p.port)
	return nil
}

func (p *sippProc) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		if err != nil {
			errs, _ := os.ReadFile(filepath.Join(p.cmd.Dir, "errors.log"))
			t.Fatalf("sipp: %v\n%s\n%s", err, tail(p.out.String(), 3000), errs)
		}
	case <-time.After(18 * time.Second):
		t.Fatalf("sipp did not finish\n%s", tail(p.out.String(), 3000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func runPacer(t *testing.T) *Pacer {
	pacer := NewPacer(2)
	done := make(chan struct{})
	go pacer.Run(done)
	t.Cleanup(func() { close(done) })
	return pacer
}

// sbload's callers against a sipp UAS that echoes RTP: every call is
// answered, media flows both ways without loss, and every RFC 4733 digit
// comes back.
func TestCallersAgainstSippUAS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const calls = 5
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_uas.xml", "-rtp_echo", "-m", strconv.Itoa(calls))

	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 5s
callers:
  target: 127.0.0.1:%d
  rate: 20
  max_calls: %d
  to: "7000-7009"
  classes:
    - dtmf: "1 at 0.2s, then 2# at 0.5s"
      talk: 1500ms
`, sipp.port, calls)))
	if err != nil {
		t.Fatal(err)
	}
	stats := NewStats()
	sum, err := Run(ctx, sc, stats, testLogger(t), nil, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	sipp.wait(t)
	if sum.Attempted != calls || sum.Answered != calls || sum.Failed != 0 || sum.Completed != calls {
		t.Fatalf("calls: %+v", sum)
	}
	if sum.Setup.N != calls || sum.Setup.P99 <= 0 || sum.Setup.P99 > 1000 {
		t.Fatalf("setup times: %+v", sum.Setup)
	}
	// 1.5 s of talk at 50 packets/s is ~75 packets a call.
	if sum.RTPSent < calls*60 || sum.RTPRecv < sum.RTPSent*9/10 || sum.RTPLost != 0 {
		t.Fatalf("rtp sent %d received %d lost %d", sum.RTPSent, sum.RTPRecv, sum.RTPLost)
	}
	if sum.DTMFSent != 3*calls || sum.DTMFRecv != 3*calls {
		t.Fatalf("dtmf sent %d, echoed back %d, want %d", sum.DTMFSent, sum.DTMFRecv, 3*calls)
	}
}

// A sipp UAS that is always busy: every attempt fails with 486, counted by code.
func TestCallersCountFailuresByCode(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_uas_busy.xml", "-m", "3")
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil,
		"duration: 3s\ncallers: {target: \"127.0.0.1:%d\", rate: 20, max_calls: 3, to: \"100\", classes: [{patience: 3s}]}\n", sipp.port)))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	sipp.wait(t)
	if sum.Attempted != 3 || sum.Answered != 0 || sum.FailedBy["486"] != 3 {
		t.Fatalf("got %+v, want 3 attempts failed with 486", sum)
	}
}

// sipp calls sbload's agent phones and plays its own RFC 4733 reference
// packets (the digit 1); hostile datagrams sent to the phone first are
// counted and dropped and do not disturb the calls.
func TestPhonesAgainstSippUAC(t *testing.T) {
	needSipp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stats := NewStats()
	cfg := &Phones{Listen: []string{"127.0.0.1:0"}, Answer: 1}
	phone, err := NewPhone(cfg, stats, runPacer(t), Tone(440), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	phoneCtx, stopPhone := context.WithCancel(ctx)
	if err := phone.Listen(phoneCtx); err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	phoneDone := make(chan struct{})
	go func() { _ = phone.Run(phoneCtx); close(phoneDone) }()
	addr := phone.Addrs()[0]

	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	hostile := [][]byte{
		[]byte("\x00\x01garbage\xff\xfe not sip at all"),
		append([]byte("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\nX-Huge: "), append(bytes.Repeat([]byte("A"), 60000), "\r\n\r\n"...)...),
		[]byte("INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 5000\r\n\r\nv=0\r\n"),
		[]byte("SIP/2.0 200 OK\r\nVia: broken\r\n\r\n"),
	}
	for _, h := range hostile {
		if _, err := conn.Write(h); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()

	const calls = 3
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_uac.xml", "-m", strconv.Itoa(calls), "-r", "10", addr)
	sipp.wait(t)
	stopPhone()
	<-phoneDone
	sum := stats.Snapshot(0)
	if sum.Offered != calls || sum.PhoneAns != calls {
		t.Fatalf("phones: offered %d answered %d, want %d", sum.Offered, sum.PhoneAns, calls)
	}
	if sum.DTMFRecv != calls {
		t.Fatalf("dtmf received %d, want one digit per call (%d)", sum.DTMFRecv, calls)
	}
	if sum.RTPRecv < 10*calls || sum.RTPSent == 0 {
		t.Fatalf("rtp received %d sent %d", sum.RTPRecv, sum.RTPSent)
	}
	if sum.Malformed < 3 {
		t.Fatalf("malformed %d, want the hostile datagrams counted", sum.Malformed)
	}
}

// A sipp UAS that challenges with 401: the callers answer the digest
// challenge and the call goes through on PCMA, the codec sipp chose.
func TestCallersAnswerDigestChallenge(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_uas_auth.xml", "-m", "2")
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 3s
callers:
  target: 127.0.0.1:%d
  rate: 20
  max_calls: 2
  to: "100"
  auth: {user: sbload, password: secret}
  classes: [{talk: 300ms, patience: 3s}]
`, sipp.port)))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	sipp.wait(t)
	if sum.Answered != 2 || sum.Failed != 0 || sum.AuthChallenges != 2 || sum.RTPSent == 0 {
		t.Fatalf("got %+v, want 2 calls answered after 2 challenges", sum)
	}
}

// A sipp UAS that re-INVITEs and then hangs up itself: the callers answer
// the re-INVITE and count the far end's BYE.
func TestCallersHandleReInviteAndFarEndBye(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_uas_reinvite.xml", "-m", "2")
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil, `
duration: 3s
callers:
  target: 127.0.0.1:%d
  rate: 20
  max_calls: 2
  to: "100"
  classes: [{talk: 10s}]
`, sipp.port)))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	sipp.wait(t)
	if sum.Answered != 2 || sum.ReInvites != 2 || sum.RemoteBye != 2 || sum.Completed != 2 {
		t.Fatalf("got %+v, want 2 calls re-INVITEd and hung up by the far end", sum)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("calls lasted %v: the far end's BYE did not end them", d)
	}
}

// Phones register to a sipp registrar with digest auth and unregister at the end.
func TestPhonesRegisterWithDigest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_registrar.xml", "-m", "2")
	stats := NewStats()
	cfg := &Phones{Listen: []string{"127.0.0.1:0"}, Answer: 1, Register: &Register{
		Registrar: fmt.Sprintf("127.0.0.1:%d", sipp.port), User: "sbload", Password: "secret", Expires: Duration(time.Minute)}}
	var logs bytes.Buffer
	phone, err := NewPhone(cfg, stats, runPacer(t), Tone(440), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	phoneCtx, stop := context.WithCancel(ctx)
	if err := phone.Listen(phoneCtx); err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	done := make(chan struct{})
	go func() { _ = phone.Run(phoneCtx); close(done) }()
	time.Sleep(500 * time.Millisecond)
	stop() // unregisters
	<-done
	sipp.wait(t)
	if got := stats.Auth.Load(); got != 2 {
		t.Fatalf("%d challenges answered, want 2 (register, unregister)\n%s", got, logs.String())
	}
	if bytes.Contains(logs.Bytes(), []byte("register")) {
		t.Fatalf("registration failed:\n%s", logs.String())
	}
}

// A sipp UAS that answers 302: the callers follow the Contact and the call
// is answered there.
func TestCallersFollowRedirect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Each caller call is two sipp calls: the redirected INVITE and the new one.
	sipp := startSipp(t, ctx, "-sf", "testdata/sipp_uas_redirect.xml", "-m", "4")
	sc, err := ParseScenario(bytes.NewReader(fmt.Appendf(nil,
		"duration: 3s\ncallers: {target: \"127.0.0.1:%d\", rate: 20, max_calls: 2, to: \"7000\", classes: [{talk: 300ms, patience: 3s}]}\n", sipp.port)))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, sc, NewStats(), testLogger(t), nil, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	sipp.wait(t)
	if sum.Attempted != 2 || sum.Answered != 2 || sum.Redirects != 2 || sum.Failed != 0 {
		t.Fatalf("got %+v, want 2 calls answered after one redirect each", sum)
	}
}
