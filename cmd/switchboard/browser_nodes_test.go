package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The wallboard over two Asterisk nodes, in a real Chromium: an admin sees each node with
// its calls and agents; when node b goes away it shows "b: down" and b's agents paused
// "node down", in English and Russian. No console error (but the refused connections to
// the node that went away are not the page's).
func TestBrowserWallboardNodes(t *testing.T) {
	browser, shots := browserShots(t)
	emus, d := twoNodeDaemon(t)
	addAccounts(t, d, testAccount{name: "root", role: "admin"})
	base := "http://" + d.addr
	root := startChromium(t, context.Background(), chromiumFlags(t, browser, 1366, 768)...)
	var mu sync.Mutex
	var problems []string
	go func() {
		for m, err := range chromedp.Console(root) {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.HasSuffix(m.URL, "/favicon.ico") {
				mu.Lock()
				problems = append(problems, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("console: %s", p)
		}
	})
	run := stepRunner(shots, "nodes-failed")
	text := func(sel string) string {
		t.Helper()
		c, cancel := context.WithTimeout(root, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, chromedp.Evaluate[string](`document.querySelector(`+"`"+sel+"`"+`).textContent`))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return v
	}
	run(t, root, "root signs in", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css(`input[name=username]`), "root"),
		chromedp.SendKeys(css(`input[name=password]`), "a long password"),
		chromedp.Click(css(`button[type=submit]`)),
		chromedp.WaitVisible(css(`header h1`)))
	run(t, root, "the wallboard shows both nodes", chromedp.Navigate(base+"/wallboard?lang=en"), chromedp.WaitVisible(css(`#nodes .node`)))
	if got := text("#nodes"); !strings.Contains(got, "a: connected (0 calls, 0 agents)") || !strings.Contains(got, "b: connected (0 calls, ") {
		t.Fatalf("nodes: %q", got)
	}
	emus["b"].Close()
	run(t, root, "node b down", chromedp.WaitVisible(css(`#nodes .node.down`)))
	if got := text("#nodes .node.down"); !strings.HasPrefix(got, "b: down (0 calls, ") {
		t.Fatalf("down node: %q", got)
	}
	run(t, root, "in Russian", chromedp.Navigate(base+"/wallboard?lang=ru"), chromedp.WaitVisible(css(`#nodes .node.down`)),
		chromedp.WaitVisible(css(`#agents tbody tr`)))
	if got := text("#nodes"); !strings.Contains(got, "b: недоступен") || !strings.Contains(got, "a: на связи (звонков: 0, агентов: 0)") {
		t.Fatalf("nodes in Russian: %q", got)
	}
	if got := text("#agents"); !strings.Contains(got, "узел недоступен") {
		t.Fatalf("agents in Russian: %q", got)
	}
	shot(t, root, shots, "wallboard-nodes")
}
