package ariemu

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// route is one ARI operation: method and path as written in the Swagger
// resource descriptions (e.g. "/channels/{channelId}").
type route struct {
	method  string
	path    string
	handler http.Handler
}

// reqParams are an ARI request's parameters: Asterisk accepts each query
// parameter also as a field of a JSON object body, and the body's field wins
// when both are given; "variables" stays in the body.
//
// Parameters that take several values (media, channel) are split on commas
// only in the query string: in a JSON body a string is one value, whatever it
// holds, and several values are a JSON array (Asterisk 22,
// traces/play-media-list.jsonl).
type reqParams struct {
	url.Values
	variables map[string]string
	lists     map[string][]string // JSON body fields that were arrays or strings, as given
}

// list returns a parameter that may carry several values.
func (p reqParams) list(name string) []string {
	if l, ok := p.lists[name]; ok {
		return l
	}
	v := p.Get(name)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

const maxBody = 1 << 20

func readParams(r *http.Request) (reqParams, error) {
	p := reqParams{Values: parseQuery(r.URL.RawQuery)}
	if r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return p, err
	}
	return p, p.mergeJSON(body)
}

// mergeJSON adds the fields of a JSON object body to the parameters, over
// those of the query string.
func (p *reqParams) mergeJSON(body []byte) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return err
	}
	for k, raw := range obj {
		if k == "variables" {
			var vars map[string]any
			if err := json.Unmarshal(raw, &vars); err != nil {
				return err
			}
			// Asterisk also accepts {"variables": {"variables": {...}}}.
			if inner, ok := vars["variables"].(map[string]any); ok && len(vars) == 1 {
				vars = inner
			}
			p.variables = map[string]string{}
			for vk, vv := range vars {
				p.variables[vk] = scalarString(vv)
			}
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if p.lists == nil {
			p.lists = map[string][]string{}
		}
		switch x := v.(type) {
		case nil:
		case []any:
			parts := make([]string, 0, len(x))
			for _, e := range x {
				parts = append(parts, scalarString(e))
			}
			p.Set(k, strings.Join(parts, ","))
			p.lists[k] = parts
		default:
			p.Set(k, scalarString(x))
			p.lists[k] = []string{p.Get(k)}
		}
	}
	return nil
}

// parseQuery is url.ParseQuery that keeps semicolons as data (Go's drops
// such pairs) since media URIs like tone:ring;tonezone=us carry them.
func parseQuery(raw string) url.Values {
	v := url.Values{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		uk, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		uv, err := url.QueryUnescape(val)
		if err != nil {
			continue
		}
		v.Add(uk, uv)
	}
	return v
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (p reqParams) int(name string, def int) (int, bool) {
	v := p.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return def, false
		}
		n = int(f)
	}
	return n, true
}

func (p reqParams) bool(name string) bool {
	b, _ := strconv.ParseBool(p.Get(name))
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type errorBody struct {
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Message: msg})
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// apiError is an ARI error answer: status and message body.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errf(status int, msg string) *apiError { return &apiError{status: status, msg: msg} }

// handle adapts a handler that returns a status and a body (nil for 204) or an apiError.
func handle(fn func(r *http.Request, p reqParams) (int, any, *apiError)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := readParams(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Failed to parse body")
			return
		}
		status, body, aerr := fn(r, p)
		if aerr != nil {
			writeError(w, aerr.status, aerr.msg)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}
