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
func (s *server) fail(w http.ResponseWriter, err error, f failure) {
	code := coreCode(err)
	if code == "" {
		if f.what != "" {
			s.opt.Logger.Error(f.what, append(f.attrs, "err", err)...)
		}
		a := answer{f.status, f.code}
		msg := f.message
		if a.status == 0 {
			a.status = http.StatusInternalServerError
		}
		if a.code == "" {
			a.code = CodeInternal
		}
		if msg == "" {
			msg = "internal error"
		}
		writeError(w, a.status, a.code, msg)
		return
	}
	a, ok := coreAnswers[code]
	if !ok || code == acd.EInvalid && f.refuse {
		a = answer{http.StatusUnprocessableEntity, CodeInvalid}
		if f.refuse {
			a = answer{http.StatusForbidden, CodeForbidden}
		}
	}
	msg := f.messages[code]
	if msg == "" {
		msg = err.Error()
	}
	writeError(w, a.status, a.code, msg)
}
