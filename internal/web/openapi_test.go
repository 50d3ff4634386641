package web

import (
	"os"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// notYetMerged are the parts that are built on other branches: their documented routes may
// be absent from Routes until they are merged. Once a part's routes are served, the test
// asks for it to leave this list, so that from then on its routes are checked.
var notYetMerged = map[string]bool{"pop": true, "desktop": true, "crm": true, "dialer": true, "ivr": true}

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
	for path, item := range doc.Paths {
		part, _ := item["x-switchboard-part"].(string)
		if part == "" {
			t.Errorf("docs/openapi.yaml: %s has no x-switchboard-part", path)
		}
		for _, m := range openapiMethods {
			if _, ok := item[m]; ok {
				documented[strings.ToUpper(m)+" "+path] = part
			}
		}
	}
	served := map[string]bool{}
	servedParts := map[string]bool{}
	for _, rt := range Routes(everything(t)) {
		if !rt.API {
			continue
		}
		key := rt.Method + " " + rt.Path
		served[key] = true
		servedParts[documented[key]] = true
		if _, ok := documented[key]; !ok {
			t.Errorf("%s is served (Routes(everything(t))) but missing from docs/openapi.yaml: document it under paths: %s: %s:",
				key, rt.Path, strings.ToLower(rt.Method))
		}
	}
	var pending []string
	for key, part := range documented {
		if served[key] {
			continue
		}
		if notYetMerged[part] && !servedParts[part] {
			pending = append(pending, key)
			continue
		}
		t.Errorf("%s is in docs/openapi.yaml (part %s) but Routes(everything(t)) does not serve it: register it, add the part's fake to everything() in routes_test.go, or remove it from the file",
			key, part)
	}
	for part := range notYetMerged {
		if servedParts[part] {
			t.Errorf("part %s serves routes now: remove it from notYetMerged in openapi_test.go so that all its documented routes are checked", part)
		}
	}
	sort.Strings(pending)
	if len(pending) > 0 {
		t.Logf("documented for parts not merged yet (%d): %s", len(pending), strings.Join(pending, ", "))
	}
}
