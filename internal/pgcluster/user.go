package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the unprivileged OS user the server runs as when this process
// is root (initdb and postgres both refuse to run as root).
type account struct {
	name     string
	uid, gid uint32
}

// runAs decides which account runs initdb and postgres. It returns nil when
// the current process is not root: the server then runs as the current user.
//
// As root, an existing data directory owned by a non-root user keeps its
// owner; otherwise the account named by want is used, or by default the
// "switchboard" user when it exists and "nobody" otherwise. No account is
// created: a packaged install is expected to create "switchboard".
func runAs(want, dataDir string) (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if want == "" {
		if st, err := os.Stat(dataDir); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 {
				name := strconv.FormatUint(uint64(sys.Uid), 10)
				if u, err := user.LookupId(name); err == nil {
					name = u.Username
				}
				return &account{name: name, uid: sys.Uid, gid: sys.Gid}, nil
			}
		}
	}
	names := []string{want}
	if want == "" {
		names = []string{"switchboard", "nobody"}
	}
	var lastErr error
	for _, n := range names {
		u, err := user.Lookup(n)
		if err != nil {
			lastErr = err
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("user %s: %w", n, err)
		}
		if uid == 0 {
			return nil, fmt.Errorf("user %s is root: postgres refuses to run as root", n)
		}
		return &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root and no unprivileged user to run postgres as: %w", lastErr)
}

// chown gives path to the account (no-op when acc is nil).
func (acc *account) chown(path string) error {
	if acc == nil {
		return nil
	}
	if err := os.Lchown(path, int(acc.uid), int(acc.gid)); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, acc.name, err)
	}
	return nil
}

// checkReachable reports a clear error when the account cannot traverse
// one of dir's parent directories, which would make postgres fail with a
// less helpful "permission denied".
func (acc *account) checkReachable(dir string) error {
	if acc == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			var need os.FileMode = 0o001
			switch {
			case sys.Uid == acc.uid:
				need = 0o100
			case sys.Gid == acc.gid:
				need = 0o010
			}
			if st.Mode().Perm()&need == 0 {
				return fmt.Errorf("folder %s (mode %v) is not searchable by user %s, who runs postgres because this process is root: choose a cluster folder under a searchable path", p, st.Mode().Perm(), acc.name)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// credential returns the SysProcAttr credential for the account.
func (acc *account) credential() *syscall.Credential {
	if acc == nil {
		return nil
	}
	return &syscall.Credential{Uid: acc.uid, Gid: acc.gid, Groups: []uint32{}}
}
