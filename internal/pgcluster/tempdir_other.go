//go:build unix && !linux

package pgcluster

import "os"

// TempBase returns the folder to create throwaway clusters in (tests):
// $PGCLUSTER_TMPDIR when set, else os.TempDir.
func TempBase() string {
	if d := os.Getenv("PGCLUSTER_TMPDIR"); d != "" {
		return d
	}
	return os.TempDir()
}
