package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"switchboard/internal/account"
	"switchboard/internal/pgcluster"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// userCmd creates or updates an account. The password is read from standard input (one
// line), never from the command line, where other users of the machine could see it. The
// account is checked and changed as the admin pages do it (web.CheckAccount,
// store.UpdateAccount): a new password ends the account's sessions and revokes its API
// tokens; the change is audited with the actor "switchboard user".
func userCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "switchboard.yaml", "configuration file (for the database)")
	name := fs.String("name", "", "username")
	role := fs.String("role", "", "agent, supervisor or admin")
	queues := fs.String("queues", "", "a supervisor's queues, comma-separated")
	agent := fs.String("agent", "", "the ACD agent id an agent account works as")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || (*role != "agent" && *role != "supervisor" && *role != "admin") {
		fmt.Fprintln(stderr, "usage: switchboard user -c switchboard.yaml -name NAME -role agent|supervisor|admin [-queues a,b] [-agent ID] < password")
		return 2
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	pw = strings.TrimRight(pw, "\r\n")
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "switchboard: give the password on standard input:", err)
		return 2
	}
	if err := web.CheckPassword(pw); err != nil {
		fmt.Fprintln(stderr, "switchboard: standard input:", err)
		return 2
	}
	cfg, err := loadConfigFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	known := map[string]bool{}
	for _, q := range cfg.Queues {
		known[q.Name] = true
	}
	account := splitList(*queues)
	err = web.CheckUsername(*name)
	if err == nil {
		err = web.CheckAccount(*role, *agent, account, func(q string) bool { return known[q] })
	}
	if err != nil {
		fmt.Fprintln(stderr, "switchboard: user:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		if err := os.MkdirAll(cfg.Database.DataDir, 0o755); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		cl, err := pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(cfg.Database.DataDir, "pg"), Logger: log})
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer cl.Stop(context.Background())
		url = cl.URL("postgres")
	}
	st, err := store.Open(ctx, url, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer st.Close()
	upd, err := saveUser(ctx, st, *name, *role, *agent, account, pw, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "user %s (%s) saved\n", *name, *role)
	if ended := upd.Ended(); ended != "" {
		fmt.Fprintf(stdout, "%s\n", ended)
	}
	return 0
}

// cliActor is who the audit names for changes made with switchboard user.
const cliActor = "switchboard user"

// saveUser creates or updates an account with a password (store.SaveUser) and audits it.
func saveUser(ctx context.Context, st *store.Store, name, role, agent string, queues []string, pw string, now time.Time) (*account.Update, error) {
	hash, err := account.HashPassword(pw)
	if err != nil {
		return nil, err
	}
	upd, created, err := st.SaveUser(ctx, account.User{Username: name, Role: role, AgentID: agent, Queues: queues, PasswordHash: hash}, nil, now)
	if err != nil {
		return nil, err
	}
	e := account.AuditEntry{Actor: cliActor, Action: "user.create", Object: "user:" + name, Detail: "role " + role, At: now}
	if !created {
		e.Action = "user.update"
		e.Detail = "role " + role + "; agent_id " + agent + "; queues " + strings.Join(queues, ",") + "; password"
		if ended := upd.Ended(); ended != "" {
			e.Detail += "; " + ended
		}
	}
	if err := st.Audit(ctx, e); err != nil {
		return nil, fmt.Errorf("user %s saved, but not audited: %w", name, err)
	}
	return upd, nil
}

// addUser is saveUser for the demo and the tests.
func addUser(ctx context.Context, st *store.Store, name, role, agent string, queues []string, pw string) error {
	_, err := saveUser(ctx, st, name, role, agent, queues, pw, time.Now())
	return err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
