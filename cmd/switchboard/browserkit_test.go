package main

import (
	"os"
	"path/filepath"
	"testing"

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
