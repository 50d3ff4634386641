package web

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var openapiMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIListsEveryAPIRoute: docs/openapi.yaml documents every API route that
// Routes(everything(t)) lists, with its method, and documents nothing that is not served.
func TestOpenAPIListsEveryAPIRoute(t *testing.T) {
	raw, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("docs/openapi.yaml: openapi %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]string{} // "METHOD /path" -> part
	sessionOnly := map[string]bool{}  // operations whose security names the session scheme alone
	for path, item := range doc.Paths {
		part, _ := item["x-switchboard-part"].(string)
		if part == "" {
			t.Errorf("docs/openapi.yaml: %s has no x-switchboard-part", path)
		}
		for _, m := range openapiMethods {
			if op, ok := item[m]; ok {
				documented[strings.ToUpper(m)+" "+path] = part
				sessionOnly[strings.ToUpper(m)+" "+path] = sessionSecurity(op)
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range Routes(everything(t)) {
		if !rt.API {
			continue
		}
		key := rt.Method + " " + rt.Path
		served[key] = true
		if _, ok := documented[key]; !ok {
			t.Errorf("%s is served (Routes(everything(t))) but missing from docs/openapi.yaml: document it under paths: %s: %s:",
				key, rt.Path, strings.ToLower(rt.Method))
		} else if sessionOnly[key] == rt.Tokens {
			t.Errorf("%s: API tokens accepted %v, but docs/openapi.yaml's security for it says session only %v (`security: [{session: []}]` on operations tokens may not call)",
				key, rt.Tokens, sessionOnly[key])
		}
	}
	for key, part := range documented {
		if served[key] {
			continue
		}
		t.Errorf("%s is in docs/openapi.yaml (part %s) but Routes(everything(t)) does not serve it: register it, add the part's fake to everything() in routes_test.go, or remove it from the file",
			key, part)
	}
}

// sessionSecurity reports whether an operation's security names the session scheme alone.
func sessionSecurity(op any) bool {
	m, _ := op.(map[string]any)
	sec, _ := m["security"].([]any)
	if len(sec) != 1 {
		return false
	}
	req, _ := sec[0].(map[string]any)
	_, ok := req["session"]
	return ok && len(req) == 1
}
