package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The shipped Asterisk files serve the example's browser phones (what check-config -asterisk
// checks on a site).
func TestDeploySoftphone(t *testing.T) {
	c := loadExample(t)
	if c.Softphone == nil {
		t.Fatal("the example has no softphone: section")
	}
	for _, err := range CheckSoftphoneAsterisk(c, asteriskDir) {
		t.Error(err)
	}
	mods := readConf(t, "modules.conf")
	for _, m := range []string{"res_pjsip_transport_websocket.so", "res_http_websocket.so", "res_srtp.so", "res_rtp_asterisk.so"} {
		found := false
		for _, l := range mods[0].all("require") {
			found = found || l.value == m
		}
		if !found {
			t.Errorf("modules.conf: no require = %s (browser phones need it)", m)
		}
	}
}

// Each way the Asterisk side can fall out of step is reported.
func TestCheckSoftphoneAsteriskFindsMismatches(t *testing.T) {
	c := loadExample(t)
	for _, tc := range []struct {
		name, file, old, new, want string
		yaml                       func(*Config)
	}{
		{"no endpoint", "pjsip.conf", "[webrtc-1002](webrtc-endpoint)", "[webrtc-1002x](webrtc-endpoint)", "agent 1002's browser phone webrtc-1002 is not an endpoint", nil},
		{"no webrtc", "pjsip.conf", "\nwebrtc=yes", "\nwebrtc=no", "lacks webrtc=yes", nil},
		{"udp transport", "pjsip.conf", "transport=transport-wss", "transport=transport-udp", "is not a protocol=wss transport", nil},
		{"no aor", "pjsip.conf", "[webrtc-1003](webrtc-aor)", "[webrtc-1003x](webrtc-aor)", "endpoint webrtc-1003 lacks its auth or aor", nil},
		{"no TLS", "http.conf", "tlsenable = yes", "tlsenable = no", "tlsenable is not yes", nil},
		{"other port", "http.conf", "tlsbindaddr = 0.0.0.0:8089", "tlsbindaddr = 0.0.0.0:8443", "has port 8089", nil},
		{"path", "", "", "", "serves SIP websockets at /ws", func(c *Config) { c.Softphone.WSURL = "wss://pbx.example.com:8089/sip" }},
		{"template", "", "", "", "browser phone sb-1001 is not an endpoint", func(c *Config) { c.Softphone.Endpoint = "PJSIP/sb-{agent}" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"pjsip.conf", "http.conf"} {
				b, err := os.ReadFile(filepath.Join(asteriskDir, f))
				if err != nil {
					t.Fatal(err)
				}
				s := string(b)
				if f == tc.file {
					if !strings.Contains(s, tc.old) {
						t.Fatalf("%s has no %q", f, tc.old)
					}
					s = strings.Replace(s, tc.old, tc.new, 1)
				}
				if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cc := *c
			sp := *c.Softphone
			cc.Softphone = &sp
			if tc.yaml != nil {
				tc.yaml(&cc)
			}
			var got []string
			for _, err := range CheckSoftphoneAsterisk(&cc, dir) {
				got = append(got, err.Error())
			}
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("got %q, want one with %q", got, tc.want)
			}
		})
	}
}

func TestSoftphoneSection(t *testing.T) {
	c, err := LoadConfig(strings.NewReader(okConfig+`softphone:
  ws_url: wss://pbx.example.com:8089/ws
  ring_timeout: 15s
  ice_servers: ["stun:stun.example.com:3478"]
`), "sb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sp := c.Softphone
	if sp == nil || sp.Domain != "pbx.example.com" || sp.AgentEndpoint("1001") != "PJSIP/webrtc-1001" || sp.RingTimeout != 15*time.Second || len(sp.ICEServers) != 1 {
		t.Fatalf("%+v", sp)
	}
	env := map[string]string{EnvARIUser: "u", EnvARIPassword: "p"}
	if err := c.LoadEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvSoftphoneSecret) {
		t.Errorf("without %s: %v", EnvSoftphoneSecret, err)
	}
	env[EnvSoftphoneSecret] = "sixteen characters at least"
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil || sp.Secret != env[EnvSoftphoneSecret] {
		t.Errorf("with the secret: %v %q", err, sp.Secret)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"softphone: {}", `softphone: missing required key "ws_url"`},
		{"softphone: {ws_url: https://pbx/ws}", "is not a websocket URL"},
		{"softphone: {ws_url: wss://pbx:8089/ws, endpoint: PJSIP/1001}", "is not an endpoint template"},
		{"softphone: {ws_url: wss://pbx:8089/ws, ice_servers: [http://x]}", "is not a stun: or turn: URL"},
		{"softphone: {ws_url: wss://pbx:8089/ws, domain: a/b}", "is not a host name"},
	} {
		_, err := LoadConfig(strings.NewReader(okConfig+bad.yaml+"\n"), "sb.yaml")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

// The password is the documented HMAC (the README's shell command prints the same).
func TestSoftphonePassword(t *testing.T) {
	if got := SoftphonePassword("a test secret of some length", "webrtc-1001"); got != "9SSeynlDPUTKFa_Ptf4dwzC5" {
		t.Errorf("got %q", got)
	}
	if SoftphonePassword("s", "webrtc-1001") == SoftphonePassword("s", "webrtc-1002") {
		t.Error("two endpoints share a password")
	}
}

func FuzzReadAsteriskConf(f *testing.F) {
	for _, name := range []string{"pjsip.conf", "http.conf", "modules.conf"} {
		b, err := os.ReadFile(filepath.Join(asteriskDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("[a](!)\nx=1\n[b](a,c)\n")
	f.Add("x=1\n[s]\nk => v ; c\n")
	f.Fuzz(func(t *testing.T, s string) {
		p := filepath.Join(t.TempDir(), "f.conf")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		conf, err := ReadAsteriskConf(p)
		if err != nil {
			return
		}
		for _, sec := range conf {
			if sec.Name == "" || sec.Values == nil {
				t.Fatalf("section %+v", sec)
			}
		}
	})
}
