package acd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The learnt handle time and abandonment rate are steady enough for a queue-length
// estimate: a short memory makes them noisy, and in a big queue that noise, not the model,
// dominates the estimate's error (a 200-call handle-time average on 100 agents put ql's RASE
// at 0.081 where Ibrahim & Whitt's QL has 0.071).
func TestLearntRatesAreSteady(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const (
		aht       = 60.0
		meanWait  = 10.0
		pAbandon  = 0.16
		trueTheta = pAbandon / meanWait
		warm      = 20000
		n         = 200000
	)
	var h history
	var ahtSq, thetaSq float64
	for i := 0; i < warm+n; i++ {
		h.handled(rng.ExpFloat64() * aht)
		w := rng.ExpFloat64() * meanWait
		if rng.Float64() < pAbandon {
			h.abandoned(w)
		} else {
			h.departed(w, 0)
		}
		if i >= warm {
			ahtSq += math.Pow(h.aht/aht-1, 2)
			thetaSq += math.Pow(h.theta()/trueTheta-1, 2)
		}
	}
	for _, c := range []struct {
		what     string
		rms, max float64
	}{
		{"handle time", math.Sqrt(ahtSq / n), 0.03},
		{"abandonment rate", math.Sqrt(thetaSq / n), 0.06},
	} {
		if c.rms > c.max {
			t.Errorf("%s: relative RMS error %.3f, want at most %.2f", c.what, c.rms, c.max)
		} else {
			t.Logf("%s: relative RMS error %.3f", c.what, c.rms)
		}
	}
}
