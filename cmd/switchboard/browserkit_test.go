package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserShots is the Chromium the browser tests drive and the folder for their screenshots
// ($SCREENSHOT_DIR, else the test's own); without Chromium the test is skipped.
func browserShots(t *testing.T) (browser, shots string) {
	t.Helper()
	browser = chromiumPath()
	if browser == "" {
		t.Skip("chromium not found: install it (internal/tools/deps.sh, run by make test, does) to run the browser tests")
	}
	shots = os.Getenv("SCREENSHOT_DIR")
	if shots == "" {
		shots = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return browser, shots
}

// chromiumFlags are the options of a headless Chromium of its own, w×h, for the browser tests;
// extra adds to them.
func chromiumFlags(t *testing.T, browser string, w, h int, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(browser), chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h)}
	return append(opts, extra...)
}

// startChromium starts Chromium with opts and returns its first tab; both end with the test.
func startChromium(t *testing.T, ctx context.Context, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancel)
	root, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("chromium does not start: %v", err)
	}
	return root
}

// stepRunner runs a step's actions in a tab within 20 s; on failure it saves the tab as
// failed.png in shots and fails the test with what was being done.
func stepRunner(shots, failed string) func(t *testing.T, c context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	return func(t *testing.T, c context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(c, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			shot(t, c, shots, failed)
			t.Fatalf("%s: %v", what, err)
		}
	}
}
