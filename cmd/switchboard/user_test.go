package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

// userRun runs `switchboard user` against the test database with the demo configuration.
func userRun(t *testing.T, password string, args ...string) (int, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(file, demoYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := userCmd(append([]string{"-c", file}, args...), strings.NewReader(password+"\n"), &out, &errb)
	return code, out.String() + errb.String()
}

// TestUserCommandPasswordEndsSessionsAndTokens: `switchboard user` changing a password follows
// the rule /admin follows: the account's sessions end and its API tokens are revoked, and the
// change is audited.
func TestUserCommandPasswordEndsSessionsAndTokens(t *testing.T) {
	url := pgtest.URL(t)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	st, err := store.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if code, out := userRun(t, "first password", "-name", "sue", "-role", "supervisor", "-queues", "billing"); code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	u, err := st.UserByName(ctx, "sue")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.CreateSession(ctx, u.ID, "browser", "csrf", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAPIToken(ctx, u.ID, "wallboard tv", "sbt_secret"); err != nil {
		t.Fatal(err)
	}

	if code, out := userRun(t, "second password", "-name", "sue", "-role", "supervisor", "-queues", "billing"); code != 0 {
		t.Fatalf("change: %d %s", code, out)
	}
	if _, err := st.SessionByToken(ctx, "browser", now); !store.IsNotFound(err) {
		t.Errorf("the session after the password change: %v, want it ended", err)
	}
	if _, err := st.SessionByAPIToken(ctx, "sbt_secret", now); !store.IsNotFound(err) {
		t.Errorf("the API token after the password change: %v, want it revoked", err)
	}
	trail, err := st.AuditTrail(ctx, "user:sue")
	if err != nil || len(trail) != 2 || trail[1].Action != "user.update" || !strings.Contains(trail[1].Detail, "1 API token revoked") {
		t.Errorf("audit trail: %+v %v, want the create and the update naming the revoked token", trail, err)
	}
}

// TestUserCommandRefusesInconsistentAccounts: the command checks an account as /admin does.
func TestUserCommandRefusesInconsistentAccounts(t *testing.T) {
	t.Setenv("DATABASE_URL", pgtest.URL(t))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-name", "al", "-role", "agent"}, "agent_id"},
		{[]string{"-name", "sue", "-role", "supervisor", "-queues", "nowhere"}, `unknown queue "nowhere"`},
		{[]string{"-name", "root", "-role", "admin", "-queues", "billing"}, "only supervisors have queues"},
		{[]string{"-name", "a b", "-role", "admin"}, "username"},
	} {
		if code, out := userRun(t, "a long password", tt.args...); code != 1 || !strings.Contains(out, tt.want) {
			t.Errorf("%v: %d %q, want 1 with %q", tt.args, code, out, tt.want)
		}
	}
}
