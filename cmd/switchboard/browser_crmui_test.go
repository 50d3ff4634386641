package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/crm"
	"switchboard/internal/config"
	"switchboard/recording"
)

// The customer and ticket pages, the time zone and the narrow window in a real Chromium, on a
// center in Moscow (UTC+3): an agent searches a customer and opens her page (contacts,
// tickets, calls, recordings), changes the status of her own ticket on the tickets page and
// finds no form on a colleague's; a call at 21:30 UTC reads 00:30 the next day on the
// customer page, the recordings and the desktop, and the reports' day starts at Moscow's
// midnight; then every page each role opens, at 800 px in English and in Russian, without
// horizontal scrolling, with the favicon and every form control labelled. Any console error
// fails the test. Screenshots go to $SCREENSHOT_DIR (crmui-*.png).
func TestBrowserCRMPages(t *testing.T) {
	browser, shots := browserShots(t)
	msk, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	_, d, _ := demoDaemon(t, func(c *config.Config) { c.TimeZone = msk })
	ctx := context.Background()
	base := "http://" + d.addr
	addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"},
		testAccount{name: "sue", role: "supervisor", queues: []string{"billing"}}, testAccount{name: "root", role: "admin"})

	// Anna called at 21:30 UTC (00:30 on the 10th in Moscow); Heidi took it, it was recorded.
	at := time.Date(2026, 3, 9, 21, 30, 0, 0, time.UTC)
	const local, localSec = "2026-03-10 00:30", "2026-03-10 00:30:00"
	anna, err := d.crm.CreateCustomer(ctx, crm.Customer{Name: "Anna Smirnova", Phones: []string{"+74951234567"}, Accounts: []string{"ACC-1001"},
		Segment: crm.VIP, Language: "ru", Notes: "Prefers calls after 10:00."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.crm.CreateCustomer(ctx, crm.Customer{Name: "Boris Ivanov"}); err != nil {
		t.Fatal(err)
	}
	if err := d.crm.RecordInteraction(ctx, crm.Interaction{CallID: "ast1-crmui-1", Agent: "1008", CustomerID: anna.ID, Queue: "billing",
		At: at, Outcome: "answered", Wait: 14, Talk: 245, Disposition: "resolved"}); err != nil {
		t.Fatal(err)
	}
	if err := d.store.IndexRecording(ctx, recording.Recording{Name: "call-ast1-crmui-1", CallID: "ast1-crmui-1", Queue: "billing", Agent: "1008",
		Number: "+74951234567", Started: at, Duration: 245 * time.Second, Size: 44, Format: "wav", SHA256: "00", Path: filepath.Join(t.TempDir(), "x.wav")}); err != nil {
		t.Fatal(err)
	}
	mine, err := d.crm.CreateTicket(ctx, crm.NewTicket{CustomerID: anna.ID, Subject: "Card payment declined", Priority: 3, Owner: "1008", CallID: "ast1-crmui-1"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := d.crm.CreateTicket(ctx, crm.NewTicket{CustomerID: anna.ID, Subject: "Address change", Owner: "1003"})
	if err != nil {
		t.Fatal(err)
	}

	root := startChromium(t, ctx, chromiumFlags(t, browser, 1366, 768)...)
	// Each person has a browser context of their own, and every console error or uncaught
	// exception in it is kept (problems).
	var mu sync.Mutex
	var problems []string
	person := func(who string, w, h int64) context.Context {
		c, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(w, h)); err != nil {
			t.Fatalf("new tab: %v", err)
		}
		msgs := chromedp.Console(c)
		go func() {
			for m, err := range msgs {
				if err != nil {
					return
				}
				if m.Type == chromedp.ConsoleError || m.IsException() {
					mu.Lock()
					problems = append(problems, who+": "+m.String()+" at "+m.URL)
					mu.Unlock()
				}
			}
		}()
		return c
	}
	run := stepRunner(shots, "crmui-failed")
	get := func(t *testing.T, c context.Context, what string, a chromedp.Action[string]) string {
		t.Helper()
		step, cancel := context.WithTimeout(c, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(step, a)
		if err != nil {
			shot(t, c, shots, "crmui-failed")
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	text := func(t *testing.T, c context.Context) string {
		return get(t, c, "text", chromedp.Evaluate[string](`document.body.innerText`))
	}
	signIn := func(t *testing.T, c context.Context, user string) {
		t.Helper()
		run(t, c, user+" signs in", chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`input[name=username]`), user),
			chromedp.SendKeys(css(`input[name=password]`), "a long password"),
			chromedp.Click(css(`button[type=submit]`)),
			chromedp.WaitVisible(css(`header h1`)))
	}
	step := func(name string, f func(t *testing.T)) {
		if !t.Failed() {
			t.Run(name, f)
		}
	}
	heidi, sue := person("heidi", 1366, 768), person("sue", 1366, 768)

	step("agent searches a customer and opens her page", func(t *testing.T) {
		signIn(t, heidi, "heidi")
		run(t, heidi, "search", chromedp.Navigate(base+"/customers"), chromedp.WaitVisible(css(`input[name=q]`)),
			chromedp.SendKeys(css(`input[name=q]`), "smirn"), chromedp.Click(css(`form.search button`)),
			chromedp.WaitVisible(css(fmt.Sprintf(`#customers tr[data-customer="%d"] a`, anna.ID))))
		if n := get(t, heidi, "rows", chromedp.Evaluate[string](`String(document.querySelectorAll("#customers tbody tr[data-customer]").length)`)); n != "1" {
			t.Fatalf("%s customers found for smirn", n)
		}
		shot(t, heidi, shots, "crmui-customers")
		run(t, heidi, "open Anna", chromedp.Click(css(`#customers tbody a`)), chromedp.WaitVisible(css(`#contacts`)))
		page := text(t, heidi)
		for _, want := range []string{"Anna Smirnova", "+74951234567", "ACC-1001", "VIP", "Prefers calls after 10:00.", "Card payment declined",
			"Address change", local, "4 min 5 s", "resolved"} {
			if !strings.Contains(page, want) {
				t.Errorf("the customer page lacks %q:\n%s", want, page)
			}
		}
		if n := get(t, heidi, "recordings", chromedp.Evaluate[string](`String(document.querySelectorAll("#customer-recordings tr[data-recording]").length)`)); n != "1" {
			t.Errorf("%s recordings on Anna's page, want her one call's", n)
		}
		shot(t, heidi, shots, "crmui-customer")
	})

	step("agent changes her own ticket, not a colleague's", func(t *testing.T) {
		run(t, heidi, "tickets", chromedp.Navigate(base+fmt.Sprintf("/tickets?customer_id=%d", anna.ID)),
			chromedp.WaitVisible(css(fmt.Sprintf(`tr[data-ticket="%d"] form.change`, mine.ID))))
		if n := get(t, heidi, "their form", chromedp.Evaluate[string](fmt.Sprintf(`String(document.querySelectorAll('tr[data-ticket="%d"] form').length)`, theirs.ID))); n != "0" {
			t.Fatalf("a change form on a colleague's ticket")
		}
		row := fmt.Sprintf(`tr[data-ticket="%d"] `, mine.ID)
		run(t, heidi, "to pending", chromedp.SetValue(css(row+`select[name=status]`), "pending"), chromedp.Click(css(row+`button`)),
			chromedp.WaitVisible(css(row+`.result.ok`)), chromedp.WaitVisible(css(row+`.badge[data-status="pending"]`)))
		// The select now offers pending's next steps: new is no longer one.
		opts := get(t, heidi, "options", chromedp.Evaluate[string](`[...document.querySelectorAll('`+row+`select[name=status] option')].map(o => o.value).join(",")`))
		if opts != "open,pending,resolved,closed" {
			t.Errorf("after pending the form offers %s", opts)
		}
		shot(t, heidi, shots, "crmui-tickets")
		tk, err := d.crm.Ticket(ctx, mine.ID)
		if err != nil || tk.Status != crm.Pending {
			t.Fatalf("stored %+v %v", tk, err)
		}
	})

	step("one local time on the customer page, recordings, desktop and reports", func(t *testing.T) {
		run(t, heidi, "recordings", chromedp.Navigate(base+"/recordings"), chromedp.WaitVisible(css(`#recordings`)))
		if page := text(t, heidi); !strings.Contains(page, localSec) || !strings.Contains(page, "Europe/Moscow") {
			t.Errorf("recordings: no %q in\n%s", localSec, page)
		}
		shot(t, heidi, shots, "crmui-recordings-moscow")
		run(t, heidi, "desktop", chromedp.Navigate(base+"/agent"), chromedp.WaitVisible(css(`#state`)))
		if got := get(t, heidi, "desktop time", chromedp.Evaluate[string](`fmtWhen("`+at.Format(time.RFC3339)+`", true)`)); got != localSec {
			t.Errorf("the desktop writes %s as %q, want %q", at.Format(time.RFC3339), got, localSec)
		}
		// The desktop writes an IVR path with the menu's labels, not its node ids and keys.
		path := get(t, heidi, "ivr path", chromedp.Evaluate[string](`(() => { const x = new XMLHttpRequest(); x.open("GET", "/api/ivr/labels", false); x.send();
			return ivrPath(JSON.parse(x.responseText), "5554000", [{node: "language", input: "1"}, {node: "topics", input: "2"}, {node: "account", input: "****"}]); })()`))
		if want := "Language: English → Topic: Billing (account number) → Billing (account number): ****"; path != want {
			t.Errorf("IVR path %q, want %q", path, want)
		}
		signIn(t, sue, "sue")
		run(t, sue, "reports", chromedp.Navigate(base+"/reports?by=queue&interval=1h"), chromedp.WaitVisible(css(`#report-range`)))
		rng := get(t, sue, "range", chromedp.Text(css(`#report-range`)))
		today := time.Now().In(msk).Format("2006-01-02")
		if want := today + " 00:00 – "; !strings.HasPrefix(rng, want) || !strings.HasSuffix(rng, "00:00 Europe/Moscow") {
			t.Errorf("the reports' day is %q, want Moscow's from %q", rng, want)
		}
		run(t, sue, "reports of that night", chromedp.Navigate(base+"/reports?by=queue&interval=1h&from=2026-03-10T00:00&to=2026-03-10T02:00"),
			chromedp.WaitVisible(css(`#report-range`)))
		if rng := get(t, sue, "range", chromedp.Text(css(`#report-range`))); rng != "2026-03-10 00:00 – 2026-03-10 02:00 Europe/Moscow" {
			t.Errorf("range %q", rng)
		}
		shot(t, sue, shots, "crmui-reports-moscow")
	})

	step("favicon", func(t *testing.T) {
		resp, err := http.Get(base + "/assets/favicon.svg")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("favicon: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})

	// Every page of every role at 800 px, in both languages.
	pages := map[string][]string{
		"heidi": {"/agent", "/recordings", "/customers?q=a", fmt.Sprintf("/customers/%d", anna.ID), "/tickets", "/profile"},
		"sue":   {"/wallboard", "/reports", "/recordings", "/customers?q=a", fmt.Sprintf("/customers/%d", anna.ID), "/tickets", "/profile"},
		"root":  {"/admin"},
	}
	for _, lang := range []string{"en", "ru"} {
		step("every page at 800 px in "+lang, func(t *testing.T) {
			c := person("narrow-"+lang, 800, 700)
			run(t, c, "language", chromedp.Navigate(base+"/login?lang="+lang), chromedp.WaitVisible(css(`input[name=username]`)))
			checkNarrow(t, c, shots, "crmui-800-"+lang+"-login", get)
			for _, who := range []string{"heidi", "sue", "root"} {
				signIn(t, c, who)
				for _, p := range pages[who] {
					run(t, c, "open "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(css(`header h1`)))
					if l := get(t, c, "lang", chromedp.Evaluate[string](`document.documentElement.lang`)); l != lang {
						t.Errorf("%s: lang %q", p, l)
					}
					name := strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(strings.TrimPrefix(p, "/"))
					checkNarrow(t, c, shots, "crmui-800-"+lang+"-"+who+"-"+name, get)
				}
				run(t, c, "sign out", chromedp.Click(css(`header form[action="/logout"] button`)), chromedp.WaitVisible(css(`input[name=username]`)))
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
}

// checkNarrow checks the page in the window: no horizontal scrolling (shot fails the test on
// it), a viewport meta tag, the favicon, and a label for every visible form control.
func checkNarrow(t *testing.T, c context.Context, dir, name string, get func(*testing.T, context.Context, string, chromedp.Action[string]) string) {
	t.Helper()
	if v := get(t, c, "viewport", chromedp.Evaluate[string](`(document.querySelector('meta[name=viewport]') || {}).content || ""`)); !strings.Contains(v, "width=device-width") {
		t.Errorf("%s: viewport meta %q", name, v)
	}
	if v := get(t, c, "icon", chromedp.Evaluate[string](`(document.querySelector('link[rel=icon]') || {}).href || ""`)); !strings.HasSuffix(v, "/assets/favicon.svg") {
		t.Errorf("%s: icon %q", name, v)
	}
	unlabelled := get(t, c, "labels", chromedp.Evaluate[string](`[...document.querySelectorAll("input, select, textarea")]
		.filter(e => e.type !== "hidden" && e.checkVisibility() && !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby") && !e.title)
		.map(e => e.outerHTML.slice(0, 120)).join("\n")`))
	if unlabelled != "" {
		t.Errorf("%s: form controls without a label:\n%s", name, unlabelled)
	}
	shot(t, c, dir, name)
}
