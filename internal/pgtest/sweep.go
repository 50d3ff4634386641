package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"switchboard/internal/pgcluster"
)

// sweep removes the cluster folders of earlier test binaries that died
// before Main could clean up (a test timeout, a kill, no Main at all).
// Their servers got SIGINT when the binary died (see pgcluster); a folder
// is only removed once neither the binary nor its server is alive.
func sweep() {
	var dirs []string
	for _, base := range []string{pgcluster.TempBase(), os.TempDir()} {
		ds, _ := filepath.Glob(filepath.Join(base, "switchboard-pgtest-*-*"))
		dirs = append(dirs, ds...)
	}
	for _, d := range dirs {
		f := strings.Split(filepath.Base(d), "-")
		if len(f) < 4 {
			continue
		}
		pid, err := strconv.Atoi(f[2])
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "pgdata", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if p, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && alive(p) {
				continue
			}
		}
		_ = os.RemoveAll(d)
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
