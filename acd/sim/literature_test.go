package sim

import (
	"os"
	"strconv"
	"testing"
	"time"

	"switchboard/acd"
)

// Ibrahim & Whitt's example of an overloaded M/M/s+M queue (s = 100, μ = θ = 1/min,
// λ = 120/min): the queue-length estimator QL scores a RASE of about 0.070 and QL_m, the
// expected delay given the callers ahead, about 0.046 (0.0706 and 0.0464 by the birth-death
// chain). The simulator reproduces both. QL_m is the expected delay given the whole state of
// this queue, so nothing can beat it beyond noise: switchboard, which measures μ and θ, must
// come within 0.5% of it (0.6% behind with a 2000-call memory). SIM_IW_HOURS sets a longer
// run per seed (default 100 h).
func TestIbrahimWhittFigures(t *testing.T) {
	hours := 100
	if s := os.Getenv("SIM_IW_HOURS"); s != "" {
		h, err := strconv.Atoi(s)
		if err != nil || h <= 0 {
			t.Fatalf("SIM_IW_HOURS=%q: want a positive number of hours", s)
		}
		hours = h
	}
	seeds := []int64{1, 2}
	rase := map[string]float64{}
	for _, seed := range seeds {
		sc := mm(100, 7200, time.Minute, hours, &Dist{Kind: Exponential, Mean: time.Minute})
		sc.Seed = seed
		res, err := Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range res.EWT {
			rase[name] += r.RASE / float64(len(seeds))
		}
	}
	within(t, "ql RASE (QL)", rase[acd.EstimatorQL], 0.070, 0.10)
	within(t, "ql_m RASE (QL_m, true parameters)", rase[EstimatorQLM], 0.046, 0.10)
	within(t, "ql_abandon RASE against ql_m's", rase[acd.EstimatorQLAbandon], rase[EstimatorQLM], 0.05)
	within(t, "switchboard RASE against ql_m's", rase[acd.EstimatorSwitchboard], rase[EstimatorQLM], 0.005)
}
