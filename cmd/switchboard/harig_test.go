package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// The standby-router tests run routers as real processes (serve -ha) on one emulator and one
// database; this file holds their rig.

// haRig is an emulator, a database and the routers' binary and configuration.
type haRig struct {
	t     *testing.T
	dir   string
	bin   string
	emu   *ariemu.Server
	ari   string
	dbURL string
	store *store.Store // no term: the test's own reads and callback requests
	lease string       // serve's -lease
	// conf, when set, is the routers' configuration instead of yaml's, with env added to
	// their environment (the routers over several nodes).
	conf func(listen string) []byte
	env  []string
}

// haRouter is one serve -ha process.
type haRouter struct {
	name, addr, log string
	cmd             *exec.Cmd
	done            chan struct{}
	exitCode        int
}

func newHARig(t *testing.T, lease time.Duration) *haRig {
	t.Helper()
	if testing.Short() {
		t.Skip("routers as processes")
	}
	g := &haRig{t: t, dir: t.TempDir(), lease: lease.String()}
	g.bin = filepath.Join(g.dir, "switchboard")
	build := exec.Command("go", "build", "-o", g.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	emu, err := ariemu.New(ariemu.Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	addr, err := emu.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.emu, g.ari = emu, "http://"+addr+"/ari"
	for i := 1001; i <= 1010; i++ {
		emu.SetPhone(fmt.Sprintf("PJSIP/%d", i), ariemu.Phone{Behaviour: ariemu.PhoneAnswer, AnswerAfter: 50 * time.Millisecond})
	}
	g.dbURL = pgtest.URL(t)
	if g.store, err = store.Open(context.Background(), g.dbURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.store.Close)
	return g
}

// haYAML is the demo's configuration with short wrap-ups, on the rig's emulator and data folder.
func (g *haRig) yaml(listen string) []byte {
	y := strings.NewReplacer("wrap_up: 5s", "wrap_up: 100ms", "wrap_up: 10s", "wrap_up: 100ms").Replace(string(demoYAML))
	return []byte(y + fmt.Sprintf("\nari: {url: %q}\nhttp: {listen: %q}\ndatabase: {data_dir: %q}\nagents_login: all\n",
		g.ari, listen, filepath.Join(g.dir, "data")))
}

// start runs a router named name on database dbURL (the rig's, or a proxy's).
func (g *haRig) start(name, dbURL string) *haRouter {
	g.t.Helper()
	r := &haRouter{name: name, addr: freeAddr(g.t), log: filepath.Join(g.dir, name+".log"), done: make(chan struct{})}
	cfg := filepath.Join(g.dir, name+".yaml")
	y := g.yaml(r.addr)
	if g.conf != nil {
		y = g.conf(r.addr)
	}
	if err := os.WriteFile(cfg, y, 0o600); err != nil {
		g.t.Fatal(err)
	}
	logf, err := os.OpenFile(r.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		g.t.Fatal(err)
	}
	r.cmd = exec.Command(g.bin, "serve", "-ha", "-name", name, "-lease", g.lease, "-c", cfg)
	r.cmd.Env = append(os.Environ(), "ARI_USER=u", "ARI_PASSWORD=p", "DATABASE_URL="+dbURL, "SWITCHBOARD_METRICS_TOKEN=tok")
	r.cmd.Env = append(r.cmd.Env, g.env...)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	go func() {
		err := r.cmd.Wait()
		logf.Close()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.exitCode = ee.ExitCode()
		}
		close(r.done)
	}()
	g.t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		<-r.done
		if g.t.Failed() {
			g.t.Logf("log of %s:\n%s", name, tail(r.log, 40))
		}
	})
	return r
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var haClient = &http.Client{Timeout: time.Second}

// health is the router's /healthz: its status and body (0 when it does not answer).
func (r *haRouter) health() (int, string) {
	resp, err := haClient.Get("http://" + r.addr + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *haRouter) leads() bool { code, _ := r.health(); return code == http.StatusOK }

func (r *haRouter) standsBy() bool {
	code, body := r.health()
	return code == http.StatusServiceUnavailable && strings.HasPrefix(body, "standby")
}

func (r *haRouter) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// metric reads one metric of the router's /metrics ("" when absent).
func (r *haRouter) metric(name string) string {
	req, _ := http.NewRequest("GET", "http://"+r.addr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := haClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return v
		}
	}
	return ""
}

func (r *haRouter) signal(s syscall.Signal) {
	_ = r.cmd.Process.Signal(s)
}

// waitFor polls cond every 10 ms up to limit and says how long it took.
func waitFor(limit time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < limit {
		if cond() {
			return time.Since(start), true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start), cond()
}

// pgProxy forwards TCP connections to PostgreSQL until cut: then it drops them all and
// refuses new ones (the database unreachable from one router only).
type pgProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// Cut drops every connection and refuses new ones.
func (p *pgProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
