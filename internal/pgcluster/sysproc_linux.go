package pgcluster

import "syscall"

// sysProcAttr puts the child in its own process group (a terminal's Ctrl-C
// reaches the parent, which then stops the server in order) and asks the
// kernel to send it SIGINT, PostgreSQL's "fast shutdown", when the thread
// that started it dies, so a killed test binary or daemon does not leave a
// server behind. Start launches the server from a goroutine locked to its
// OS thread for the server's lifetime, so that thread only ends with the
// process.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT, Credential: cred}
}
