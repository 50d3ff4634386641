package account

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"switchboard/acd"
)

// Profile is what each user chooses for themselves: the interface's language ("" = the
// browser's), the time zone times are shown in ("" = the center's) and a supervisor's phone.
type Profile struct {
	Language string
	TimeZone string
	// MonitorPhone is a supervisor's phone for monitoring agents' calls ("PJSIP/9001"), which
	// the wallboard prefills; "" none.
	MonitorPhone string
}

// phoneForm is what a phone looks like: technology/resource (the desktop's login form says the same).
var phoneForm = regexp.MustCompile(`^[A-Za-z0-9]+/[A-Za-z0-9_.+@\-]+$`)

// LoadZone reads an IANA time zone name ("Europe/Moscow", "UTC"). time.LoadLocation would
// also read "Local" and paths; those are refused.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") || len(name) > 64 {
		return nil, errors.New("not an IANA time zone name")
	}
	return time.LoadLocation(name)
}

// Check validates p against the interface's languages; the error carries acd.EInvalid and
// says which field.
func (p Profile) Check(langs []string) error {
	if p.Language != "" && !slices.Contains(langs, p.Language) {
		return &acd.Error{Code: acd.EInvalid, Message: "language: unknown language " + p.Language}
	}
	if p.TimeZone != "" {
		if _, err := LoadZone(p.TimeZone); err != nil {
			return &acd.Error{Code: acd.EInvalid, Message: "time_zone: unknown time zone " + p.TimeZone}
		}
	}
	if p.MonitorPhone != "" && (len(p.MonitorPhone) > 64 || !phoneForm.MatchString(p.MonitorPhone)) {
		return &acd.Error{Code: acd.EInvalid, Message: "monitor_phone: not a phone like PJSIP/9001: " + p.MonitorPhone}
	}
	return nil
}
