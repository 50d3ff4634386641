package config

import (
	"bufio"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// AsteriskSection is one [section] of an Asterisk .conf file with its templates' settings
// applied (the later line of a key wins).
type AsteriskSection struct {
	Name     string
	Template bool
	Values   map[string]string
	Line     int
}

var confHeader = regexp.MustCompile(`^\[([^\]]+)\](?:\(([^)]*)\))?$`)

// ReadAsteriskConf parses an Asterisk .conf file: sections, "key = value" and "key => value",
// ";" comments, templates ((!)) and inheritance ((tmpl1,tmpl2)). Sections of the same name
// stay separate (pjsip.conf has an endpoint, an auth and an aor of one name).
func ReadAsteriskConf(path string) ([]*AsteriskSection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*AsteriskSection
	templates := map[string]*AsteriskSection{}
	var cur *AsteriskSection
	sc := bufio.NewScanner(f)
	name := filepath.Base(path)
	for n := 1; sc.Scan(); n++ {
		text, _, _ := strings.Cut(sc.Text(), ";")
		if text = strings.TrimSpace(text); text == "" {
			continue
		}
		if m := confHeader.FindStringSubmatch(text); m != nil {
			cur = &AsteriskSection{Name: m[1], Values: map[string]string{}, Line: n}
			for _, tmpl := range strings.Split(m[2], ",") {
				switch tmpl = strings.TrimSpace(tmpl); {
				case tmpl == "":
				case tmpl == "!":
					cur.Template = true
				case templates[tmpl] != nil:
					for k, v := range templates[tmpl].Values {
						cur.Values[k] = v
					}
				default:
					return nil, fmt.Errorf("%s:%d: unknown template %q", name, n, tmpl)
				}
			}
			if cur.Template {
				templates[cur.Name] = cur
			}
			out = append(out, cur)
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if cur == nil || !ok {
			return nil, fmt.Errorf("%s:%d: not a setting in a section: %q", name, n, text)
		}
		cur.Values[strings.TrimSpace(key)] = strings.TrimSpace(strings.TrimPrefix(value, ">"))
	}
	return out, sc.Err()
}

// findSection returns the non-template section called name of type typ ("" any), or nil.
func findSection(conf []*AsteriskSection, name, typ string) *AsteriskSection {
	for _, s := range conf {
		if s.Name == name && !s.Template && (typ == "" || s.Values["type"] == typ) {
			return s
		}
	}
	return nil
}

// CheckSoftphoneAsterisk checks that the Asterisk configuration in dir (pjsip.conf, http.conf)
// serves c's browser phones: every agent's browser endpoint is a WebRTC endpoint on a wss
// transport with its auth and aor, and http.conf serves TLS on ws_url's port. Nil without a
// softphone: section.
func CheckSoftphoneAsterisk(c *Config, dir string) []error {
	if c.Softphone == nil {
		return nil
	}
	var errs []error
	pjsip, err := ReadAsteriskConf(filepath.Join(dir, "pjsip.conf"))
	if err != nil {
		return []error{err}
	}
	httpConf, err := ReadAsteriskConf(filepath.Join(dir, "http.conf"))
	if err != nil {
		return []error{err}
	}
	for _, a := range c.Agents {
		name := strings.TrimPrefix(c.Softphone.AgentEndpoint(a.ID), "PJSIP/")
		ep := findSection(pjsip, name, "endpoint")
		if ep == nil {
			errs = append(errs, fmt.Errorf("pjsip.conf: agent %s's browser phone %s is not an endpoint", a.ID, name))
			continue
		}
		if ep.Values["webrtc"] != "yes" {
			errs = append(errs, fmt.Errorf("pjsip.conf:%d: endpoint %s lacks webrtc=yes (DTLS-SRTP, ICE)", ep.Line, name))
		}
		if tr := findSection(pjsip, ep.Values["transport"], "transport"); tr == nil || tr.Values["protocol"] != "wss" {
			errs = append(errs, fmt.Errorf("pjsip.conf:%d: endpoint %s's transport %q is not a protocol=wss transport", ep.Line, name, ep.Values["transport"]))
		}
		if findSection(pjsip, ep.Values["auth"], "auth") == nil || findSection(pjsip, ep.Values["aors"], "aor") == nil {
			errs = append(errs, fmt.Errorf("pjsip.conf:%d: endpoint %s lacks its auth or aor section", ep.Line, name))
		}
		if !strings.Contains(ep.Values["allow"], "opus") && !strings.Contains(ep.Values["allow"], "ulaw") && !strings.Contains(ep.Values["allow"], "alaw") {
			errs = append(errs, fmt.Errorf("pjsip.conf:%d: endpoint %s allows no browser codec (opus, ulaw, alaw)", ep.Line, name))
		}
	}
	u, _ := url.Parse(c.Softphone.WSURL)
	general := findSection(httpConf, "general", "")
	switch {
	case general == nil:
		errs = append(errs, fmt.Errorf("http.conf: no [general]"))
	case u.Scheme == "wss" && general.Values["tlsenable"] != "yes":
		errs = append(errs, fmt.Errorf("http.conf: tlsenable is not yes, but softphone.ws_url is %s", c.Softphone.WSURL))
	case u.Scheme == "wss":
		_, port, err := net.SplitHostPort(general.Values["tlsbindaddr"])
		if err != nil || port != u.Port() {
			errs = append(errs, fmt.Errorf("http.conf: tlsbindaddr %q, but softphone.ws_url %s has port %s", general.Values["tlsbindaddr"], c.Softphone.WSURL, u.Port()))
		}
		if general.Values["tlscertfile"] == "" || general.Values["tlsprivatekey"] == "" {
			errs = append(errs, fmt.Errorf("http.conf: TLS without tlscertfile and tlsprivatekey"))
		}
	}
	if u.Path != "/ws" {
		errs = append(errs, fmt.Errorf("softphone.ws_url %s: Asterisk serves SIP websockets at /ws", c.Softphone.WSURL))
	}
	return errs
}
