package ariemu

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDialedNumber(t *testing.T) {
	for in, want := range map[string]string{
		"+4930123@trunk":             "+4930123",
		"trunk/sip:+4930123@carrier": "+4930123",
		"+4930123":                   "+4930123",
		"1001":                       "1001",
		"tel:+1555":                  "+1555",
	} {
		if got := DialedNumber(in); got != want {
			t.Errorf("DialedNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

// A customer dialed through a trunk behaves like an agent phone on the wire (the same events
// as an outbound originate in the traces) and is recorded as a customer with its number.
func TestCustomers(t *testing.T) {
	e := newEnv(t, Options{Speed: 20})
	ws := e.connect("switchboard")
	e.srv.SetCustomer("+4930111", Phone{Behaviour: PhoneBusy, AnswerAfter: 50 * time.Millisecond})
	req, _ := http.NewRequest("PUT", e.ts.URL+"/control/customers/+4930222", strings.NewReader(`{"behaviour":"answer","answer_after_ms":40}`))
	req.SetBasicAuth(testUser, testPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("put customer: %v %v", resp, err)
	}
	resp.Body.Close()

	busy := e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/+4930111@trunk", "app": "switchboard", "appArgs": "callback,x", "timeout": 2})
	evs := ws.expect("Dial", "Dial", "ChannelDestroyed")
	if evs[1]["dialstatus"] != "BUSY" || evs[2]["cause"] != 17.0 {
		t.Fatalf("busy customer: %v", evs)
	}
	rec, _ := e.srv.Call(busy["id"].(string))
	if rec.Kind != KindCustomer || rec.Number != "+4930111" || rec.Outcome != OutcomeBusy {
		t.Fatalf("busy record: %+v", rec)
	}

	ok := e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/+4930222@trunk", "app": "switchboard", "appArgs": "callback,y", "timeout": 5})
	evs = ws.expect("Dial", "ChannelStateChange", "Dial", "ChannelStateChange", "Dial", "StasisStart")
	if evs[4]["dialstatus"] != "ANSWER" || str(evs[5], "channel", "id") != ok["id"] {
		t.Fatalf("answering customer: %v", evs)
	}
	// Once bridged with another channel, the customer hangs up after its talk time.
	e.srv.SetCustomer("+4930333", Phone{AnswerAfter: 10 * time.Millisecond, TalkTime: 40 * time.Millisecond})
	talker := e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/+4930333@trunk", "app": "switchboard", "appArgs": "callback,z", "timeout": 5})
	peer := e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/1002", "app": "switchboard", "appArgs": "agent,z", "timeout": 5})
	ws.next("StasisStart")
	ws.next("StasisStart")
	br := e.must(200, "POST", "/bridges", map[string]any{"type": "mixing"})
	e.must(204, "POST", "/bridges/"+br["id"].(string)+"/addChannel", map[string]any{"channel": []string{talker["id"].(string), peer["id"].(string)}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rec, err = e.srv.WaitCall(ctx, talker["id"].(string), Ended)
	if err != nil || rec.HungUpBy != "customer" || rec.Outcome != OutcomeCompleted {
		t.Fatalf("talking customer: %+v %v", rec, err)
	}
	// An agent endpoint is not a customer.
	e.must(200, "POST", "/channels", map[string]any{"endpoint": "PJSIP/1001", "app": "switchboard", "appArgs": "agent,z", "timeout": 5})
	if got := e.srv.CustomerCalls("+4930222"); len(got) != 1 || got[0].ChannelID != ok["id"] {
		t.Fatalf("calls to +4930222: %+v", got)
	}
	if got := e.srv.CustomerCalls("1001"); len(got) != 0 {
		t.Fatalf("agent counted as a customer: %+v", got)
	}
}

func FuzzDialedNumber(f *testing.F) {
	for _, s := range []string{"+4930123@trunk", "trunk/sip:+4930123@carrier", "1001", "", "@", "a/b/c@d@e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resource string) {
		n := DialedNumber(resource)
		if len(n) > len(resource) || strings.ContainsAny(n, "/@") {
			t.Fatalf("DialedNumber(%q) = %q", resource, n)
		}
	})
}
