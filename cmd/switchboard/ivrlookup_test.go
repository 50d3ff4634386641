package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"switchboard/crm"
	"switchboard/internal/router"
)

// localOnly is a customer store that knows one account; the real store's Identify is tested
// in internal/store and through the daemon (TestCRMThroughTheDaemon).
type localOnly struct{}

func (localOnly) Identify(_ context.Context, number, account string) ([]crm.Candidate, error) {
	if account == "4321" {
		return []crm.Candidate{{Customer: crm.Customer{ID: 7, Name: "Local"}}}, nil
	}
	return nil, nil
}

// An IVR lookup of a sensitive entry (a PIN) never reaches the external CRM, whose keys go in
// its URL; an account number that is not sensitive does.
func TestIVRLookupKeepsSensitiveDigitsOutOfURLs(t *testing.T) {
	var (
		mu   sync.Mutex
		urls []string
	)
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		urls = append(urls, r.URL.String())
		mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(ext.Close)
	tmpl, err := crm.ParseTemplate(ext.URL+"/lookup?account={account}", "number", "account")
	if err != nil {
		t.Fatal(err)
	}
	m, err := crm.ParseMapping(map[string]string{"id": "id", "name": "name"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := crm.NewConnector(crm.ConnectorOptions{URL: tmpl, Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	live := &crmLive{dir: &crm.Directory{Local: localOnly{}, Remote: conn}}
	lookup := ivrLookup(func() *crmLive { return live })
	ctx := context.Background()

	cust, found, err := lookup(ctx, router.LookupQuery{CallID: "c1", By: "var", Account: "4321", Sensitive: true})
	if err != nil || !found || cust.ID != "7" {
		t.Fatalf("sensitive lookup: %+v %v %v", cust, found, err)
	}
	mu.Lock()
	if len(urls) != 0 {
		t.Fatalf("a PIN went to the external CRM: %q", urls)
	}
	mu.Unlock()

	if _, _, err := lookup(ctx, router.LookupQuery{CallID: "c2", By: "var", Account: "555000"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(urls) != 1 || urls[0] != "/lookup?account=555000" {
		t.Fatalf("external lookups: %q", urls)
	}
}
