package main

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/sipload"
)

// The Asterisk endpoints for a load test (deploy/asterisk/pjsip_sbload.conf)
// and the go-live scenario agree: the agent contacts are the phones'
// addresses, the trunk's username is the callers' and passwords are placeholders.
func TestGoLiveScenarioMatchesAsteriskEndpoints(t *testing.T) {
	f, err := os.Open("../../deploy/asterisk/pjsip_sbload.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var contacts, users []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), ";")
		key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "contact":
			_, hostport, _ := strings.Cut(value, "@")
			contacts = append(contacts, hostport)
		case "username":
			users = append(users, value)
		case "password":
			if !strings.HasPrefix(value, "CHANGE-ME") {
				t.Errorf("password %q is not a CHANGE-ME placeholder", value)
			}
		}
	}
	r, err := os.Open("scenarios/golive.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s, err := sipload.ParseScenario(r)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(contacts, s.Phones.Listen) {
		t.Errorf("agent contacts %v, phones listen on %v", contacts, s.Phones.Listen)
	}
	if !slices.Equal(users, []string{s.Callers.Auth.User}) {
		t.Errorf("trunk usernames %v, callers authenticate as %q", users, s.Callers.Auth.User)
	}
}
