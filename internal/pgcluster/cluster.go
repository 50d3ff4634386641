// Package pgcluster starts and stops a private PostgreSQL server from the
// locally installed server binaries, in a folder of its own, so that the
// daemon's demo and the tests need no database set-up.
//
// A cluster folder holds:
//
//	pgdata/     the data directory (initdb'd on first start, reused after)
//	run/        the server's unix socket directory (mode 0700)
//	password    the superuser's password for TCP connections (mode 0600)
//	postgres.log the server's log
//
// The server listens on 127.0.0.1 only, on a free port chosen at each start.
// Unix socket connections are trusted; TCP connections need the password,
// which URL carries and which the cluster's log attributes never show.
//
// PostgreSQL refuses to run as root. When this process is root, initdb and
// postgres run as an unprivileged account (see Options.User) that owns the
// folder. On Linux the server gets SIGINT (fast shutdown) when the process
// that started it dies, so a killed test binary leaves no server behind.
package pgcluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Superuser is the name of the cluster's superuser role.
const Superuser = "postgres"

// Options configure Start.
type Options struct {
	// Dir is the cluster folder. It is created when missing; an existing
	// initialized folder is reused.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// BinDir holds initdb and postgres; empty means FindBinDir.
	BinDir string
	// NoSync trades durability for speed (initdb --no-sync, fsync=off,
	// synchronous_commit=off, full_page_writes=off): for tests only.
	NoSync bool
	// Settings are extra server settings, passed as -c name=value.
	Settings map[string]string
	// User is the account the server runs as when this process is root.
	// Empty means: the owner of an existing data directory, else the
	// "switchboard" user if it exists, else "nobody".
	User string
	// Logger receives the cluster's own messages (not the server log).
	Logger *slog.Logger
}

// Cluster is a running private PostgreSQL server.
type Cluster struct {
	dir, dataDir, sockDir string
	tmpSockDir            bool // sockDir was created outside dir (path too long)
	port                  int
	password              string
	log                   *slog.Logger

	cmd     *exec.Cmd
	done    chan struct{} // closed when the server process has exited
	waitErr error         // set before done is closed

	stopOnce sync.Once
}

// Start initializes the cluster folder when needed, starts the server and
// waits until it accepts connections or ctx ends.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	t0 := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: no folder given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	c := &Cluster{dir: dir, dataDir: filepath.Join(dir, "pgdata"), log: log}

	existing := ""
	if b, err := os.ReadFile(filepath.Join(c.dataDir, "PG_VERSION")); err == nil {
		existing = strings.TrimSpace(string(b))
	}
	bin := opts.BinDir
	if bin == "" {
		if bin, err = FindBinDir(existing); err != nil {
			return nil, err
		}
	}
	major, err := serverMajor(bin)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if existing != "" && existing != major {
		return nil, fmt.Errorf("pgcluster: data in %s is for PostgreSQL %s but the server binaries in %s are %s: install postgresql-%s or remove the folder", c.dataDir, existing, bin, major, existing)
	}

	acc, err := runAs(opts.User, c.dataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.prepareDir(acc); err != nil {
		return nil, err
	}
	if existing == "" {
		if err := c.initdb(ctx, bin, acc, opts.NoSync); err != nil {
			return nil, err
		}
	}
	pw, err := os.ReadFile(filepath.Join(dir, "password"))
	resetPassword := errors.Is(err, os.ErrNotExist)
	if err != nil && !resetPassword {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	c.password = strings.TrimSpace(string(pw))
	if resetPassword {
		if c.password, err = writePassword(dir); err != nil {
			return nil, err
		}
	}
	if err := clearStale(ctx, log, c.dataDir, c.sockDir); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}

	for attempt := 1; ; attempt++ {
		c.port = opts.Port
		if c.port == 0 {
			if c.port, err = freePort(); err != nil {
				return nil, fmt.Errorf("pgcluster: %w", err)
			}
		}
		err = c.start(ctx, bin, acc, opts)
		if err == nil {
			break
		}
		if opts.Port != 0 || attempt == 3 || !errors.Is(err, errPortInUse) {
			c.cleanupSockDir()
			return nil, err
		}
		log.Debug("port taken, retrying", "port", c.port)
	}
	if resetPassword {
		if err := c.setPassword(ctx, bin, acc); err != nil {
			_ = c.Stop(context.Background())
			return nil, err
		}
	}
	log.Info("postgres ready", "cluster", c, "version", major, "duration", time.Since(t0).Round(time.Millisecond))
	return c, nil
}

