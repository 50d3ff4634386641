package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// sentence says what is wrong with msg as an error message for a person in lang: it must
// be a sentence (a capital, a full stop), hold no internal chain ("number: callback:
// normalize: ..."), no formatting slip and no identifier of the code; in Russian, Russian.
func sentence(lang, msg string) string {
	first, _ := utf8.DecodeRuneInString(msg)
	switch {
	case msg == "":
		return "empty"
	case !unicode.IsUpper(first):
		return "does not start with a capital"
	case !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "…"):
		return "does not end with a full stop"
	case strings.Count(msg, ": ") > 1 || regexp.MustCompile(`^\p{Ll}[\w ]*: `).MatchString(msg):
		return "reads like an error chain"
	case strings.Contains(msg, "%!") || regexp.MustCompile(`%[sdv]`).MatchString(msg):
		return "has a formatting slip"
	case regexp.MustCompile(`desk_endpoints|_id\b|\berr\b|acd\.|\bnil\b|X-CSRF`).MatchString(msg):
		return "names an identifier of the code"
	case lang == "ru" && !regexp.MustCompile(`\p{Cyrillic}{3}`).MatchString(msg):
		return "is not Russian"
	}
	return ""
}

// TestErrorSentences: every error text of the catalogues, with its arguments filled in, is a
// sentence in its language, and every key errors.go names exists.
func TestErrorSentences(t *testing.T) {
	for _, lang := range langs {
		for _, k := range catalogueKeys(lang) {
			if !strings.HasPrefix(k, "desk.err.") {
				continue
			}
			verbs := regexp.MustCompile(`%[sd]`).FindAllString(catalogues[lang][k], -1)
			args := make([]any, len(verbs))
			for i, v := range verbs {
				args[i] = map[string]any{"%s": "PJSIP/1001", "%d": 7}[v]
			}
			if why := sentence(lang, T(lang, k, args...)); why != "" {
				t.Errorf("%s %s: %q %s", lang, k, T(lang, k, args...), why)
			}
		}
		for _, k := range errorKeys {
			if _, ok := catalogues[lang][k]; !ok {
				t.Errorf("%s: errorKeys names %q, which the catalogue lacks", lang, k)
			}
		}
	}
	for _, code := range []string{CodeUnauthorized, CodeForbidden, CodeCSRF, CodeNotFound, CodeConflict, CodeInvalid, CodeTooLarge, CodeTooMany, CodeUnavailable, CodeInternal} {
		if !slices.Contains(errorKeys, errorKey(code)) {
			t.Errorf("code %s has no sentence in errorKeys", code)
		}
	}
}

// TestErrorKeys: the keys the cores put on their errors are in errorKeys, so that the
// catalogue test counts them as used and TestErrorSentences checks them.
func TestErrorKeys(t *testing.T) {
	key := regexp.MustCompile(`"(desk\.err\.[a-z_]+)"`)
	found := 0
	for _, dir := range []string{"../../acd", "../router", "../screenpop"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range key.FindAllStringSubmatch(string(b), -1) {
				found++
				if !slices.Contains(errorKeys, m[1]) {
					t.Errorf("%s gives %q, which errorKeys lacks", f, m[1])
				}
			}
		}
	}
	if found < 20 {
		t.Fatalf("found only %d keys in the cores: the scan is broken", found)
	}
}

// TestNoErrorChainInAPI: refused requests of the desktop's routes, in English and Russian,
// answer sentences for a person, never the error's own chain; the callback number's reason is
// told as such.
func TestNoErrorChainInAPI(t *testing.T) {
	s := newPopSite(t)
	s.offer("ast1-c1", "1001", true)
	for _, lang := range langs {
		alice := s.as("alice")
		u, _ := url.Parse(s.ts.URL)
		alice.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang}})
		pops, stop := s.stream(alice)
		nextPop(t, pops)
		stop()
		tests := []struct {
			method, path, body string
			csrf               bool
			want               string // the English sentence, "" for any
		}{
			{"POST", "/api/calls/ast1-c1/callback", `{"number":"call me"}`, true, "The number must contain digits only."},
			{"POST", "/api/calls/ast1-c1/callback", `{"number":"+49"}`, true, "The number is too short."},
			{"POST", "/api/calls/ast1-c1/callback", `{"at":"tomorrow"}`, true, "The callback time is not a valid date and time."},
			{"POST", "/api/calls/ast1-c1/callback", `{"at":"2001-01-01T00:00:00Z"}`, true, "The callback time is in the past."},
			{"POST", "/api/calls/ast1-c1/wrapup", `{"disposition":"sold"}`, true, "Choose a disposition from the list."},
			{"POST", "/api/calls/ast1-c9/wrapup", `{"disposition":"resolved"}`, true, "You have answered no such call."},
			{"POST", "/api/calls/ast1-c1/wrapup", `{"disposition":`, true, "The request could not be read."},
			{"POST", "/api/calls/ast1-c1/wrapup", `{"disposition":"resolved"}`, false, ""},
			{"POST", "/api/calls/ast1-c1/wrapup", `{"disposition":"resolved","notes":"` + strings.Repeat("x", 9000) + `"}`, true, ""},
		}
		for _, tt := range tests {
			token := ""
			if tt.csrf {
				token = s.csrf("alice")
			}
			code, body := s.send(alice, tt.method, tt.path, token, tt.body)
			var e apiError
			if err := json.Unmarshal([]byte(body), &e); err != nil || code < 400 {
				t.Errorf("%s %s %s: %d %s, want an error", lang, tt.method, tt.path, code, body)
				continue
			}
			if why := sentence(lang, e.Error.Message); why != "" {
				t.Errorf("%s %s %s %s: %q %s", lang, tt.method, tt.path, tt.body, e.Error.Message, why)
			}
			if tt.want != "" && lang == "en" && e.Error.Message != tt.want {
				t.Errorf("%s %s: %q, want %q", tt.path, tt.body, e.Error.Message, tt.want)
			}
			if tt.want != "" && lang == "ru" && e.Error.Message == tt.want {
				t.Errorf("%s %s: in English for a Russian session", tt.path, tt.body)
			}
		}
	}
	code, body := s.send(s.client(), "GET", "/api/dispositions", "", "")
	if code != 401 || !strings.Contains(body, fmt.Sprintf("%q", T("en", "desk.err.unauthorized"))) {
		t.Errorf("signed out: %d %s", code, body)
	}
}
