package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/ariemu"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
	"switchboard/ivr"
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
	cands, err := d.crmLive.Load().dir.Identify(ctx, "", account)
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
		testkit.Eventually(t, id+" connected in "+queue, func() bool {
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

// Every walk demoMenu makes up ends the demo's main menu in a queue or a callback, however
// often it presses a wrong key, stays silent or forgets the #: the session is driven the way the
// emulator presses (a key marked AfterPrompt once the prompts have ended, the others at once,
// silence as the timers running out), and the menu's branches all occur.
func TestDemoMenuWalksEndInAQueue(t *testing.T) {
	cfg, err := config.LoadConfig(bytes.NewReader(demoYAML), "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	flow := cfg.Flows["main-menu"]
	const known = "100005"
	seen := map[string]int{}
	for i := range 2000 {
		account := known
		if i%2 == 1 {
			account = "654321"
		}
		script := demoMenu(account)
		end := walkMenu(t, flow, script, known)
		var (
			queue, lang, customer string
			skills                map[string]int
			data                  map[string]string
		)
		switch a := end.(type) {
		case ivr.Route:
			queue, lang, customer, skills, data = a.Queue, a.Language, a.Customer, a.Skills, a.Data
		case ivr.Callback:
			queue, lang, customer, skills, data = "callback "+a.Queue, a.Language, a.Customer, a.Skills, a.Data
		default:
			t.Fatalf("walk %v ended with %v", script, end)
		}
		if (lang == "ru") != (skills["ru"] == 1) || lang != "" && lang != "en" && lang != "ru" {
			t.Fatalf("walk %v: language %q, skills %v", script, lang, skills)
		}
		switch {
		case queue == "billing" && data["account"] == known && customer == "7":
			seen["billing, found"]++
		case queue == "billing" && customer == "":
			seen["billing, not found"]++
		case queue == "support-l1" && data["topic"] == "support":
			seen["support"]++
		case queue == "callback support-l1" && data["topic"] == "callback":
			seen["callback"]++
		default:
			t.Fatalf("walk %v ended in %q with data %v, customer %q", script, queue, data, customer)
		}
		if lang == "" {
			seen["no language"]++
		}
		if lang == "ru" {
			seen["russian"]++
		}
	}
	t.Logf("walks: %v", seen)
	for _, k := range []string{"billing, found", "billing, not found", "support", "callback", "no language", "russian"} {
		if seen[k] == 0 {
			t.Errorf("no walk ended as %s: %v", k, seen)
		}
	}
}

// walkMenu drives a session of flow through script and returns its terminal action; a lookup
// finds customer 7 when the digits are known.
func walkMenu(t *testing.T, flow *ivr.Flow, script []ariemu.DigitPress, known string) ivr.Action {
	t.Helper()
	s, err := ivr.NewSession(flow, ivr.Options{Caller: "+4930300009"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	var play, timer, lookup int
	var looked string
	var end ivr.Action
	feed := func(as []ivr.Action) {
		for _, a := range as {
			switch a := a.(type) {
			case ivr.Play:
				play = a.ID
			case ivr.StopPlayback:
				if a.ID == play {
					play = 0
				}
			case ivr.StartTimer:
				timer = a.ID
			case ivr.Lookup:
				lookup, looked = a.ID, a.Value
			case ivr.Route, ivr.Callback, ivr.Hangup, ivr.Transfer:
				end = a
			}
		}
	}
	// next feeds what happens when the caller does nothing: a lookup answers, a prompt ends, a
	// timer runs out. It reports false when nothing is pending.
	next := func() bool {
		switch {
		case lookup != 0:
			id := lookup
			lookup = 0
			res := ivr.LookupResult{ID: id}
			if looked == known {
				res.Found, res.Customer = true, ivr.Customer{ID: "7", Fields: map[string]string{"account": known}}
			}
			feed(s.Handle(now, res))
		case play != 0:
			id := play
			play = 0
			feed(s.Handle(now, ivr.PlaybackFinished{ID: id}))
		case timer != 0:
			id := timer
			timer = 0
			now = now.Add(10 * time.Second)
			feed(s.Handle(now, ivr.Timeout{Timer: id}))
		default:
			return false
		}
		return true
	}
	feed(s.Start(now))
	for _, k := range script {
		for !s.Done() && (lookup != 0 || k.AfterPrompt && play != 0) {
			next()
		}
		if s.Done() {
			break
		}
		now = now.Add(k.After)
		feed(s.Handle(now, ivr.Digit{D: k.Digit[0]}))
	}
	for steps := 0; !s.Done() && steps < 100 && next(); steps++ {
	}
	if !s.Done() {
		t.Fatalf("walk %v left the caller at %s", script, s.Node())
	}
	return end
}

// The demo's flows speak only sounds of the Debian packages asterisk-core-sounds-en-wav and
// -ru-wav (Asterisk and the emulator fall back to English when a Russian one is missing).
func TestDemoPromptsAreInstalled(t *testing.T) {
	const root = "/usr/share/asterisk/sounds"
	dirs := map[string]string{}
	for lang, pkg := range map[string]string{"en": "en_US_f_Allison", "ru": "ru_RU_f_IvrvoiceRU"} {
		for _, d := range []string{lang, pkg} { // Debian links en to the package's folder when asterisk is installed
			if fi, err := os.Stat(filepath.Join(root, d)); err == nil && fi.IsDir() {
				dirs[lang] = filepath.Join(root, d)
				break
			}
		}
	}
	if dirs["en"] == "" || dirs["ru"] == "" {
		t.Skip("asterisk-core-sounds-en-wav and -ru-wav not installed (internal/tools/deps.sh installs them)")
	}
	cfg, err := config.LoadConfig(bytes.NewReader(demoYAML), "demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, f := range cfg.Flows {
		for id, node := range f.Nodes {
			for _, ms := range [][]ivr.Media{node.Prompt, node.Invalid, node.NoInput, node.Message, node.NumberPrompt, node.NumberRefused} {
				for _, m := range ms {
					var files []string
					switch m.Kind {
					case ivr.MediaSound:
						files = []string{m.Value}
					case ivr.MediaDigits:
						for _, d := range m.Value {
							files = append(files, "digits/"+string(d))
						}
					}
					for _, file := range files {
						n++
						if _, err := os.Stat(filepath.Join(dirs["en"], file+".wav")); err != nil {
							t.Errorf("flow %s node %s: %s is not an installed English sound", name, id, file)
						}
						if _, err := os.Stat(filepath.Join(dirs["ru"], file+".wav")); err != nil && name == "main-menu" {
							t.Errorf("flow %s node %s: %s has no Russian recording", name, id, file)
						}
					}
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d sounds in the demo's flows", n)
	}
}
