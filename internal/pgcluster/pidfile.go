package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRunning is returned by Start when another server already runs in the
// cluster folder.
var ErrRunning = errors.New("a postgres server is already running in this folder")

// runningWait is how long Start waits for a server found running in its
// folder to exit before giving up with ErrRunning.
var runningWait = 10 * time.Second

// pidFile is what postmaster.pid says: line 1 the pid, line 8 the status
// ("starting", "ready", "stopping") since PostgreSQL 10.
type pidFile struct {
	pid    int
	status string
}

func readPidFile(dataDir string) (pidFile, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return pidFile{}, err
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return pidFile{}, fmt.Errorf("postmaster.pid: bad pid line %q", lines[0])
	}
	pf := pidFile{pid: pid}
	if len(lines) > 7 {
		pf.status = strings.TrimSpace(lines[7])
	}
	return pf, nil
}

// alive reports whether a process with this pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isPostmasterFor reports whether pid looks like a postgres server whose
// data directory is dataDir. Where /proc does not tell, a live process is
// assumed to be one: removing a live server's pid file would be far worse
// than a clear error.
func isPostmasterFor(pid int, dataDir string) bool {
	if !alive(pid) {
		return false
	}
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	if comm, err := os.ReadFile(filepath.Join(proc, "comm")); err == nil {
		if !strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
			return false // the pid was reused by something else
		}
	}
	if cwd, err := os.Readlink(filepath.Join(proc, "cwd")); err == nil {
		return filepath.Clean(cwd) == filepath.Clean(dataDir)
	}
	return true
}

// clearStale makes sure no server runs in dataDir before a start. A server
// that is shutting down (for instance after its parent died) gets a few
// seconds to finish; a pid file left by a dead server, or naming a pid that
// now belongs to another process, is removed with the socket lock files it
// guarded.
func clearStale(ctx context.Context, log *slog.Logger, dataDir, sockDir string) error {
	pf, err := readPidFile(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil && isPostmasterFor(pf.pid, dataDir) {
		deadline := time.Now().Add(runningWait)
		for isPostmasterFor(pf.pid, dataDir) {
			if time.Now().After(deadline) {
				return fmt.Errorf("pid %d in %s: %w", pf.pid, dataDir, ErrRunning)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
		if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
			return nil // it stopped and cleaned up after itself
		}
	}
	log.Warn("removing stale postmaster.pid", "dir", dataDir, "pid", pf.pid)
	if err := os.Remove(filepath.Join(dataDir, "postmaster.pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale pid file: %w", err)
	}
	locks, _ := filepath.Glob(filepath.Join(sockDir, ".s.PGSQL.*"))
	for _, l := range locks {
		_ = os.Remove(l)
	}
	return nil
}
