package config

import (
	"strings"
	"testing"
	"time"
)

func TestIVRSection(t *testing.T) {
	const flows = "flows:\n  survey: {nodes: {rate: {type: survey, prompt: rate, next: bye}, bye: {type: hangup}}}\n"
	c := loadConfigString(t, okConfig+`ivr:
  transfer_context: sb-transfer
  lookup_timeout: 1500ms
  surveys: {q: survey}
  secure_prompt: enter-card
  secure_timeout: 20s
`+flows)
	want := IVR{TransferContext: "sb-transfer", LookupTimeout: 1500 * time.Millisecond, Surveys: map[string]string{"q": "survey"},
		SecurePrompt: "enter-card", SecureTimeout: 20 * time.Second}
	if c.IVR.TransferContext != want.TransferContext || c.IVR.LookupTimeout != want.LookupTimeout || c.IVR.Surveys["q"] != "survey" ||
		c.IVR.SecurePrompt != want.SecurePrompt || c.IVR.SecureTimeout != want.SecureTimeout {
		t.Fatalf("got %+v, want %+v", c.IVR, want)
	}
	if c := loadConfigString(t, okConfig); c.IVR.TransferContext != "" || c.IVR.Surveys != nil {
		t.Fatalf("no ivr section: %+v", c.IVR)
	}
	_, err := LoadConfig(strings.NewReader(okConfig+`ivr:
  transfer_context: "sb transfer"
  lookup_timeout: 1m
  surveys: {q: nope, other: survey}
  secure_prompt: "../x"
  secure_timeout: 0s
  colour: red
`+flows), "sb.yaml")
	checkErrors(t, err, []string{
		`sb.yaml:13: ivr.transfer_context: "sb transfer" is not a dialplan context name (letters, digits, '_' and '-', at most 79)`,
		"sb.yaml:14: ivr.lookup_timeout: must be between 100ms and 10s, got 1m0s",
		`sb.yaml:15: ivr.surveys.q: unknown flow "nope"`,
		`sb.yaml:15: ivr.surveys.other: unknown queue "other"`,
		`sb.yaml:16: ivr.secure_prompt: "../x" is not a sound name`,
		"sb.yaml:17: ivr.secure_timeout: must be between 1s and 1m0s, got 0s",
		`sb.yaml:18: ivr: unknown key "colour" (known: transfer_context, lookup_timeout, surveys, secure_prompt, secure_timeout)`,
	})
}

// The example's transfer context exists in the dialplan and dials out.
func TestDeployTransferContext(t *testing.T) {
	c := loadExample(t)
	if c.IVR.TransferContext == "" {
		t.Fatal("the example configures no transfer context")
	}
	ctx := sections(readConf(t, "extensions.conf"), c.IVR.TransferContext, "")
	if len(ctx) != 1 {
		t.Fatalf("extensions.conf: want one [%s] context, got %d", c.IVR.TransferContext, len(ctx))
	}
	dials := 0
	for _, l := range ctx[0].lines {
		if (l.key == "exten" || l.key == "same") && strings.Contains(l.value, "Dial(") {
			dials++
		}
	}
	if dials == 0 {
		t.Fatalf("[%s] dials nothing", c.IVR.TransferContext)
	}
}
