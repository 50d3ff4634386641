package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"switchboard/internal/account"
)

// Accounts is what the accounts admin and the API tokens need of the store.
type Accounts interface {
	Accounts(ctx context.Context) ([]account.Account, error)
	Account(ctx context.Context, id int64) (*account.Account, error)
	CreateAccount(ctx context.Context, u account.User) (*account.Account, error)
	UpdateAccount(ctx context.Context, id int64, p account.Patch, now time.Time) (*account.Update, error)
	DeleteAccount(ctx context.Context, id int64) error
	CreateAPIToken(ctx context.Context, userID int64, name, token string) (*account.APIToken, error)
	APITokens(ctx context.Context, userID int64) ([]account.APIToken, error)
	RevokeAPIToken(ctx context.Context, id, userID int64, now time.Time) error
	SessionByAPIToken(ctx context.Context, token string, now time.Time) (*account.Session, error)
	Audit(ctx context.Context, e account.AuditEntry) error
}

var validUsername = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

const (
	minPassword = 10
	maxPassword = account.MaxPassword
)

// CheckUsername checks a new account's name.
func CheckUsername(name string) error {
	if !validUsername.MatchString(name) {
		return says("desk.err.username", "the username must be 1 to 64 letters, digits or . _ @ -, starting with a letter or digit")
	}
	return nil
}

// CheckPassword checks a new password's length.
func CheckPassword(pw string) error {
	if len(pw) < minPassword || len(pw) > maxPassword {
		return says("desk.err.password", fmt.Sprintf("the password must have %d to %d bytes", minPassword, maxPassword), minPassword, maxPassword)
	}
	return nil
}

// CheckAccount checks what an account links to: an agent account works as an ACD agent, a
// supervisor watches queues known says exist, an admin needs neither. The admin pages and
// switchboard user both apply it.
func CheckAccount(role, agentID string, queues []string, known func(queue string) bool) error {
	switch role {
	case "agent", "supervisor", "admin":
	default:
		return says("desk.err.role", fmt.Sprintf("role must be agent, supervisor or admin, not %q", role))
	}
	if role == "agent" && agentID == "" {
		return says("desk.err.agent_id_needed", "an agent account needs agent_id, the ACD agent it works as")
	}
	if role != "agent" && agentID != "" {
		return says("desk.err.agent_id_only", "only agent accounts have an agent_id (send \"agent_id\": \"\" with the new role)")
	}
	if role != "supervisor" && len(queues) > 0 {
		return says("desk.err.queues_only", "only supervisors have queues (send \"queues\": [] with the new role)")
	}
	for _, q := range queues {
		if !known(q) {
			return says("desk.err.unknown_queue", fmt.Sprintf("unknown queue %q", q), q)
		}
	}
	return nil
}

// checkAccount is CheckAccount against the queues the router runs.
func (s *server) checkAccount(role, agentID string, queues []string) error {
	known := map[string]bool{}
	for _, q := range s.opt.Live().Queues {
		known[q.Queue] = true
	}
	return CheckAccount(role, agentID, queues, func(q string) bool { return known[q] })
}

// storeError answers a store error; one without a code is logged and answered 500.
func (s *server) storeError(w http.ResponseWriter, what string, err error) {
	s.fail(w, err, failure{what: what})
}

func (s *server) audit(r *http.Request, action, object, detail string) {
	sess := sessionFrom(r.Context())
	if err := s.opt.Accounts.Audit(r.Context(), account.AuditEntry{Actor: sess.User.Username, Action: action, Object: object, Detail: detail}); err != nil {
		s.opt.Logger.Error("audit", "action", action, "object", object, "err", err)
	}
}

