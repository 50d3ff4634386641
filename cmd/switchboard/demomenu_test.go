package main

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/ariemu"
)

// keys presses an entry: the first key once the prompt has ended, the others 50 ms apart.
func keys(entry string) []ariemu.DigitPress {
	var out []ariemu.DigitPress
	for i, k := range entry {
		out = append(out, ariemu.DigitPress{Digit: string(k), After: 50 * time.Millisecond, AfterPrompt: i == 0})
	}
	return out
}

// The demo's main menu end to end (prompts at 20 times their speed): a caller chooses Russian,
// billing and keys a seeded customer's account number; the menu looks the customer up, reads the
// account back from the record and queues the call in billing with the language, the skill ru,
// the account and the customer, and a Russian-speaking billing agent takes it. A caller who
// enters an account nobody has still reaches billing (the not-found branch), and one who
// presses only wrong keys ends in support in the default language.
func TestDemoMenu(t *testing.T) {
	emu, d, _ := demoDaemonEmu(t, ariemu.Options{Speed: 20}, demoYAML)
	ctx := context.Background()
	if _, err := d.crm.SeedCRMDemo(ctx, crm.Demo(1, 40), d.crm.Now()); err != nil {
		t.Fatal(err)
	}
	account := crm.DemoAccount(5)
	cands, err := d.directory.Identify(ctx, "", account)
	if err != nil || len(cands) != 1 {
		t.Fatalf("account %s: %+v %v", account, cands, err)
	}
	customer := strconv.FormatInt(cands[0].ID, 10)

	walk := func(number string, entries ...string) string {
		var ds []ariemu.DigitPress
		for _, e := range entries {
			ds = append(ds, keys(e)...)
		}
		ch, err := emu.PlaceCaller(ariemu.Caller{Number: number, DID: "5554000", Digits: ds})
		if err != nil {
			t.Fatal(err)
		}
		return "demo-" + ch
	}
	russian := walk("+4930300001", "2", "2", account+"#") // from a number the CRM does not know
	nobody := walk("+4930300002", "1", "2", "654321#")    // an account nobody has
	lost := walk("+4930300003", "9", "9", "*", "0")       // wrong keys at both menus

	queued := func(id, queue string) acd.CallView {
		t.Helper()
		var v acd.CallView
		eventually(t, id+" connected in "+queue, func() bool {
			_ = d.router.Do(ctx, func(e *acd.Engine) error { v, _ = e.Call(id); return nil })
			return v.Queue == queue && v.State == "connected"
		})
		return v
	}

	v := queued(russian, "billing")
	if v.Data["language"] != "ru" || v.Data["account"] != account || v.Data["customer"] != customer ||
		v.Data["topic"] != "billing" || v.Skills["ru"] != 1 {
		t.Fatalf("russian billing call: data %v skills %v", v.Data, v.Skills)
	}
	if v.Agent != "1003" && v.Agent != "1009" {
		t.Fatalf("russian billing call taken by %s, want a billing agent with skill ru (1003, 1009)", v.Agent)
	}
	rec, _ := emu.Call(russian[len("demo-"):])
	if rec.Digits != "22"+account+"#" || !slices.Contains(rec.Played, "digits:"+account) {
		t.Fatalf("russian caller pressed %q and heard %v; want the account read back", rec.Digits, rec.Played)
	}

	v = queued(nobody, "billing")
	if v.Data["language"] != "en" || v.Data["account"] != "654321" || v.Data["customer"] != "" || v.Skills["ru"] != 0 {
		t.Fatalf("billing call with an unknown account: data %v skills %v", v.Data, v.Skills)
	}
	if rec, _ := emu.Call(nobody[len("demo-"):]); !slices.Contains(rec.Played, "sound:im-sorry") {
		t.Fatalf("unknown account: heard %v", rec.Played)
	}

	v = queued(lost, "support-l1")
	if v.Data["language"] != "" || v.Data["topic"] != "support" || len(v.Skills) != 0 {
		t.Fatalf("wrong keys: data %v skills %v", v.Data, v.Skills)
	}
	if rec, _ := emu.Call(lost[len("demo-"):]); rec.Digits != "99*0" {
		t.Fatalf("wrong keys: pressed %q", rec.Digits)
	}
}
