package ariemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// CallerRequest is the JSON body of POST /control/callers.
type CallerRequest struct {
	Number     string         `json:"number"`
	Name       string         `json:"name,omitempty"`
	DID        string         `json:"did"`
	App        string         `json:"app,omitempty"`
	Args       []string       `json:"args,omitempty"`
	Language   string         `json:"language,omitempty"`
	Digits     []DigitRequest `json:"digits,omitempty"`
	PatienceMS int64          `json:"patience_ms,omitempty"`
	TalkTimeMS int64          `json:"talk_time_ms,omitempty"`
}

// DigitRequest is one digit of a CallerRequest.
type DigitRequest struct {
	Digit       string `json:"digit"`
	AfterMS     int64  `json:"after_ms"`
	AfterPrompt bool   `json:"after_prompt,omitempty"`
	DurationMS  int64  `json:"duration_ms,omitempty"`
}

// PhoneRequest is the JSON body of PUT /control/phones/{endpoint}.
type PhoneRequest struct {
	Behaviour     PhoneBehaviour `json:"behaviour"`
	AnswerAfterMS int64          `json:"answer_after_ms,omitempty"`
	TalkTimeMS    int64          `json:"talk_time_ms,omitempty"`
	HangupAfterMS int64          `json:"hangup_after_ms,omitempty"`
}

const maxMS = int64(24 * time.Hour / time.Millisecond)

func ms(name string, v int64) (time.Duration, error) {
	if v < 0 || v > maxMS {
		return 0, fmt.Errorf("%s out of range: %d", name, v)
	}
	return time.Duration(v) * time.Millisecond, nil
}

func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	if dec.More() {
		return errors.New("decode body: trailing data")
	}
	return nil
}

// DecodeCallerRequest reads and checks a POST /control/callers body.
func DecodeCallerRequest(r io.Reader) (Caller, error) {
	var req CallerRequest
	if err := decodeStrict(r, &req); err != nil {
		return Caller{}, err
	}
	if strings.TrimSpace(req.DID) == "" {
		return Caller{}, errors.New("did is required")
	}
	c := Caller{Number: req.Number, Name: req.Name, DID: req.DID, App: req.App, Args: req.Args, Language: req.Language}
	var err error
	if c.Patience, err = ms("patience_ms", req.PatienceMS); err != nil {
		return Caller{}, err
	}
	if c.TalkTime, err = ms("talk_time_ms", req.TalkTimeMS); err != nil {
		return Caller{}, err
	}
	for i, d := range req.Digits {
		if len(d.Digit) != 1 || !strings.Contains("0123456789*#ABCD", d.Digit) {
			return Caller{}, fmt.Errorf("digits[%d]: bad digit %q", i, d.Digit)
		}
		after, err := ms("after_ms", d.AfterMS)
		if err != nil {
			return Caller{}, fmt.Errorf("digits[%d]: %w", i, err)
		}
		dur, err := ms("duration_ms", d.DurationMS)
		if err != nil {
			return Caller{}, fmt.Errorf("digits[%d]: %w", i, err)
		}
		c.Digits = append(c.Digits, DigitPress{Digit: d.Digit, After: after, AfterPrompt: d.AfterPrompt, Duration: dur})
	}
	return c, nil
}

// DecodePhoneRequest reads and checks a PUT /control/phones/{endpoint} body.
func DecodePhoneRequest(r io.Reader) (Phone, error) {
	var req PhoneRequest
	if err := decodeStrict(r, &req); err != nil {
		return Phone{}, err
	}
	switch req.Behaviour {
	case "":
		req.Behaviour = PhoneAnswer
	case PhoneAnswer, PhoneRingOut, PhoneBusy, PhoneUnreachable:
	default:
		return Phone{}, fmt.Errorf("unknown behaviour %q", req.Behaviour)
	}
	p := Phone{Behaviour: req.Behaviour}
	var err error
	if p.AnswerAfter, err = ms("answer_after_ms", req.AnswerAfterMS); err != nil {
		return Phone{}, err
	}
	if p.TalkTime, err = ms("talk_time_ms", req.TalkTimeMS); err != nil {
		return Phone{}, err
	}
	if p.HangupAfter, err = ms("hangup_after_ms", req.HangupAfterMS); err != nil {
		return Phone{}, err
	}
	return p, nil
}

// controlRoutes is the control API: JSON, same credentials as ARI.
//
//	POST   /control/callers                 CallerRequest -> 201 CallRecord
//	GET    /control/calls                   -> [CallRecord]
//	GET    /control/calls/{channelId}       -> CallRecord
//	POST   /control/channels/{channelId}/hangup        the far end hangs up
//	POST   /control/channels/{channelId}/dtmf?digit=1  the far end presses a digit
//	PUT    /control/phones/{endpoint...}    PhoneRequest -> 204
//	GET    /control/phones                  -> {endpoint: PhoneRequest}
//	PUT    /control/customers/{number}      PhoneRequest -> 204 (customers.go)
func (s *Server) controlRoutes() []route {
	return []route{
		{"POST", "/control/callers", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := DecodeCallerRequest(r.Body)
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			id, err := s.PlaceCaller(c)
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			rec, _ := s.Call(id)
			writeJSON(w, http.StatusCreated, rec)
		})},
		{"GET", "/control/calls", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, s.Calls())
		})},
		{"GET", "/control/calls/{channelId}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec, ok := s.Call(r.PathValue("channelId"))
			if !ok {
				writeError(w, http.StatusNotFound, "call not found")
				return
			}
			writeJSON(w, http.StatusOK, rec)
		})},
		{"POST", "/control/channels/{channelId}/hangup", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := s.Hangup(r.PathValue("channelId")); err != nil {
				writeError(w, http.StatusNotFound, err.Error())
				return
			}
			noContent(w)
		})},
		{"POST", "/control/channels/{channelId}/dtmf", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			err := s.PressDigit(r.PathValue("channelId"), r.URL.Query().Get("digit"))
			switch {
			case errors.Is(err, ErrNotFound):
				writeError(w, http.StatusNotFound, err.Error())
			case err != nil:
				writeError(w, http.StatusBadRequest, err.Error())
			default:
				noContent(w)
			}
		})},
		{"PUT", "/control/phones/{endpoint...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ep := r.PathValue("endpoint")
			if !strings.Contains(ep, "/") {
				writeError(w, http.StatusBadRequest, "endpoint must be Tech/Resource")
				return
			}
			p, err := DecodePhoneRequest(r.Body)
			if err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			s.SetPhone(ep, p)
			noContent(w)
		})},
		{"GET", "/control/phones", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			out := map[string]PhoneRequest{}
			for ep, p := range s.Phones() {
				out[ep] = PhoneRequest{Behaviour: p.Behaviour, AnswerAfterMS: p.AnswerAfter.Milliseconds(),
					TalkTimeMS: p.TalkTime.Milliseconds(), HangupAfterMS: p.HangupAfter.Milliseconds()}
			}
			writeJSON(w, http.StatusOK, out)
		})},
		s.customerRoute(),
	}
}
