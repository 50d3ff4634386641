package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"switchboard/crm"
)

func TestLoadConfigCRM(t *testing.T) {
	c := loadConfigString(t, okConfig+`crm:
  home_country: "+44"
  reopen_days: 14
  segments:
    vip: {priority_boost: 3, queue: q}
    b2b: {priority_boost: -1}
  pop_url: "https://crm.example/c/{customer}"
  external:
    url: "https://crm.example/api?phone={number}"
    mapping: {name: data.name, phones: data.phones.0}
    timeout: 250ms
    breaker: {failures: 2, cool_down: 1m}
    api_key_env: CRM_KEY
`)
	x := c.CRM
	if x == nil || x.HomeCountry != "44" || x.ReopenDays != 14 || x.PopURL.String() != "https://crm.example/c/{customer}" {
		t.Fatalf("%+v", x)
	}
	if q, p := x.Segments.Apply(crm.VIP, "other", 1); q != "q" || p != 4 {
		t.Fatalf("vip routes to %s/%d", q, p)
	}
	if _, p := x.Segments.Apply(crm.B2B, "q", 0); p != 0 {
		t.Fatalf("b2b priority %d", p)
	}
	e := x.External
	if e == nil || e.Timeout != 250*time.Millisecond || e.Failures != 2 || e.CoolDown != time.Minute || e.APIKeyEnv != "CRM_KEY" ||
		e.Mapping["phones"].String() != "data.phones.0" || e.URL.Host() != "crm.example" {
		t.Fatalf("external %+v", e)
	}
	if k := e.APIKey(func(v string) string { return map[string]string{"CRM_KEY": "s3cret"}[v] }); k != "s3cret" {
		t.Fatalf("api key %q", k)
	}
	// Defaults.
	c = loadConfigString(t, okConfig+"crm:\n  external: {url: \"http://crm/{account}\", mapping: {name: n}}\n")
	if c.CRM.ReopenDays != crm.DefaultReopenDays || c.CRM.External.Timeout != crm.DefaultTimeout ||
		c.CRM.External.Failures != crm.DefaultFailures || c.CRM.External.CoolDown != crm.DefaultCoolDown {
		t.Fatalf("defaults %+v %+v", c.CRM, c.CRM.External)
	}
	if c := loadConfigString(t, okConfig); c.CRM != nil {
		t.Fatalf("no crm: section gave %+v", c.CRM)
	}
}

func TestLoadConfigCRMErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"crm:\n  home_country: \"049\"\n", `sb.yaml:13: crm.home_country: want a country calling code like "49", got "049"`},
		{"crm:\n  reopen_days: 0\n", "sb.yaml:13: crm.reopen_days: must be between 1 and 365, got 0"},
		{"crm:\n  segments:\n    gold: {priority_boost: 1}\n", `sb.yaml:14: crm.segments: unknown segment "gold"`},
		{"crm:\n  segments:\n    vip: {queue: nowhere}\n", `sb.yaml:14: crm.segments.vip.queue: unknown queue "nowhere"`},
		{"crm:\n  segments:\n    vip: {priority_boost: 12}\n", "sb.yaml:14: crm.segments.vip.priority_boost: must be between -9 and 9, got 12"},
		{"crm:\n  segments:\n    vip: {}\n", "sb.yaml:14: crm.segments.vip: give a priority_boost, a queue, or both"},
		{"crm:\n  pop_url: \"https://x/{phone}\"\n", "sb.yaml:13: crm.pop_url: unknown placeholder {phone}"},
		{"crm:\n  external:\n    mapping: {name: a}\n", `sb.yaml:14: crm.external: missing required key "url"`},
		{"crm:\n  external:\n    url: \"https://k:s@crm/{number}\"\n    mapping: {name: a}\n", "sb.yaml:14: crm.external.url: credentials do not belong in the URL"},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping:\n      name: a..b\n", `sb.yaml:16: crm.external.mapping.name: path "a..b" has an empty segment`},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping: {phones: p}\n", `sb.yaml:15: crm.external.mapping: a path for "name" is required`},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping: {name: n, email: e}\n", `sb.yaml:15: crm.external.mapping: unknown field "email"`},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping: {name: n}\n    timeout: 10s\n", "sb.yaml:16: crm.external.timeout: at most 5s"},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping: {name: n}\n    api_key: abc\n", "sb.yaml:16: crm.external.api_key: secrets never go in the file"},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping: {name: n}\n    api_key_env: \"my key\"\n", "sb.yaml:16: crm.external.api_key_env: want an environment variable name"},
		{"crm:\n  external:\n    url: \"https://crm/{number}\"\n    mapping: {name: n}\n    breaker: {failures: 0, cool_down: -1s}\n",
			"sb.yaml:16: crm.external.breaker.failures: must be between 1 and 1000, got 0\nsb.yaml:16: crm.external.breaker.cool_down: must be positive"},
		{"crm: [1]\n", "sb.yaml:12: crm: want a mapping, got a list"},
	} {
		_, err := LoadConfig(strings.NewReader(okConfig+tt.in), "sb.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestExampleCRM(t *testing.T) {
	f, err := os.Open(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := LoadConfig(f, examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if c.CRM == nil || c.CRM.External == nil || c.CRM.External.APIKeyEnv != "CRM_API_KEY" || len(c.CRM.Segments) != 2 {
		t.Fatalf("example crm: %+v", c.CRM)
	}
}
