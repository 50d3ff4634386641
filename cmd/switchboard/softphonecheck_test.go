package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// check-config -asterisk checks the browser phones against Asterisk's files: the shipped
// ones pass with the example, and a folder without the agents' WebRTC endpoints fails.
func TestCheckConfigAsterisk(t *testing.T) {
	example := filepath.Join("..", "..", "deploy", "switchboard.example.yaml")
	shipped := filepath.Join("..", "..", "deploy", "asterisk")
	var out, errb bytes.Buffer
	if code := run([]string{"check-config", "-c", example, "-asterisk", shipped}, &out, &errb); code != 0 {
		t.Fatalf("shipped files: exit %d, %s", code, errb.String())
	}
	dir := t.TempDir()
	for _, f := range []string{"pjsip.conf", "http.conf"} {
		b, err := os.ReadFile(filepath.Join(shipped, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "pjsip.conf" {
			b, _, _ = bytes.Cut(b, []byte(";==================== browser phones"))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"check-config", "-c", example, "-asterisk", dir}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "agent 1001's browser phone webrtc-1001 is not an endpoint") {
		t.Fatalf("without the WebRTC endpoints: exit %d, %s", code, errb.String())
	}
}

// check-config -asterisk over several nodes: the shipped folder with asterisk.conf's
// systemname is node pbx-a of the nodes example; without systemname it is refused.
func TestCheckConfigAsteriskNodes(t *testing.T) {
	example := filepath.Join("..", "..", "deploy", "switchboard.nodes.example.yaml")
	shipped := filepath.Join("..", "..", "deploy", "asterisk")
	dir := t.TempDir()
	for _, f := range []string{"pjsip.conf", "http.conf", "extensions.conf"} {
		b, err := os.ReadFile(filepath.Join(shipped, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"check-config", "-c", example, "-asterisk", dir}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "asterisk.conf") || !strings.Contains(errb.String(), "systemname") {
		t.Fatalf("without asterisk.conf: exit %d, %s", code, errb.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "asterisk.conf"), []byte("[options]\nsystemname = pbx-a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"check-config", "-c", example, "-asterisk", dir}, &out, &errb); code != 0 {
		t.Fatalf("node pbx-a: exit %d, %s", code, errb.String())
	}
}
