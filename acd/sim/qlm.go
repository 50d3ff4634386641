package sim

import (
	"slices"

	"switchboard/acd"
)

// EstimatorQLM names the reference estimator that only a simulator can run: QL_m of Ibrahim
// and Whitt with the model's true parameters. For a caller with n callers ahead it predicts
// Σ_{i=0..n} 1/(sμ + iθ), where s counts the agents who serve the queue, μ is 1 ÷ the mean
// handle time and θ is 1 ÷ the mean patience (0 without abandonment). In an M/M/s+M queue it
// is the expected delay given n, the best any estimator that sees only n can do; in other
// scenarios (shared agents, non-exponential times) it is only a yardstick.
const EstimatorQLM = "ql_m"

// qlmTruth is one queue's model parameters, per second.
type qlmTruth struct {
	rate  float64 // sμ
	theta float64
}

func truths(sc Scenario) []qlmTruth {
	t := make([]qlmTruth, len(sc.Queues))
	for i, q := range sc.Queues {
		s := 0
		for _, g := range sc.Agents {
			if slices.Contains(g.Queues, q.Name) {
				s += g.Count
			}
		}
		if m := q.HandleTime.Mean.Seconds(); m > 0 {
			t[i].rate = float64(s) / m
		}
		if q.Patience != nil && q.Patience.Mean > 0 {
			t[i].theta = 1 / q.Patience.Mean.Seconds()
		}
	}
	return t
}

// predictQLM fills ql_m's slot of predict for a caller about to join queue qi: zero when an
// agent would take the call at once (as every estimator says), else the QL_m sum over the
// callers now waiting.
func (r *runner) predictQLM(qi int, predict []float64) error {
	at := slices.Index(r.ests, EstimatorQLM)
	name := r.sc.Queues[qi].Name
	d, err := r.e.EstimateJoin(name, 0, acd.EstimatorQL)
	if err != nil {
		return err
	}
	if d == 0 {
		predict[at] = 0
		return nil
	}
	waiting, err := r.e.Waiting(name)
	if err != nil {
		return err
	}
	predict[at] = qlmSum(r.truth[qi], len(waiting))
	return nil
}

// qlmSum is Σ_{i=0..n} 1/(sμ + iθ), in seconds.
func qlmSum(t qlmTruth, n int) float64 {
	if t.rate <= 0 {
		return 0
	}
	s := 0.0
	for i := 0; i <= n; i++ {
		s += 1 / (t.rate + float64(i)*t.theta)
	}
	return s
}
