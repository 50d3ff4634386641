package sim

import (
	"math"
	"testing"
)

// directErlangC computes Erlang C straight from its definition,
// C = T / (Σ_{k<s} a^k/k! + T) with T = a^s/s! · s/(s−a),
// summing in log space (math.Lgamma for k!) so that it serves as an independent check of the
// recursion for any s.
func directErlangC(s int, a float64) float64 {
	logTerm := func(k int) float64 {
		lg, _ := math.Lgamma(float64(k + 1))
		return float64(k)*math.Log(a) - lg
	}
	logs := make([]float64, 0, s+1)
	for k := 0; k < s; k++ {
		logs = append(logs, logTerm(k))
	}
	logT := logTerm(s) + math.Log(float64(s)/(float64(s)-a))
	logs = append(logs, logT)
	maxLog := math.Inf(-1)
	for _, l := range logs {
		maxLog = math.Max(maxLog, l)
	}
	var sum float64
	for _, l := range logs {
		sum += math.Exp(l - maxLog)
	}
	return math.Exp(logT-maxLog) / sum
}

// smallErlangC is the plain textbook summation with factorials, for small s only.
func smallErlangC(s int, a float64) float64 {
	var sum float64
	term := 1.0 // a^k / k!
	for k := 0; k < s; k++ {
		sum += term
		term *= a / float64(k+1)
	}
	t := term * float64(s) / (float64(s) - a)
	return t / (sum + t)
}

