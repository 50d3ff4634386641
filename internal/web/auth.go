package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/account"
)

// Users is what the web side needs of the account store.
type Users interface {
	UserByName(ctx context.Context, username string) (*account.User, error)
	CreateSession(ctx context.Context, userID int64, token, csrf string, expires time.Time) error
	SessionByToken(ctx context.Context, token string, now time.Time) (*account.Session, error)
	DeleteSession(ctx context.Context, token string, now time.Time) error
}

const (
	sessionCookie = "sb_session"
	loginCSRF     = "sb_login_csrf"
	sessionTTL    = 12 * time.Hour
)

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

type (
	ctxKey        struct{}
	tokenKey      struct{}
	credentialKey struct{}
)

// credentialFrom names the credential a request came with (a hash of its session cookie or
// API token), to count its event streams and end them at its logout.
func credentialFrom(ctx context.Context) string {
	c, _ := ctx.Value(credentialKey{}).(string)
	return c
}

func credentialName(kind, secret string) string {
	h := sha256.Sum256([]byte(secret))
	return kind + ":" + hex.EncodeToString(h[:16])
}

func sessionFrom(ctx context.Context) *account.Session {
	s, _ := ctx.Value(ctxKey{}).(*account.Session)
	return s
}

// byAPIToken reports whether the request was authenticated with an API token rather than a
// browser session: no cookie came with it, so it needs no CSRF token.
func byAPIToken(ctx context.Context) bool {
	b, _ := ctx.Value(tokenKey{}).(bool)
	return b
}

// requireRole lets a request through with a live session whose role is one of rt.Roles, or,
// on API routes that take tokens, with "Authorization: Bearer <API token>" acting as the
// token's owner. Pages redirect to the login; API routes answer 401/403.
func (s *server) requireRole(rt Route, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var (
			sess       *account.Session
			err        error
			token      bool
			credential string
		)
		if h := r.Header.Get("Authorization"); rt.API && s.opt.Accounts != nil && strings.HasPrefix(h, "Bearer ") {
			if !rt.Tokens {
				writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.token_session")
				return
			}
			token = true
			secret := strings.TrimPrefix(h, "Bearer ")
			credential = credentialName("token", secret)
			sess, err = s.opt.Accounts.SessionByAPIToken(r.Context(), secret, time.Now())
		} else {
			var c *http.Cookie
			c, err = r.Cookie(sessionCookie)
			if err == nil && c.Value != "" {
				credential = credentialName("session", c.Value)
				sess, err = s.opt.Users.SessionByToken(r.Context(), c.Value, time.Now())
			}
		}
		if err != nil || sess == nil {
			if isNotFound(err) || err == nil || errors.Is(err, http.ErrNoCookie) {
				if token {
					s.opt.Logger.Info("api token refused", "ip", s.clientIP(r))
					writeError(w, http.StatusUnauthorized, CodeUnauthorized, "desk.err.token_unknown")
				} else if rt.API {
					writeError(w, http.StatusUnauthorized, CodeUnauthorized, "")
				} else {
					http.Redirect(w, r, "/login", http.StatusSeeOther)
				}
				return
			}
			s.opt.Logger.Error("session lookup", "err", err)
			if rt.API {
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "")
			} else {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
			}
			return
		}
		if slices.Contains(rt.Roles, sess.User.Role) {
			ctx := context.WithValue(context.WithValue(r.Context(), ctxKey{}, sess), credentialKey{}, credential)
			if token {
				ctx = context.WithValue(ctx, tokenKey{}, true)
			}
			next(w, r.WithContext(ctx))
			return
		}
		if rt.API {
			writeError(w, http.StatusForbidden, CodeForbidden, "")
			return
		}
		s.renderStatus(w, r, http.StatusForbidden, "forbidden.html", map[string]any{"User": sess.User, "CSRF": sess.CSRF})
	}
}

