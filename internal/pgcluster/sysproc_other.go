//go:build unix && !linux

package pgcluster

import "syscall"

// sysProcAttr puts the child in its own process group. Outside Linux there
// is no parent-death signal: a server whose parent is killed keeps running
// until stopped (the next Start on the folder waits for it or reports it).
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}