func approx(got, want, tol float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

func TestErlangC(t *testing.T) {
	tests := []struct {
		name string
		s    int
		a    float64
		want float64
		tol  float64
	}{
		{"textbook s=10 a=8", 10, 8, 0.409, 0.0005},
		{"M/M/1 is rho", 1, 0.5, 0.5, 1e-12},
		{"M/M/1 rho=0.9", 1, 0.9, 0.9, 1e-12},
		{"M/M/2 closed form rho=0.5", 2, 1, 1.0 / 3, 1e-12},
		{"M/M/2 closed form rho=0.75", 2, 1.5, 2 * 0.75 * 0.75 / 1.75, 1e-12},
		{"no servers no load", 0, 0, 1, 0},
		{"no servers", 0, 3, 1, 0},
		{"negative servers", -1, 0, 1, 0},
		{"no load", 5, 0, 0, 0},
		{"negative load", 5, -1, 0, 0},
		{"load equals servers", 5, 5, 1, 0},
		{"overload", 5, 7.5, 1, 0},
		{"tiny load", 3, 1e-9, smallErlangC(3, 1e-9), 1e-9},
	}
	// Small s against the factorial summation.
	for _, c := range []struct {
		s int
		a float64
	}{{3, 2.5}, {10, 8}, {10, 9.9}, {20, 15}, {50, 45}, {100, 90}} {
		tests = append(tests, struct {
			name string
			s    int
			a    float64
			want float64
			tol  float64
		}{"direct sum", c.s, c.a, smallErlangC(c.s, c.a), 1e-10})
	}
	// Large s, where factorials overflow, against the log-space summation.
	for _, c := range []struct {
		s int
		a float64
	}{{171, 160}, {500, 480}, {1000, 900}, {2000, 1950}, {2000, 1999.5}, {2000, 1500}} {
		tests = append(tests, struct {
			name string
			s    int
			a    float64
			want float64
			tol  float64
		}{"log-space sum", c.s, c.a, directErlangC(c.s, c.a), 1e-9})
	}
	for _, tt := range tests {
		got := ErlangC(tt.s, tt.a)
		if !approx(got, tt.want, tt.tol) {
			t.Errorf("%s: ErlangC(%d, %v) = %.12g, want %.12g", tt.name, tt.s, tt.a, got, tt.want)
		}
	}
}

func TestErlangCIndependentChecksAgree(t *testing.T) {
	// The two reference computations must agree where both work, or neither proves anything.
	for _, s := range []int{1, 2, 5, 10, 40, 100} {
		for _, rho := range []float64{0.1, 0.5, 0.9, 0.99} {
			a := rho * float64(s)
			if x, y := smallErlangC(s, a), directErlangC(s, a); !approx(x, y, 1e-10) {
				t.Errorf("s=%d a=%v: factorial sum %.12g, log-space sum %.12g", s, a, x, y)
			}
		}
	}
}

func TestErlangCProperties(t *testing.T) {
	for _, s := range []int{1, 2, 10, 100, 2000} {
		prev := 0.0
		for i := 1; i < 100; i++ {
			a := float64(s) * float64(i) / 100
			c := ErlangC(s, a)
			if math.IsNaN(c) || c < 0 || c > 1 {
				t.Fatalf("ErlangC(%d, %v) = %v, want within [0, 1]", s, a, c)
			}
			if c < prev {
				t.Fatalf("ErlangC(%d, %v) = %v < %v at lower load", s, a, c, prev)
			}
			prev = c
		}
	}
	// More servers for the same load never raise the chance of waiting.
	for s := 9; s < 2000; s++ {
		if ErlangC(s+1, 8.5) > ErlangC(s, 8.5) {
			t.Fatalf("ErlangC rises from s=%d to s=%d", s, s+1)
		}
	}
}

func TestErlangASA(t *testing.T) {
	tests := []struct {
		name   string
		s      int
		lambda float64 // calls per second
		h      float64 // seconds
		want   float64
	}{
		// M/M/1: Wq = ρ/(μ−λ); ρ = 0.5, μ = 1/60 → 60 s.
		{"M/M/1", 1, 1.0 / 120, 60, 60},
		// s=10, a=8, h=180: C/(10/180 − 8/180) = 90·C.
		{"textbook s=10 a=8", 10, 8.0 / 180, 180, 90 * smallErlangC(10, 8)},
		{"large", 2000, 1950.0 / 300, 300, directErlangC(2000, 1950) / ((2000.0 - 1950) / 300)},
		{"no calls", 3, 0, 180, 0},
		{"no handle time", 3, 1, 0, 0},
		{"unstable", 10, 10.0 / 180, 180, math.Inf(1)},
		{"no servers", 0, 1, 1, math.Inf(1)},
	}
	for _, tt := range tests {
		if got := ErlangASA(tt.s, tt.lambda, tt.h); !approx(got, tt.want, 1e-9) {
			t.Errorf("%s: ErlangASA(%d, %v, %v) = %.12g, want %.12g", tt.name, tt.s, tt.lambda, tt.h, got, tt.want)
		}
	}
}

func TestErlangServiceLevel(t *testing.T) {
	tests := []struct {
		name      string
		s         int
		lambda, h float64
		threshold float64
		want      float64
	}{
		// M/M/1, ρ = 0.5, μ−λ = 1/120: 1 − 0.5·e^{−60/120}.
		{"M/M/1", 1, 1.0 / 120, 60, 60, 1 - 0.5*math.Exp(-0.5)},
		{"zero threshold is 1-C", 10, 8.0 / 180, 180, 0, 1 - smallErlangC(10, 8)},
		{"textbook s=10 a=8 t=20", 10, 8.0 / 180, 180, 20, 1 - smallErlangC(10, 8)*math.Exp(-2.0/180*20)},
		{"long threshold", 10, 8.0 / 180, 180, 1e6, 1},
		{"negative threshold", 10, 8.0 / 180, 180, -1, 0},
		{"unstable", 10, 11.0 / 180, 180, 20, 0},
		{"no calls", 10, 0, 180, 20, 1},
	}
	for _, tt := range tests {
		if got := ErlangServiceLevel(tt.s, tt.lambda, tt.h, tt.threshold); !approx(got, tt.want, 1e-12) {
			t.Errorf("%s: ErlangServiceLevel(%d, %v, %v, %v) = %.12g, want %.12g",
				tt.name, tt.s, tt.lambda, tt.h, tt.threshold, got, tt.want)
		}
	}
}

// bruteAgentsFor finds the staffing by trying every s with the independent reference.
func bruteAgentsFor(lambda, h, threshold, goal float64) int {
	a := lambda * h
	for s := 1; ; s++ {
		if float64(s) <= a {
			continue
		}
		sl := 1 - directErlangC(s, a)*math.Exp(-(float64(s)/h-lambda)*threshold)
		if sl >= goal {
			return s
		}
	}
}

func TestErlangAgentsFor(t *testing.T) {
	tests := []struct {
		name               string
		lambda, h, t, goal float64
		want               int
	}{
		{"no calls", 0, 180, 20, 0.8, 0},
		{"no handle time", 1, 0, 20, 0.8, 0},
		{"goal 1 is unreachable", 1.0 / 60, 180, 20, 1, -1},
		{"goal above 1", 1.0 / 60, 180, 20, 1.5, -1},
		{"negative threshold", 1.0 / 60, 180, -1, 0.8, -1},
		{"NaN", math.NaN(), 180, 20, 0.8, -1},
		{"too much load", 1e7, 1, 20, 0.8, -1},
		// Any goal ≤ 0 is met by the first stable staffing: a = 8 → 9 agents.
		{"goal zero", 8.0 / 180, 180, 20, 0, 9},
		// a = 8 exactly on an integer: 8 agents are unstable.
		{"integer load", 8.0 / 180, 180, 20, -1, 9},
		// The usual textbook case: 10 Erlangs, 80% in 20 s needs 14 agents (13 give 79.6%).
		{"textbook 10 Erlangs 80/20", 200.0 / 3600, 180, 20, 0.8, 14},
	}
	for _, tt := range tests {
		if got := AgentsFor(tt.lambda, tt.h, tt.t, tt.goal); got != tt.want {
			t.Errorf("%s: AgentsFor(%v, %v, %v, %v) = %d, want %d", tt.name, tt.lambda, tt.h, tt.t, tt.goal, got, tt.want)
		}
	}

	// Against a brute-force search with the independent formula, and the defining property:
	// s meets the goal and s−1 does not.
	for _, c := range []struct{ perHour, h, t, goal float64 }{
		{200, 180, 20, 0.8},  // 10 Erlangs, 80/20
		{160, 180, 20, 0.8},  // the s=10, a=8 textbook case
		{180, 180, 20, 0.9},  // mm10.yaml's load
		{60, 300, 30, 0.95},  //
		{3600, 240, 15, 0.8}, // 240 Erlangs
		{29000, 240, 20, 0.85},
		{10, 600, 60, 0.5},
	} {
		lambda := c.perHour / 3600
		got := AgentsFor(lambda, c.h, c.t, c.goal)
		if want := bruteAgentsFor(lambda, c.h, c.t, c.goal); got != want {
			t.Errorf("AgentsFor(%v/h, %v, %v, %v) = %d, brute force says %d", c.perHour, c.h, c.t, c.goal, got, want)
		}
		if sl := ErlangServiceLevel(got, lambda, c.h, c.t); sl < c.goal {
			t.Errorf("AgentsFor(%v/h, ...) = %d but its service level %v < %v", c.perHour, got, sl, c.goal)
		}
		if sl := ErlangServiceLevel(got-1, lambda, c.h, c.t); sl >= c.goal {
			t.Errorf("AgentsFor(%v/h, ...) = %d but %d agents already reach %v", c.perHour, got, got-1, sl)
		}
	}
}
