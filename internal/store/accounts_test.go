package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/internal/account"
	"switchboard/internal/pgtest"
	"switchboard/internal/store"
)

func TestAccountsLastAdminAndPatch(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	root, err := s.CreateAccount(ctx, account.User{Username: "root", Role: "admin", PasswordHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAccount(ctx, account.User{Username: "root", Role: "agent", PasswordHash: "h"}); acd.ErrorCode(err) != acd.EConflict {
		t.Fatalf("duplicate username: %v, want a conflict", err)
	}
	agent := "agent"
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if _, err := s.UpdateAccount(ctx, root.ID, account.Patch{Role: &agent}, at); !errors.Is(err, account.ErrLastAdmin) {
		t.Fatalf("demoting the last admin: %v", err)
	}
	if err := s.DeleteAccount(ctx, root.ID); !errors.Is(err, account.ErrLastAdmin) {
		t.Fatalf("deleting the last admin: %v", err)
	}
	if _, err := s.Account(ctx, root.ID); err != nil {
		t.Fatalf("the refused delete left no account: %v", err)
	}

	// Two admins deleted at once: one delete must lose.
	two, err := s.CreateAccount(ctx, account.User{Username: "root2", Role: "admin", PasswordHash: "h2"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, id := range []int64{root.ID, two.ID} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.DeleteAccount(ctx, id) }()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("concurrent deletes of the two admins: %v, %v; want exactly one refused", errs[0], errs[1])
	}
	list, err := s.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].Role != "admin" {
		t.Fatalf("after the deletes: %+v %v", list, err)
	}

	sup, err := s.CreateAccount(ctx, account.User{Username: "sue", Role: "supervisor", Queues: []string{"billing"}, PasswordHash: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, sup.ID, "tok", "csrf", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	queues, hash := []string{"support", "billing"}, "new"
	upd, err := s.UpdateAccount(ctx, sup.ID, account.Patch{Queues: &queues, PasswordHash: &hash}, at)
	if err != nil || upd.Account.Role != "supervisor" || len(upd.Account.Queues) != 2 || upd.Account.Queues[0] != "support" || upd.SessionsEnded != 1 {
		t.Fatalf("patch: %+v %v", upd, err)
	}
	if _, err := s.SessionByToken(ctx, "tok", time.Now()); !store.IsNotFound(err) {
		t.Fatalf("session after a password change: %v, want ended", err)
	}
	u, _ := s.UserByName(ctx, "sue")
	if u.PasswordHash != "new" {
		t.Fatalf("hash not changed: %q", u.PasswordHash)
	}
	empty := ""
	if upd, err = s.UpdateAccount(ctx, sup.ID, account.Patch{AgentID: &empty}, at); err != nil || upd.Account.AgentID != "" || len(upd.Account.Queues) != 2 {
		t.Fatalf("patch of one field changed others: %+v %v", upd, err)
	}
	if _, err := s.UpdateAccount(ctx, 999, account.Patch{Role: &agent}, at); !store.IsNotFound(err) {
		t.Fatalf("patch of a missing account: %v", err)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	sue, err := s.CreateAccount(ctx, account.User{Username: "sue", Role: "supervisor", Queues: []string{"billing"}, PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := s.CreateAccount(ctx, account.User{Username: "bob", Role: "agent", AgentID: "1001", PasswordHash: "h"})
	tok, err := s.CreateAPIToken(ctx, sue.ID, "crm sync", "secret-1")
	if err != nil || tok.Username != "sue" {
		t.Fatalf("create: %+v %v", tok, err)
	}
	if _, err := s.CreateAPIToken(ctx, bob.ID, "bob's", "secret-2"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	ss, err := s.SessionByAPIToken(ctx, "secret-1", now)
	if err != nil || ss.User.Username != "sue" || ss.User.Queues[0] != "billing" || ss.CSRF != "" {
		t.Fatalf("session by token: %+v %v", ss, err)
	}
	if _, err := s.SessionByAPIToken(ctx, "nope", now); !store.IsNotFound(err) {
		t.Fatalf("unknown token: %v", err)
	}
	mine, _ := s.APITokens(ctx, sue.ID)
	all, _ := s.APITokens(ctx, 0)
	if len(mine) != 1 || len(all) != 2 || mine[0].LastUsedAt == nil || !mine[0].LastUsedAt.Equal(now) {
		t.Fatalf("lists: mine %+v, all %d", mine, len(all))
	}
	if err := s.RevokeAPIToken(ctx, tok.ID, bob.ID, now); !store.IsNotFound(err) {
		t.Fatalf("bob revoking sue's token: %v", err)
	}
	if err := s.RevokeAPIToken(ctx, tok.ID, sue.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByAPIToken(ctx, "secret-1", now); !store.IsNotFound(err) {
		t.Fatalf("revoked token still works: %v", err)
	}
	if err := s.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByAPIToken(ctx, "secret-2", now); !store.IsNotFound(err) {
		t.Fatalf("a deleted user's token still works: %v", err)
	}
}

// TestAccountChangesEndCredentials: one rule for every way an account changes: a new password
// ends its sessions and revokes its API tokens; a new role, agent or scope revokes its tokens;
// a patch that changes none of these (the same queues in another order) leaves both.
func TestAccountChangesEndCredentials(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	str := func(s string) *string { return &s }
	list := func(q ...string) *[]string { return &q }
	for _, tt := range []struct {
		name                 string
		patch                account.Patch
		sessionEnds, revoked bool
	}{
		{"password", account.Patch{PasswordHash: str("new")}, true, true},
		{"demotion", account.Patch{Role: str("agent"), AgentID: str("1001"), Queues: list()}, false, true},
		{"scope", account.Patch{Queues: list("billing")}, false, true},
		{"same scope", account.Patch{Queues: list("support", "billing")}, false, false},
		{"same role", account.Patch{Role: str("supervisor")}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := store.New(pgtest.Pool(t))
			sup, err := s.CreateAccount(ctx, account.User{Username: "sue", Role: "supervisor", Queues: []string{"billing", "support"}, PasswordHash: "old"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CreateSession(ctx, sup.ID, "browser", "csrf", at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateAPIToken(ctx, sup.ID, "tv", "sbt_1"); err != nil {
				t.Fatal(err)
			}
			upd, err := s.UpdateAccount(ctx, sup.ID, tt.patch, at)
			if err != nil {
				t.Fatal(err)
			}
			_, serr := s.SessionByToken(ctx, "browser", at)
			_, terr := s.SessionByAPIToken(ctx, "sbt_1", at)
			if got := store.IsNotFound(serr); got != tt.sessionEnds || (upd.SessionsEnded == 1) != tt.sessionEnds {
				t.Errorf("session ended: %v (%v, counted %d), want %v", got, serr, upd.SessionsEnded, tt.sessionEnds)
			}
			if got := store.IsNotFound(terr); got != tt.revoked || (upd.TokensRevoked == 1) != tt.revoked {
				t.Errorf("token revoked: %v (%v, counted %d), want %v", got, terr, upd.TokensRevoked, tt.revoked)
			}
			if toks, _ := s.APITokens(ctx, sup.ID); tt.revoked && (len(toks) != 1 || toks[0].RevokedAt == nil || !toks[0].RevokedAt.Equal(at)) {
				t.Errorf("token listing: %+v, want revoked at %v", toks, at)
			}
		})
	}
}

// TestSaveUserFollowsUpdateRules: SaveUser (switchboard user) creates an account, then changes
// it through UpdateAccount: the new password ends the session and revokes the token, and the
// last admin cannot be demoted this way either.
func TestSaveUserFollowsUpdateRules(t *testing.T) {
	ctx := context.Background()
	s := store.New(pgtest.Pool(t))
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	upd, created, err := s.SaveUser(ctx, account.User{Username: "root", Role: "admin", PasswordHash: "h1"}, nil, at)
	if err != nil || !created || upd.Account.Username != "root" {
		t.Fatalf("create: %+v %v %v", upd, created, err)
	}
	if err := s.CreateSession(ctx, upd.Account.ID, "browser", "csrf", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIToken(ctx, upd.Account.ID, "ci", "sbt_1"); err != nil {
		t.Fatal(err)
	}
	upd, created, err = s.SaveUser(ctx, account.User{Username: "root", Role: "admin", PasswordHash: "h2"}, nil, at)
	if err != nil || created || upd.SessionsEnded != 1 || upd.TokensRevoked != 1 {
		t.Fatalf("update: %+v %v %v", upd, created, err)
	}
	if _, _, err := s.SaveUser(ctx, account.User{Username: "root", Role: "agent", AgentID: "1001", PasswordHash: "h3"}, nil, at); !errors.Is(err, account.ErrLastAdmin) {
		t.Fatalf("demoting the last admin: %v", err)
	}
	refuse := func(role, agent string, queues []string) error { return errors.New("no such queue") }
	if _, _, err := s.SaveUser(ctx, account.User{Username: "sue", Role: "supervisor", PasswordHash: "h"}, refuse, at); acd.ErrorCode(err) != acd.EInvalid {
		t.Fatalf("a refused new account: %v, want invalid", err)
	}
	if _, err := s.UserByName(ctx, "sue"); !store.IsNotFound(err) {
		t.Fatalf("the refused account was stored: %v", err)
	}
}
