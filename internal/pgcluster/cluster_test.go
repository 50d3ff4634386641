package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// clusterDir returns a fresh folder directly under the system temp folder:
// it is under TempBase, for speed; t.TempDir nests a 0700 folder that the unprivileged account used when the
// tests run as root could not traverse.
func clusterDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(TempBase(), "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func start(t *testing.T, dir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t0 := time.Now()
	c, err := Start(ctx, Options{Dir: dir, NoSync: true, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster started in %v", time.Since(t0))
	t.Cleanup(func() { c.Stop(context.Background()) })
	return c
}

func stop(t *testing.T, c *Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

func query(t *testing.T, url, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestStartStopRestartReusesFolder(t *testing.T) {
	dir := clusterDir(t)
	c := start(t, dir)
	execSQL(t, c.URL(""), "CREATE TABLE kept AS SELECT 'still here' AS v")
	if got := query(t, c.URL(""), "SHOW server_encoding"); got != "UTF8" {
		t.Errorf("server_encoding = %q, want UTF8", got)
	}
	stop(t, c)
	if err := c.Stop(context.Background()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.DataDir(), "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid left after stop: %v", err)
	}

	c2 := start(t, dir)
	if got := query(t, c2.URL(""), "SELECT v FROM kept"); got != "still here" {
		t.Errorf("after restart got %q, want %q", got, "still here")
	}
	stop(t, c2)
}

func TestStartRemovesStalePidFile(t *testing.T) {
	dir := clusterDir(t)
	c := start(t, dir)
	stop(t, c)

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pid  int
	}{
		{"dead process", dead.Process.Pid},
		{"pid reused by another process", os.Getpid()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := fmt.Sprintf("%d\n%s\n1700000000\n5432\n%s\n127.0.0.1\n  1234  5678\nready\n", tc.pid, c.DataDir(), c.SocketDir())
			if err := os.WriteFile(filepath.Join(c.DataDir(), "postmaster.pid"), []byte(pidFile), 0o600); err != nil {
				t.Fatal(err)
			}
			c := start(t, dir)
			query(t, c.URL(""), "SELECT 'ok'")
			stop(t, c)
		})
	}
}

func TestStartRefusesRunningServer(t *testing.T) {
	defer func(d time.Duration) { runningWait = d }(runningWait)
	runningWait = 200 * time.Millisecond
	dir := clusterDir(t)
	start(t, dir)
	_, err := Start(context.Background(), Options{Dir: dir, NoSync: true})
	if !errors.Is(err, ErrRunning) {
		t.Fatalf("second Start on a running folder: err = %v, want ErrRunning", err)
	}
}

func TestLogValueHidesPassword(t *testing.T) {
	c := start(t, clusterDir(t))
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "cluster", c)
	if strings.Contains(b.String(), c.password) || !strings.Contains(b.String(), strconv.Itoa(c.Port())) {
		t.Errorf("log line %q: want the port and no password", b.String())
	}
	if !strings.Contains(c.URL("x"), c.password) {
		t.Errorf("URL lacks the password")
	}
}

func TestLostPasswordFileIsReset(t *testing.T) {
	dir := clusterDir(t)
	stop(t, start(t, dir))
	if err := os.Remove(filepath.Join(dir, "password")); err != nil {
		t.Fatal(err)
	}
	c := start(t, dir)
	query(t, c.URL(""), "SELECT 'ok'")
}

func TestFindBinDirMissing(t *testing.T) {
	defer func(r string) { debianRoot = r }(debianRoot)
	debianRoot = t.TempDir()
	t.Setenv("PATH", t.TempDir())
	_, err := FindBinDir("")
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "Debian package postgresql") {
		t.Fatalf("err = %v, want ErrNotInstalled naming the Debian package", err)
	}
	_, err = Start(context.Background(), Options{Dir: t.TempDir()})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start: err = %v, want ErrNotInstalled", err)
	}
}

// TestServerDiesWithParent kills -9 a process that started a cluster and
// checks that the server goes away too.
func TestServerDiesWithParent(t *testing.T) {
	if os.Getenv("PGCLUSTER_HELPER_DIR") != "" {
		helperProcess()
		return
	}
	dir := clusterDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDiesWithParent$")
	cmd.Env = append(os.Environ(), "PGCLUSTER_HELPER_DIR="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
	if err != nil {
		t.Fatalf("helper said %q", line)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscallKill(pid)
			t.Fatalf("postgres pid %d still running 10s after its parent was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func helperProcess() {
	c, err := Start(context.Background(), Options{Dir: os.Getenv("PGCLUSTER_HELPER_DIR"), NoSync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("pid %d\n", c.PID())
	time.Sleep(time.Minute)
	os.Exit(1)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func syscallKill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
