package sim

import (
	"math"
	"testing"
	"time"
)

func mm(servers int, ratePerHour float64, handle time.Duration, hours int, patience *Dist) Scenario {
	return Scenario{
		Duration: time.Duration(hours) * time.Hour, Warmup: time.Hour, Seed: 7, ServiceLevelThreshold: 20 * time.Second,
		Queues: []QueueSpec{{Name: "q", Arrivals: Arrivals{RatePerHour: ratePerHour}, HandleTime: Dist{Kind: Exponential, Mean: handle}, Patience: patience}},
		Agents: []AgentGroup{{Count: servers, Queues: []string{"q"}}},
	}
}

func within(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s: got %.4f, want %.4f ±%.3g%%", what, got, want, rel*100)
	} else {
		t.Logf("%s: got %.4f, theory %.4f", what, got, want)
	}
}

// The simulator agrees with Erlang C on M/M/s queues without abandonment.
func TestErlangCAgreement(t *testing.T) {
	cases := []struct {
		servers int
		rate    float64 // per hour
		handle  time.Duration
	}{
		{10, 160, 3 * time.Minute}, // ρ = 0.8
		{10, 180, 3 * time.Minute}, // ρ = 0.9
		{50, 900, 3 * time.Minute}, // ρ = 0.9, larger
	}
	for _, c := range cases {
		res, err := Run(mm(c.servers, c.rate, c.handle, 2000, nil))
		if err != nil {
			t.Fatal(err)
		}
		q := res.Queues["q"]
		lambda, h := c.rate/3600, c.handle.Seconds()
		within(t, "P(wait)", q.WaitProbability, ErlangC(c.servers, lambda*h), 0.03)
		within(t, "ASA", q.ASA, ErlangASA(c.servers, lambda, h), 0.08)
		within(t, "service level", q.ServiceLevel, ErlangServiceLevel(c.servers, lambda, h, 20), 0.03)
		within(t, "occupancy", res.Agents.Occupancy, lambda*h/float64(c.servers), 0.02)
		if q.Abandoned != 0 || q.Answered != q.Offered {
			t.Errorf("no patience, yet %d abandoned of %d", q.Abandoned, q.Offered)
		}
	}
}

// In M/M/s without abandonment the queue-length estimator's RASE is 1−ρ (Ibrahim & Whitt
// 2009); delay-history estimators do about twice as badly.
func TestQLRASEMatchesTheory(t *testing.T) {
	for _, rho := range []float64{0.8, 0.9} {
		res, err := Run(mm(10, rho*10*20, 3*time.Minute, 2000, nil))
		if err != nil {
			t.Fatal(err)
		}
		within(t, "ql RASE", res.EWT["ql"].RASE, 1-rho, 0.15)
		within(t, "ql_m (true parameters) RASE", res.EWT[EstimatorQLM].RASE, 1-rho, 0.08)
		for _, name := range []string{"les", "hol"} {
			if r := res.EWT[name].RASE / res.EWT["ql"].RASE; r < 1.5 || r > 2.6 {
				t.Errorf("ρ=%.1f: %s RASE is %.2f× ql's, want about 2×", rho, name, r)
			}
		}
	}
}

func TestDeterministicSeed(t *testing.T) {
	sc := mm(5, 80, 3*time.Minute, 50, &Dist{Kind: Exponential, Mean: time.Minute})
	a, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(sc)
	if a.Queues["q"] != b.Queues["q"] || a.EWT["ql"] != b.EWT["ql"] {
		t.Fatal("same seed, different results")
	}
	sc.Seed++
	c, _ := Run(sc)
	if a.Queues["q"] == c.Queues["q"] {
		t.Fatal("different seed, same results")
	}
	if q := a.Queues["q"]; q.Abandoned == 0 || q.Answered+q.Abandoned != q.Offered {
		t.Fatalf("abandonment not simulated or calls lost: %+v", q)
	}
}