func (s *server) adminPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	users, err := s.opt.Accounts.Accounts(r.Context())
	if err != nil {
		s.opt.Logger.Error("admin page", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	tokens, err := s.opt.Accounts.APITokens(r.Context(), 0)
	if err != nil {
		s.opt.Logger.Error("admin page", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	var queues []string
	for _, q := range s.opt.Live().Queues {
		queues = append(queues, q.Queue)
	}
	s.render(w, r, "admin.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Users": users, "Tokens": tokens,
		"Queues": strings.Join(queues, ", ")})
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.opt.Accounts.Accounts(r.Context())
	if err != nil {
		s.storeError(w, "list users", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

type newUser struct {
	Username string   `json:"username"`
	Role     string   `json:"role"`
	Password string   `json:"password"`
	AgentID  string   `json:"agent_id"`
	Queues   []string `json:"queues"`
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var in newUser
	if !decodeJSON(w, r, &in) {
		return
	}
	err := CheckUsername(in.Username)
	if err == nil {
		err = s.checkAccount(in.Role, in.AgentID, in.Queues)
	}
	if err == nil {
		err = CheckPassword(in.Password)
	}
	if err != nil {
		writeErr(w, http.StatusUnprocessableEntity, CodeInvalid, err)
		return
	}
	hash, err := account.HashPassword(in.Password)
	if err != nil {
		s.storeError(w, "hash password", err)
		return
	}
	a, err := s.opt.Accounts.CreateAccount(r.Context(), account.User{Username: in.Username, Role: in.Role, AgentID: in.AgentID,
		Queues: in.Queues, PasswordHash: hash})
	if err != nil {
		s.storeError(w, "create user", err)
		return
	}
	s.audit(r, "user.create", "user:"+a.Username, "role "+a.Role)
	writeJSON(w, http.StatusCreated, a)
}

type userPatch struct {
	Role     *string   `json:"role"`
	Password *string   `json:"password"`
	AgentID  *string   `json:"agent_id"`
	Queues   *[]string `json:"queues"`
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	id, ok := pathID(w, r, "user")
	if !ok {
		return
	}
	var in userPatch
	if !decodeJSON(w, r, &in) {
		return
	}
	var changed []string
	if in.Role != nil {
		changed = append(changed, "role "+*in.Role)
	}
	if in.AgentID != nil {
		changed = append(changed, "agent_id "+*in.AgentID)
	}
	if in.Queues != nil {
		changed = append(changed, "queues "+strings.Join(*in.Queues, ","))
	}
	p := account.Patch{Role: in.Role, AgentID: in.AgentID, Queues: in.Queues, Check: s.checkAccount}
	if in.Password != nil {
		if err := CheckPassword(*in.Password); err != nil {
			writeErr(w, http.StatusUnprocessableEntity, CodeInvalid, err)
			return
		}
		hash, err := account.HashPassword(*in.Password)
		if err != nil {
			s.storeError(w, "hash password", err)
			return
		}
		p.PasswordHash, changed = &hash, append(changed, "password")
	}
	upd, err := s.opt.Accounts.UpdateAccount(r.Context(), id, p, time.Now())
	if err != nil {
		s.storeError(w, "update user", err)
		return
	}
	if ended := upd.Ended(); ended != "" {
		changed = append(changed, ended)
	}
	s.audit(r, "user.update", "user:"+upd.Account.Username, strings.Join(changed, "; "))
	writeJSON(w, http.StatusOK, upd.Account)
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	id, ok := pathID(w, r, "user")
	if !ok {
		return
	}
	cur, err := s.opt.Accounts.Account(r.Context(), id)
	if err == nil {
		err = s.opt.Accounts.DeleteAccount(r.Context(), id)
	}
	if err != nil {
		s.storeError(w, "delete user", err)
		return
	}
	s.audit(r, "user.delete", "user:"+cur.Username, "")
	w.WriteHeader(http.StatusNoContent)
}

// tokenOwner is whose tokens the session may see and revoke: an admin everyone's (0).
func tokenOwner(sess *account.Session) int64 {
	if sess.User.Role == "admin" {
		return 0
	}
	return sess.User.ID
}

func (s *server) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := s.opt.Accounts.APITokens(r.Context(), tokenOwner(sessionFrom(r.Context())))
	if err != nil {
		s.storeError(w, "list tokens", err)
		return
	}
	if list == nil {
		list = []account.APIToken{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

type newToken struct {
	Name   string `json:"name"`
	UserID int64  `json:"user_id"` // admins only: a token for another account
}

// createToken makes a token and shows it this once. Only a signed-in session reaches it (the
// route refuses tokens): a leaked token must not be able to outlive its revocation.
func (s *server) createToken(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var in newToken
	if !decodeJSON(w, r, &in) {
		return
	}
	sess := sessionFrom(r.Context())
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalid, "desk.err.token_name")
		return
	}
	owner := sess.User.ID
	if in.UserID != 0 && in.UserID != owner {
		if sess.User.Role != "admin" {
			writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.token_other")
			return
		}
		owner = in.UserID
	}
	secret := "sbt_" + randomToken()
	t, err := s.opt.Accounts.CreateAPIToken(r.Context(), owner, in.Name, secret)
	if err != nil {
		s.storeError(w, "create token", err)
		return
	}
	s.audit(r, "token.create", fmt.Sprintf("token:%d", t.ID), "for "+t.Username+": "+t.Name)
	writeJSON(w, http.StatusCreated, struct {
		*account.APIToken
		Token string `json:"token"`
	}{t, secret})
}

func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	id, ok := pathID(w, r, "token")
	if !ok {
		return
	}
	if err := s.opt.Accounts.RevokeAPIToken(r.Context(), id, tokenOwner(sessionFrom(r.Context())), time.Now()); err != nil {
		s.storeError(w, "revoke token", err)
		return
	}
	s.audit(r, "token.revoke", fmt.Sprintf("token:%d", id), "")
	w.WriteHeader(http.StatusNoContent)
}
