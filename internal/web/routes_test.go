package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"switchboard/internal/account"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
)

// everything returns options with every optional part of the HTTP side present, so that
// route checks see every route. Parts added later add their fakes here.
func everything(t *testing.T) Options {
	return Options{
		Users:      &memUsers{sessions: map[string]*account.Session{}, users: map[string]*account.User{}},
		Live:       func() Live { return Live{At: time.Now()} },
		Recordings: &memRecordings{},
		RecordCall: func(context.Context, string, string) error { return nil },
		Secure:     &fakeSecure{},
		CRM:        newMemCRM(),
		Pops:       hubPops(screenpop.New(screenpop.Options{})),
		Desk:       deskOf(&screenpop.Desk{Dispositions: []string{"resolved"}}),
		Desktop:    newMemDesktop(),
		Controls:   &fakeControls{},
		Monitoring: newFakeMonitoring(),
		AgentDay:   memAgentDay,
		CallbacksPending: func(context.Context) (map[string]int, error) {
			return nil, nil
		},
		Callbacks: &memCallbacks{},
		Metrics:   http.NotFoundHandler(),
		Accounts:  routesOnly{},
		Reports:   routesOnly{},
		IVR:       func() IVR { return IVR{} },
		KPIs: func(context.Context, time.Time, time.Time, []string) (float64, float64, bool, error) {
			return 0, 0, false, nil
		},
	}
}

// routesOnly stands for parts whose handlers the route checks never reach (they stop at
// the missing session); their real tests use the store (admin_test.go, reports_test.go).
type routesOnly struct{ *store.Store }

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryRouteChecksWhoIsAsking: a request with no session gets, from every route that
// names roles, a 401 in the API's error shape (API) or a redirect to the login (pages).
func TestEveryRouteChecksWhoIsAsking(t *testing.T) {
	opt := everything(t)
	ts := httptest.NewServer(Handler(opt))
	defer ts.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	list := Routes(opt)
	if len(list) < 10 {
		t.Fatalf("only %d routes listed", len(list))
	}
	for _, rt := range list {
		if len(rt.Roles) == 0 {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, "x")
		req, _ := http.NewRequest(rt.Method, ts.URL+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body apiError
		decodeErr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if rt.API {
			if resp.StatusCode != http.StatusUnauthorized || decodeErr != nil || body.Error.Code != CodeUnauthorized {
				t.Errorf("%s %s without a session: %d %+v (decode: %v), want 401 %q", rt.Method, rt.Path, resp.StatusCode, body, decodeErr, CodeUnauthorized)
			}
		} else if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Errorf("%s %s without a session: %d to %q, want 303 to /login", rt.Method, rt.Path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestMetricsNeedToken(t *testing.T) {
	opt := everything(t)
	opt.MetricsToken = "s3cret"
	ts := httptest.NewServer(Handler(opt))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/metrics without token: %d", resp.StatusCode)
	}
}
