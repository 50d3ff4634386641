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

	"switchboard/internal/pgcluster"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// userCmd creates or updates an account. The password is read from standard input (one
// line), never from the command line, where other users of the machine could see it.
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
	if (err != nil && err != io.EOF) || len(pw) < 10 {
		fmt.Fprintln(stderr, "switchboard: give a password of at least 10 characters on standard input")
		return 2
	}
	cfg, err := loadConfigFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
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
	if err := addUser(ctx, st, *name, *role, *agent, splitList(*queues), pw); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "user %s (%s) saved\n", *name, *role)
	return 0
}

func addUser(ctx context.Context, st *store.Store, name, role, agent string, queues []string, pw string) error {
	hash, err := web.HashPassword(pw)
	if err != nil {
		return err
	}
	_, err = st.UpsertUser(ctx, store.User{Username: name, Role: role, AgentID: agent, Queues: queues, PasswordHash: hash})
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
