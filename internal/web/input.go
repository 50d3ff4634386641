package web

import (
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"
)

// What every request may carry. The database stores text as UTF-8 without NUL bytes, so a
// path, query parameter, form field or JSON string that is not such text is refused here as
// the client's mistake (400) rather than failing in the store as an outage (503).

// maxBody bounds every request body; routes that read a body bound it further (decodeJSON:
// 64 KiB, the login form: 4 KiB).
const maxBody = 64 << 10

// badText reports whether s cannot be stored as text.
func badText(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s)
}

const badTextMsg = "desk.err.bad_text"

// checkInput refuses a request whose path or query is not text, and bounds its body.
func checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := badText(r.URL.Path)
		for k, vs := range r.URL.Query() {
			bad = bad || badText(k)
			for _, v := range vs {
				bad = bad || badText(v)
			}
		}
		if bad {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeError(w, http.StatusBadRequest, CodeInvalid, badTextMsg)
			} else {
				http.Error(w, badTextMsg, http.StatusBadRequest)
			}
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// hasBadText reports whether any string in v (a decoded JSON body: structs, pointers, slices,
// maps) is not text.
func hasBadText(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return badText(v.String())
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasBadText(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if hasBadText(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if hasBadText(it.Key()) || hasBadText(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasBadText(v.Field(i)) {
				return true
			}
		}
	}
	return false
}
