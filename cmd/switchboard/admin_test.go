package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"switchboard/internal/ariemu"
	"switchboard/internal/testkit"
)

// TestTokenReadsReportsOfRealCalls: an admin makes an API token in the browser; an
// integration reads, with that token alone, the report of calls the router really handled.
func TestTokenReadsReportsOfRealCalls(t *testing.T) {
	emu, d, _ := demoDaemon(t)
	addAccounts(t, d, testAccount{name: "root", role: "admin"})
	c := login(t, d.addr, "root")
	code, answer := apiSend(t, c, "POST", "http://"+d.addr+"/api/tokens", csrfOn(t, c, "http://"+d.addr+"/admin"), `{"name":"bi export"}`)
	var tok struct{ Token string }
	json.Unmarshal([]byte(answer), &tok)
	if code != 201 || tok.Token == "" {
		t.Fatalf("token: %d", code)
	}

	for i := range 2 {
		id, err := emu.PlaceCaller(ariemu.Caller{Number: "7999000000" + string(rune('1'+i)), DID: "5552000", TalkTime: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rec, err := emu.WaitCall(ctx, id, ariemu.Ended)
		cancel()
		if err != nil || rec.Outcome != ariemu.OutcomeCompleted {
			t.Fatalf("caller: %+v %v", rec, err)
		}
	}
	from := time.Now().UTC().Add(-time.Hour).Truncate(time.Hour)
	url := "http://" + d.addr + "/api/reports?by=queue&interval=1h&from=" + from.Format(time.RFC3339) + "&to=" + from.Add(3*time.Hour).Format(time.RFC3339)
	var rep struct {
		Totals []struct {
			Key                string
			Offered, Answered  int64
			AHT                *float64 `json:"aht_seconds"`
			Occupancy          *float64
			ServiceLevel       *float64 `json:"service_level"`
			CallbacksRequested int64    `json:"callbacks_requested"`
		}
	}
	testkit.Eventually(t, "billing's two calls in the report", func() bool {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rep.Totals = nil
		json.NewDecoder(resp.Body).Decode(&rep)
		return resp.StatusCode == 200 && len(rep.Totals) == 1 && rep.Totals[0].Key == "billing" &&
			rep.Totals[0].Offered == 2 && rep.Totals[0].Answered == 2 && rep.Totals[0].AHT != nil
	})
	if b := rep.Totals[0]; *b.AHT <= 0 || b.ServiceLevel == nil || *b.ServiceLevel != 1 || b.Occupancy == nil || *b.Occupancy <= 0 || *b.Occupancy > 1 {
		t.Fatalf("billing: aht %v sl %v occupancy %v", *b.AHT, b.ServiceLevel, b.Occupancy)
	}
}