// prepareDir creates the cluster folder and its socket directory, owned by
// the account that runs the server.
func (c *Cluster) prepareDir(acc *account) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := acc.checkReachable(c.dir); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := acc.chown(c.dir); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.sockDir = filepath.Join(c.dir, "run")
	// A unix socket path is at most 107 bytes: "<dir>/.s.PGSQL.65535" must fit.
	if len(c.sockDir) > 90 {
		d, err := os.MkdirTemp("", "pgsock")
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		c.sockDir, c.tmpSockDir = d, true
	} else if err := os.MkdirAll(c.sockDir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := acc.chown(c.sockDir); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// initdb creates the data directory in a scratch folder and renames it into
// place only once complete, so an interrupted initdb is simply redone.
func (c *Cluster) initdb(ctx context.Context, bin string, acc *account, noSync bool) error {
	t0 := time.Now()
	tmp := c.dataDir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	pw, err := writePassword(c.dir)
	if err != nil {
		return err
	}
	// initdb reads the password from a file the server account can read.
	pwFile := filepath.Join(c.dir, "initdb.pw")
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer os.Remove(pwFile)
	if err := acc.chown(pwFile); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	args := []string{"-D", tmp, "-U", Superuser, "-E", "UTF8", "--locale=C",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile=" + pwFile}
	if noSync {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	cmd.Dir = c.dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acc.credential()}
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("pgcluster: initdb: %w\n%s", err, tail(out, 20))
	}
	if err := os.Rename(tmp, c.dataDir); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.log.Info("initialized postgres data directory", "dir", c.dataDir, "duration", time.Since(t0).Round(time.Millisecond))
	return nil
}

var errPortInUse = errors.New("port in use")

// start runs the server and waits for it to be ready.
func (c *Cluster) start(ctx context.Context, bin string, acc *account, opts Options) error {
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(c.port),
		"unix_socket_directories": c.sockDir,
		"unix_socket_permissions": "0700",
	}
	if opts.NoSync {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	maps.Copy(settings, opts.Settings)
	args := []string{"-D", c.dataDir}
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		args = append(args, "-c", k+"="+settings[k])
	}

	logPath := filepath.Join(c.dir, "postgres.log")
	if st, err := os.Stat(logPath); err == nil && st.Size() > 16<<20 {
		_ = os.Rename(logPath, logPath+".1")
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	logStart, _ := logf.Seek(0, 2)

	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = c.dataDir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr(acc.credential())
	done := make(chan struct{})
	c.cmd, c.done, c.waitErr = cmd, done, nil

	// The parent-death signal is tied to the starting thread: start and
	// wait from a goroutine that keeps its thread until the server exits.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			logf.Close()
			started <- err
			return
		}
		started <- nil
		c.waitErr = cmd.Wait()
		logf.Close()
		close(done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if pf, err := readPidFile(c.dataDir); err == nil && pf.pid == cmd.Process.Pid && pf.status == "ready" {
			return nil
		}
		select {
		case <-done:
			out := readFrom(logPath, logStart)
			if bytes.Contains(out, []byte("could not bind")) || bytes.Contains(out, []byte("already in use")) {
				return fmt.Errorf("pgcluster: postgres on port %d: %w", c.port, errPortInUse)
			}
			return fmt.Errorf("pgcluster: postgres exited during start (%v); log %s:\n%s", c.waitErr, logPath, tail(out, 20))
		case <-ctx.Done():
			_ = c.Stop(context.Background())
			return fmt.Errorf("pgcluster: waiting for postgres: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// setPassword gives the superuser a new password over the trusted unix
// socket, for a reused folder whose password file was lost.
func (c *Cluster) setPassword(ctx context.Context, bin string, acc *account) error {
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", c.sockDir, "-p", strconv.Itoa(c.port), "-U", Superuser, "-d", "postgres",
		"-c", "ALTER ROLE "+Superuser+" PASSWORD '"+c.password+"'")
	cmd.Dir = c.dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acc.credential()}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: reset superuser password: %w\n%s", err, tail(out, 5))
	}
	c.log.Warn("password file was missing: superuser password reset", "dir", c.dir)
	return nil
}

// Stop shuts the server down with a fast shutdown (what pg_ctl stop -m fast
// does: SIGINT to the postmaster, which ends sessions and checkpoints). When
// ctx ends first, the server's process group is killed. Stop may be called
// more than once.
func (c *Cluster) Stop(ctx context.Context) error {
	first := false
	c.stopOnce.Do(func() {
		first = true
		if c.cmd != nil && c.cmd.Process != nil {
			_ = c.cmd.Process.Signal(syscall.SIGINT)
		}
	})
	if c.done == nil {
		return nil
	}
	defer c.cleanupSockDir()
	select {
	case <-c.done:
		if first {
			c.log.Info("postgres stopped", "dir", c.dir)
		}
		return nil
	case <-ctx.Done():
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("pgcluster: fast shutdown did not finish, killed: %w", ctx.Err())
	}
}

func (c *Cluster) cleanupSockDir() {
	if c.tmpSockDir {
		_ = os.RemoveAll(c.sockDir)
	}
}

// Done is closed when the server process has exited, stopped or not.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// URL returns a connection URL for the database named db (the "postgres"
// database when empty), over TCP as the superuser, with the password.
// Do not log it; log the Cluster itself instead.
func (c *Cluster) URL(db string) string {
	if db == "" {
		db = "postgres"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(Superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir returns the cluster folder.
func (c *Cluster) Dir() string { return c.dir }

// DataDir returns the PostgreSQL data directory.
func (c *Cluster) DataDir() string { return c.dataDir }

// SocketDir returns the server's unix socket directory.
func (c *Cluster) SocketDir() string { return c.sockDir }

// PID returns the postmaster's process id.
func (c *Cluster) PID() int { return c.cmd.Process.Pid }

// LogValue describes the cluster for logs, without the password.
func (c *Cluster) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))),
		slog.String("dir", c.dir),
		slog.Int("pid", c.PID()),
	)
}

// writePassword stores a new random superuser password in dir/password.
func writePassword(dir string) (string, error) {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	pw := hex.EncodeToString(b)
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	return pw, nil
}

// serverEnv is this process's environment without the libpq variables that
// would redirect the server tools, and with the C locale for messages.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func readFrom(path string, off int64) []byte {
	b, err := os.ReadFile(path)
	if err != nil || off > int64(len(b)) {
		return nil
	}
	return b[off:]
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