// sessionLive reports whether the credential a long request (a stream) came with still opens
// a session of the same user, role and scope: a logout, an expiry, a revoked token or a change
// of the account ends the stream. A store that cannot answer does not end it.
func (s *server) sessionLive(r *http.Request) bool {
	was := sessionFrom(r.Context())
	var (
		sess *account.Session
		err  error
	)
	if byAPIToken(r.Context()) {
		sess, err = s.opt.Accounts.SessionByAPIToken(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), time.Now())
	} else if c, cerr := r.Cookie(sessionCookie); cerr == nil {
		sess, err = s.opt.Users.SessionByToken(r.Context(), c.Value, time.Now())
	} else {
		return false
	}
	if err != nil {
		return !isNotFound(err)
	}
	return sess.User.ID == was.User.ID && sess.User.Role == was.User.Role && sess.User.AgentID == was.User.AgentID &&
		slices.Equal(sess.User.Queues, was.User.Queues)
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request, msg string, code int) {
	token := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r), MaxAge: 600})
	s.renderStatus(w, r, code, "login.html", map[string]any{"CSRF": token, "Message": msg})
}

func (s *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.httpsSite() && !overHTTPS(r) {
		// Never take a password, nor set a cookie, over plain http on an HTTPS site: send the
		// browser to the login page at the public address (a POST's form is not carried over).
		code := http.StatusFound // not cached: the site's address may change
		if r.Method != http.MethodGet {
			code = http.StatusSeeOther
		}
		http.Redirect(w, r, strings.TrimSuffix(s.opt.PublicURL, "/")+"/login", code)
		return
	}
	if r.Method == http.MethodGet {
		s.loginPage(w, r, "", http.StatusOK)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(loginCSRF)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 || c.Value == "" {
		s.loginPage(w, r, T(langOf(r), "login.expired"), http.StatusForbidden)
		return
	}
	name, pw := r.PostForm.Get("username"), r.PostForm.Get("password")
	if badText(name) || badText(pw) {
		s.loginPage(w, r, T(langOf(r), "login.wrong"), http.StatusBadRequest)
		return
	}
	now, ip := time.Now(), s.clientIP(r)
	refused, wait := s.limit.check(now, ip, name)
	if refused > 0 {
		s.opt.Logger.Warn("login rate-limited", "ip", ip)
		w.Header().Set("Retry-After", strconv.Itoa(int(refused.Seconds())+1))
		s.loginPage(w, r, T(langOf(r), "login.throttled"), http.StatusTooManyRequests)
		return
	}
	if wait > 0 { // this address failed before: each attempt takes longer
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	u, err := s.opt.Users.UserByName(r.Context(), name)
	if err != nil && !isNotFound(err) {
		s.opt.Logger.Error("login lookup", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if !account.PasswordMatches(u, pw) {
		s.limit.fail(now, ip, name)
		s.opt.Logger.Info("login failed", "ip", ip)
		s.loginPage(w, r, T(langOf(r), "login.wrong"), http.StatusUnauthorized)
		return
	}
	token, csrf := randomToken(), randomToken()
	if err := s.opt.Users.CreateSession(r.Context(), u.ID, token, csrf, now.Add(sessionTTL)); err != nil {
		s.opt.Logger.Error("create session", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	s.limit.succeed(ip, name)
	s.opt.Logger.Info("login", "user", u.Username, "role", u.Role, "ip", ip)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r), MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, s.home(u.Role), http.StatusSeeOther)
}

func (s *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil || subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(sess.CSRF)) != 1 {
		http.Error(w, "bad csrf token", http.StatusForbidden)
		return
	}
	c, _ := r.Cookie(sessionCookie)
	if err := s.opt.Users.DeleteSession(r.Context(), c.Value, time.Now()); err != nil {
		s.opt.Logger.Error("logout", "err", err)
	}
	s.streams.end(credentialFrom(r.Context()))
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
