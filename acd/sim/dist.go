package sim

import (
	"math"
	"math/rand/v2"
	"time"
)

// sample draws a duration from d.
func sample(r *rand.Rand, d Dist) time.Duration {
	mean := d.Mean.Seconds()
	var s float64
	switch d.Kind {
	case Deterministic:
		s = mean
	case Lognormal:
		sd := d.Stddev.Seconds()
		sigma2 := math.Log(1 + sd*sd/(mean*mean))
		mu := math.Log(mean) - sigma2/2
		s = math.Exp(mu + math.Sqrt(sigma2)*r.NormFloat64())
	default:
		s = r.ExpFloat64() * mean
	}
	return time.Duration(s * float64(time.Second))
}

const day = 24 * time.Hour

// nextArrival returns the next Poisson arrival after from, walking the piecewise rate; zero
// when the rate is zero everywhere.
func nextArrival(r *rand.Rand, a Arrivals, from time.Time) time.Time {
	e := r.ExpFloat64() // unit-rate work left to do
	if len(a.Profile) == 0 {
		if a.RatePerHour <= 0 {
			return time.Time{}
		}
		return from.Add(time.Duration(e / (a.RatePerHour / 3600) * float64(time.Second)))
	}
	t := from
	for guard := 0; guard < 10*len(a.Profile)+10; guard++ {
		rate, segEnd := segment(a.Profile, t)
		perSec := rate / 3600
		span := segEnd.Sub(t).Seconds()
		if perSec > 0 && e <= perSec*span {
			return t.Add(time.Duration(e / perSec * float64(time.Second)))
		}
		e -= perSec * span
		t = segEnd
	}
	return time.Time{}
}

// segment returns the rate in force at t and when it next changes.
func segment(p []RateStep, t time.Time) (float64, time.Time) {
	off := t.Sub(epoch) % day
	dayStart := t.Add(-off)
	i := len(p) - 1
	for j := range p {
		if p[j].At > off {
			i = j - 1
			break
		}
	}
	if i < 0 { // before the first step: the last step of the previous day holds
		return p[len(p)-1].RatePerHour, dayStart.Add(p[0].At)
	}
	end := dayStart.Add(day)
	if i+1 < len(p) {
		end = dayStart.Add(p[i+1].At)
	}
	return p[i].RatePerHour, end
}
