package web

import (
	"errors"
	"net/http"

	"switchboard/acd"
	"switchboard/crm"
)

// answer is how the API answers an error: its HTTP status and its code (api.go).
type answer struct {
	status int
	code   string
}

// coreAnswers is the one table from the cores' error codes to the API's answers. The cores
// return errors with acd's codes (the engine, the store's rows, callbacks, accounts) or the
// crm package's sentinels (coreCode).
var coreAnswers = map[string]answer{
	acd.ENotFound: {http.StatusNotFound, CodeNotFound},
	acd.EConflict: {http.StatusConflict, CodeConflict},
	acd.EInvalid:  {http.StatusUnprocessableEntity, CodeInvalid},
}

// coreCode is err's code: acd's, or the one a crm sentinel stands for; "" when it has none
// (a dependency failed).
func coreCode(err error) string {
	switch {
	case acd.ErrorCode(err) != "":
		return acd.ErrorCode(err)
	case errors.Is(err, crm.ErrInvalid):
		return acd.EInvalid
	case errors.Is(err, crm.ErrTransition):
		return acd.EConflict
	}
	return ""
}

// isNotFound reports whether err carries the not-found code (a missing row, call or agent).
func isNotFound(err error) bool { return coreCode(err) == acd.ENotFound }

// failure says how a route answers an error from a core.
type failure struct {
	// messages replace the error's own message, by code.
	messages map[string]string
	// An error without a code is logged as what (with attrs) and answered with status (500
	// when 0), code (internal when "") and message ("internal error" when "").
	what    string
	attrs   []any
	status  int
	code    string
	message string
	// refuse answers the invalid code with 403 (a policy that forbids rather than a request
	// that is malformed).
	refuse bool
}

// fail answers err: by its code through coreAnswers, or as f says for an error without one.
// The message is a sentence for a person in the request's language (errorText), never the
// error's own text, which may be an internal chain; that is logged at debug level.
func (s *server) fail(w http.ResponseWriter, err error, f failure) {
	code := coreCode(err)
	if code == "" {
		if f.what != "" {
			s.opt.Logger.Error(f.what, append(f.attrs, "err", err)...)
		}
		a := answer{f.status, f.code}
		if a.status == 0 {
			a.status = http.StatusInternalServerError
		}
		if a.code == "" {
			a.code = CodeInternal
		}
		writeError(w, a.status, a.code, f.message)
		return
	}
	a, ok := coreAnswers[code]
	if !ok || code == acd.EInvalid && f.refuse {
		a = answer{http.StatusUnprocessableEntity, CodeInvalid}
		if f.refuse {
			a = answer{http.StatusForbidden, CodeForbidden}
		}
	}
	var e *acd.Error
	var ce *crm.InvalidError
	switch {
	case errors.As(err, &e) && e.Key != "":
		writeError(w, a.status, a.code, e.Key, e.Args...)
	case f.messages[code] != "":
		writeError(w, a.status, a.code, f.messages[code])
	case errors.As(err, &ce):
		writeError(w, a.status, a.code, "desk.err.field", ce.Field)
	case errors.Is(err, crm.ErrTransition):
		writeError(w, a.status, a.code, "desk.err.transition")
	default:
		s.opt.Logger.Debug("api error without a catalogue key", "code", a.code, "err", err)
		writeError(w, a.status, a.code, "")
	}
}

// sayError is an error of the web side's own checks with the catalogue key that tells a
// person (Error is the English text, for logs and the command line).
type sayError struct {
	msg, key string
	args     []any
}

func (e *sayError) Error() string { return e.msg }

// says is a sayError: the catalogue key key with args, and msg for logs and the command line.
func says(key, msg string, args ...any) error { return &sayError{msg: msg, key: key, args: args} }

// writeErr answers err with status and code: its catalogue key when it has one (sayError,
// acd.Error), else code's own sentence.
func writeErr(w http.ResponseWriter, status int, code string, err error) {
	var se *sayError
	var ae *acd.Error
	switch {
	case errors.As(err, &se):
		writeError(w, status, code, se.key, se.args...)
	case errors.As(err, &ae) && ae.Key != "":
		writeError(w, status, code, ae.Key, ae.Args...)
	default:
		writeError(w, status, code, "")
	}
}

// errorKeys are the catalogue keys of error sentences not written out where they are used:
// each API code's own (errorKey) and those the cores put on their errors (acd.Error.Key, in
// acd, internal/router and internal/screenpop). TestErrorKeys keeps the list whole.
var errorKeys = []string{
	"desk.err.unauthorized", "desk.err.forbidden", "desk.err.csrf", "desk.err.not_found", "desk.err.conflict",
	"desk.err.invalid", "desk.err.too_large", "desk.err.too_many", "desk.err.unavailable", "desk.err.internal",
	"desk.err.logged_out", "desk.err.disposition_first", "desk.err.state", "desk.err.scope",
	"desk.err.phone_in_use", "desk.err.no_phones", "desk.err.phone_not_allowed", "desk.err.phone_no_node", "desk.err.phone_form", "desk.err.phone_on_call",
	"desk.err.reason_pause_only", "desk.err.reason_needed", "desk.err.reason_long", "desk.err.reason_control",
	"desk.err.skills", "desk.err.scope_queues", "desk.err.queue_required", "desk.err.same_queue", "desk.err.priority",
	"desk.err.disposition", "desk.err.notes", "desk.err.number_unknown", "desk.err.at_past", "desk.err.at_ahead",
	"desk.err.number", "desk.err.number_empty", "desk.err.number_digits", "desk.err.number_short", "desk.err.number_long",
	"desk.err.number_country", "desk.err.number_denied", "desk.err.number_international",
	// internal/router's outbound calls (controls_dial.go)
	"desk.err.dial_number", "desk.err.dial_international", "desk.err.dialing", "desk.err.dial_on_call", "desk.err.dial_queue",
	// crm.go's notFoundKey
	"desk.err.call_not_found", "desk.err.customer_not_found", "desk.err.ticket_not_found",
	"desk.err.user_not_found", "desk.err.token_not_found",
}

// errorKey is the catalogue key of an API code's own sentence: what is said when nothing
// more precise is known.
func errorKey(code string) string { return "desk.err." + code }

// errorText is the message of an error answer in lang: key's text when key is in the
// catalogue (with args), else the sentence of code. A text that is not a key (an English
// phrase, an error's own text) is never shown.
func errorText(lang, code, key string, args ...any) string {
	if _, ok := catalogues["en"][key]; ok {
		return T(lang, key, args...)
	}
	return T(lang, errorKey(code))
}

// langWriter carries the request's language to writeError, which has no request.
type langWriter struct {
	http.ResponseWriter
	lang string
}

// Unwrap lets http.ResponseController reach the connection (streams flush through it).
func (w *langWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withErrorLang gives every answer's writer the request's language (langOf).
func withErrorLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&langWriter{ResponseWriter: w, lang: langOf(r)}, r)
	})
}

// writerLang finds the language withErrorLang put on w; English without one.
func writerLang(w http.ResponseWriter) string {
	for {
		switch x := w.(type) {
		case *langWriter:
			return x.lang
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return langs[0]
		}
	}
}
