package ariemu

import (
	"strings"
	"testing"
)

// With a systemname, as asterisk.conf's, every channel id begins with it: several nodes
// under one router never make the same id.
func TestSystemNamePrefixesChannelIDs(t *testing.T) {
	for _, tc := range []struct{ name, prefix string }{{"", ""}, {"pbx-b", "pbx-b-"}} {
		e := newEnv(t, Options{SystemName: tc.name})
		id, err := e.srv.PlaceCaller(Caller{Number: "555", DID: "100"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(id, tc.prefix) || strings.Count(id, "-") != strings.Count(tc.prefix, "-") {
			t.Fatalf("systemname %q: channel id %q", tc.name, id)
		}
	}
}
