package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCallbacksDefaults(t *testing.T) {
	c := loadConfigString(t, okConfig)
	cb := c.Callbacks
	if !cb.International || cb.MaxAttempts != DefaultCallbackAttempts || cb.Expiry != DefaultCallbackExpiry ||
		cb.RetryDelay != DefaultCallbackRetryDelay || cb.Dial != DefaultCallbackDial || cb.DialAhead != 1 {
		t.Fatalf("defaults: %+v", cb)
	}
	if p := cb.Policy("q"); p.MissedAfter != 0 || p.Validate() != nil {
		t.Fatalf("default policy: %+v", p)
	}
}

func TestCallbacksSection(t *testing.T) {
	c := loadConfigString(t, okConfig+`hours:
  office: {timezone: Europe/Berlin, weekly: {mon-fri: "08:00-18:00"}, closed: {message: closed}}
callbacks:
  country: 49
  international: false
  deny: ["+49900", "+49 137"]
  max_attempts: 4
  retry_delay: 10m
  expiry: 48h
  hours: office
  caller_id: "+4930123456"
  dial: "PJSIP/{number}@trunk"
  ring_timeout: 25s
  dial_ahead: 3
  queues:
    q: {missed_after: 20s, after_hours: true}
`)
	cb := c.Callbacks
	want := Callbacks{Country: "49", Deny: []string{"+49900", "+49 137"}, MaxAttempts: 4, RetryDelay: 10 * time.Minute,
		Expiry: 48 * time.Hour, Hours: "office", CallerID: "+4930123456", Dial: "PJSIP/{number}@trunk",
		RingTimeout: 25 * time.Second, DialAhead: 3, Queues: map[string]QueueCallbacks{"q": {MissedAfter: 20 * time.Second, AfterHours: true}}}
	if !reflect.DeepEqual(cb, want) {
		t.Fatalf("got %+v\nwant %+v", cb, want)
	}
	p := cb.Policy("q")
	if p.MissedAfter != 20*time.Second || p.Attempts() != 4 {
		t.Fatalf("policy %+v", p)
	}
	for num, ok := range map[string]bool{"030 1234567": true, "+4990012345": false, "+49137123456": false, "+33123456789": false} {
		if _, err := p.Number(num); (err == nil) != ok {
			t.Errorf("Number(%q): %v", num, err)
		}
	}
	if got := cb.DialEndpoint("+4930111"); got != "PJSIP/+4930111@trunk" {
		t.Errorf("DialEndpoint: %q", got)
	}
}

func TestCallbacksBad(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"values", `callbacks:
  country: "049"
  deny: ["+49x", "+1 900"]
  max_attempts: 0
  retry_delay: -1s
  expiry: 0
  caller_id: "abc"
  dial: "PJSIP/1001"
  ring_timeout: 0
  dial_ahead: 1000
  colour: red
`, []string{
			`sb.yaml:13: callbacks.country: "049" is not a country calling code (1-3 digits, not starting with 0)`,
			`sb.yaml:14: callbacks.deny[0]: "+49x" is not a number prefix: want "+" and digits, e.g. "+49900"`,
			`sb.yaml:15: callbacks.max_attempts: must be between 1 and 20, got 0`,
			`sb.yaml:16: callbacks.retry_delay: must not be negative, got -1s`,
			`sb.yaml:17: callbacks.expiry: must be positive, got 0s`,
			`sb.yaml:18: callbacks.caller_id: "abc" is not a phone number (digits, optionally after +)`,
			`sb.yaml:19: callbacks.dial: "PJSIP/1001" does not contain {number}`,
			`sb.yaml:20: callbacks.ring_timeout: must be positive, got 0s`,
			`sb.yaml:21: callbacks.dial_ahead: must be between 1 and 100, got 1000`,
			`sb.yaml:22: callbacks: unknown key "colour" (known: country, international, deny, max_attempts, retry_delay, expiry, hours, caller_id, dial, ring_timeout, dial_ahead, queues)`,
		}},
		{"references", `callbacks:
  international: false
  hours: nowhere
  dial: "{number}"
  queues:
    nosuch: {missed_after: 10s}
    q: {after_hours: maybe, later: 1}
`, []string{
			`sb.yaml:13: callbacks: international: false needs country: the home country's calling code`,
			`sb.yaml:14: callbacks.hours: unknown hours "nowhere"`,
			`sb.yaml:15: callbacks.dial: "{number}" is not an endpoint template like "PJSIP/{number}@trunk"`,
			`sb.yaml:17: callbacks.queues: unknown queue "nosuch"`,
			`sb.yaml:18: callbacks.queues.q: unknown key "later" (known: missed_after, after_hours)`,
			`sb.yaml:18: callbacks.queues.q.after_hours: want true or false, got "maybe"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(okConfig+tt.in), "sb.yaml")
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T %v, want Errors", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
