package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrNotInstalled is returned when no PostgreSQL server binaries are found.
var ErrNotInstalled = errors.New("postgresql server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin: install the Debian package postgresql (apt-get install postgresql)")

// debianRoot is where Debian installs one bin directory per major version.
var debianRoot = "/usr/lib/postgresql"

// FindBinDir returns the directory holding the initdb and postgres binaries.
// It looks in PATH first, then in /usr/lib/postgresql/*/bin, newest major
// version first. When preferMajor is not empty (for instance "15", read
// from an existing data folder's PG_VERSION), a directory of that major
// version wins over the others wherever it is found.
func FindBinDir(preferMajor string) (string, error) {
	var cands []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		cands = append(cands, filepath.Dir(p))
	}
	cands = append(cands, debianBinDirs()...)

	var usable []string
	for _, d := range cands {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			usable = append(usable, d)
		}
	}
	if len(usable) == 0 {
		return "", ErrNotInstalled
	}
	if preferMajor != "" {
		for _, d := range usable {
			if v, err := serverMajor(d); err == nil && v == preferMajor {
				return d, nil
			}
		}
	}
	return usable[0], nil
}

// debianBinDirs lists /usr/lib/postgresql/<major>/bin, newest first.
func debianBinDirs() []string {
	ents, err := os.ReadDir(debianRoot)
	if err != nil {
		return nil
	}
	type ver struct {
		n   float64
		dir string
	}
	var vs []ver
	for _, e := range ents {
		n, err := strconv.ParseFloat(e.Name(), 64)
		if err != nil {
			continue
		}
		vs = append(vs, ver{n, filepath.Join(debianRoot, e.Name(), "bin")})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].n > vs[j].n })
	dirs := make([]string, len(vs))
	for i, v := range vs {
		dirs[i] = v.dir
	}
	return dirs
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// serverMajor runs "postgres --version" in binDir and returns the major
// version as PG_VERSION spells it ("15", "9.6").
func serverMajor(binDir string) (string, error) {
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("postgres --version: %w", err)
	}
	// "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
	f := strings.Fields(string(out))
	if len(f) < 3 {
		return "", fmt.Errorf("unexpected postgres --version output %q", out)
	}
	v := f[2]
	if i := strings.IndexFunc(v, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		v = v[:i] // "17beta1", "16devel"
	}
	parts := strings.Split(v, ".")
	if n, err := strconv.Atoi(parts[0]); err == nil && n < 10 && len(parts) > 1 {
		return parts[0] + "." + parts[1], nil
	}
	return parts[0], nil
}
