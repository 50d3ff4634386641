package sipload

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the counters of a run, shared by callers and phones.
type Stats struct {
	Media MediaStats

	Attempted atomic.Int64 // INVITEs placed by callers
	Answered  atomic.Int64 // caller INVITEs answered with 2xx
	Abandoned atomic.Int64 // caller gave up (patience) and sent CANCEL
	Completed atomic.Int64 // answered calls ended by a BYE either way
	RemoteBye atomic.Int64 // answered calls the far end hung up
	Told      atomic.Int64 // answered calls hung up on the operator's request
	Redirects atomic.Int64 // 3xx followed
	Auth      atomic.Int64 // digest challenges answered
	ReInvites atomic.Int64 // re-INVITEs answered
	Active    atomic.Int64 // calls up now (callers and phones)

	Offered   atomic.Int64 // INVITEs reaching phones
	PhoneAns  atomic.Int64 // phone answers
	Busy      atomic.Int64 // phone 486s
	Ignored   atomic.Int64 // phone never answered
	Malformed atomic.Int64 // SIP messages from the far end that could not be parsed
	Stray     atomic.Int64 // SIP responses matching no transaction (late retransmissions)

	mu      sync.Mutex
	failed  map[int]int64 // final non-2xx by code; 0 is a timeout or transport error
	setup   []time.Duration
	classes []*classStats // callers' classes in scenario order
}

// classStats are one caller class's share of the call counters.
type classStats struct {
	name                           string
	attempted, answered, abandoned int64
	failed                         map[int]int64
	setup                          []time.Duration
}

// NewStats returns empty counters.
func NewStats() *Stats { return &Stats{failed: map[int]int64{}} }

// class returns the counters of the named class, creating them; s.mu held.
func (s *Stats) class(name string) *classStats {
	for _, c := range s.classes {
		if c.name == name {
			return c
		}
	}
	c := &classStats{name: name, failed: map[int]int64{}}
	s.classes = append(s.classes, c)
	return c
}

// Attempt counts a call attempt of a caller class.
func (s *Stats) Attempt(class string) {
	s.Attempted.Add(1)
	s.mu.Lock()
	s.class(class).attempted++
	s.mu.Unlock()
}

// Abandon counts a call of a caller class given up before answer.
func (s *Stats) Abandon(class string) {
	s.Abandoned.Add(1)
	s.mu.Lock()
	s.class(class).abandoned++
	s.mu.Unlock()
}

// Fail counts a failed call attempt by SIP status (0: no response); class
// is "" for calls to the phones.
func (s *Stats) Fail(class string, code int) {
	s.mu.Lock()
	s.failed[code]++
	if class != "" {
		s.class(class).failed[code]++
	}
	s.mu.Unlock()
}

// Answer records an answered call of a caller class and its setup time
// (INVITE sent to 200 OK received).
func (s *Stats) Answer(class string, setup time.Duration) {
	s.Answered.Add(1)
	s.mu.Lock()
	s.setup = append(s.setup, setup)
	c := s.class(class)
	c.answered++
	c.setup = append(c.setup, setup)
	s.mu.Unlock()
}

// Summary is a snapshot of Stats, the JSON of `sbload --json`.
type Summary struct {
	Elapsed         float64          `json:"elapsed_s"`
	Attempted       int64            `json:"attempted"`
	Answered        int64            `json:"answered"`
	Failed          int64            `json:"failed"`
	FailedBy        map[string]int64 `json:"failed_by_code"`
	Abandoned       int64            `json:"abandoned"`
	Completed       int64            `json:"completed"`
	RemoteBye       int64            `json:"remote_bye"`
	HungUpOnRequest int64            `json:"hung_up_on_request"`
	Redirects       int64            `json:"redirects"`
	AuthChallenges  int64            `json:"auth_challenges"`
	ReInvites       int64            `json:"reinvites"`
	Active          int64            `json:"active"`
	Setup           Quantiles        `json:"setup_ms"`
	Classes         []ClassSummary   `json:"classes,omitempty"`
	Offered         int64            `json:"phone_offered"`
	PhoneAns        int64            `json:"phone_answered"`
	Busy            int64            `json:"phone_busy"`
	Ignored         int64            `json:"phone_noanswer"`
	RTPSent         int64            `json:"rtp_sent"`
	RTPRecv         int64            `json:"rtp_received"`
	RTPLost         int64            `json:"rtp_lost"`
	JitterMeanMs    float64          `json:"rtp_jitter_mean_ms"`
	JitterMaxMs     float64          `json:"rtp_jitter_max_ms"`
	DTMFSent        int64            `json:"dtmf_sent"`
	DTMFRecv        int64            `json:"dtmf_received"`
	Malformed       int64            `json:"sip_malformed"`
	Stray           int64            `json:"sip_stray_responses"`
	MediaErrors     int64            `json:"rtp_errors"`
}

// ClassSummary is one caller class's part of a Summary.
type ClassSummary struct {
	Name      string           `json:"name"`
	Attempted int64            `json:"attempted"`
	Answered  int64            `json:"answered"`
	Failed    int64            `json:"failed"`
	FailedBy  map[string]int64 `json:"failed_by_code"`
	Abandoned int64            `json:"abandoned"`
	Setup     Quantiles        `json:"setup_ms"`
}

// Quantiles of setup time in milliseconds, exact (nearest rank over every sample).
type Quantiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Quantile is the nearest-rank q-quantile of sorted samples.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(q*float64(len(sorted)) + 0.999999999)
	k = max(1, min(k, len(sorted)))
	return sorted[k-1]
}

// Snapshot summarizes the counters so far.
func (s *Stats) Snapshot(elapsed time.Duration) Summary {
	s.mu.Lock()
	q := quantiles(slices.Clone(s.setup))
	by, failed := byCode(s.failed)
	var classes []ClassSummary
	for _, c := range s.classes {
		cby, cfailed := byCode(c.failed)
		classes = append(classes, ClassSummary{Name: c.name, Attempted: c.attempted, Answered: c.answered,
			Failed: cfailed, FailedBy: cby, Abandoned: c.abandoned, Setup: quantiles(slices.Clone(c.setup))})
	}
	s.mu.Unlock()
	var jmean float64
	if n := s.Media.JitterStreams.Load(); n > 0 {
		jmean = float64(s.Media.JitterSum.Load()) / float64(n) / 8
	}
	return Summary{
		JitterMeanMs: jmean, JitterMaxMs: float64(s.Media.JitterMax.Load()) / 8,
		Elapsed: elapsed.Seconds(), Attempted: s.Attempted.Load(), Answered: s.Answered.Load(),
		Failed: failed, FailedBy: by, Abandoned: s.Abandoned.Load(), Completed: s.Completed.Load(),
		RemoteBye: s.RemoteBye.Load(), HungUpOnRequest: s.Told.Load(), Redirects: s.Redirects.Load(), AuthChallenges: s.Auth.Load(),
		ReInvites: s.ReInvites.Load(), Active: s.Active.Load(), Setup: q, Classes: classes,
		Offered: s.Offered.Load(), PhoneAns: s.PhoneAns.Load(), Busy: s.Busy.Load(), Ignored: s.Ignored.Load(),
		RTPSent: s.Media.Sent.Load(), RTPRecv: s.Media.Received.Load(), RTPLost: s.Media.Lost.Load(),
		DTMFSent: s.Media.DTMFSent.Load(), DTMFRecv: s.Media.DTMFRecv.Load(),
		Malformed: s.Malformed.Load(), Stray: s.Stray.Load(), MediaErrors: s.Media.Errors.Load(),
	}
}

func byCode(failed map[int]int64) (map[string]int64, int64) {
	by := map[string]int64{}
	var n int64
	for code, k := range failed {
		by[fmt.Sprint(code)] = k
		n += k
	}
	return by, n
}

// quantiles sorts setup and summarizes it in milliseconds.
func quantiles(setup []time.Duration) Quantiles {
	slices.Sort(setup)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	q := Quantiles{N: len(setup)}
	if len(setup) > 0 {
		q.P50, q.P95, q.P99 = ms(Quantile(setup, .50)), ms(Quantile(setup, .95)), ms(Quantile(setup, .99))
		q.Max = ms(setup[len(setup)-1])
	}
	return q
}

// WriteText prints a summary as one line (progress) or a block (final).
func (m Summary) WriteText(w io.Writer, final bool) {
	codes := codeList(m.FailedBy)
	if !final {
		fmt.Fprintf(w, "%6.1fs attempted=%d answered=%d failed=%d [%s] active=%d setup p50/p95/p99=%.1f/%.1f/%.1f ms rtp sent/recv/lost=%d/%d/%d dtmf=%d\n",
			m.Elapsed, m.Attempted, m.Answered, m.Failed, codes, m.Active,
			m.Setup.P50, m.Setup.P95, m.Setup.P99, m.RTPSent, m.RTPRecv, m.RTPLost, m.DTMFSent)
		return
	}
	fmt.Fprintf(w, "elapsed          %.1f s\n", m.Elapsed)
	fmt.Fprintf(w, "calls            attempted %d, answered %d, failed %d, abandoned %d, completed %d (far-end BYE %d, hung up on request %d)\n",
		m.Attempted, m.Answered, m.Failed, m.Abandoned, m.Completed, m.RemoteBye, m.HungUpOnRequest)
	fmt.Fprintf(w, "failed by code   %s\n", codes)
	fmt.Fprintf(w, "setup (ms)       n=%d p50=%.2f p95=%.2f p99=%.2f max=%.2f\n", m.Setup.N, m.Setup.P50, m.Setup.P95, m.Setup.P99, m.Setup.Max)
	for _, c := range m.Classes {
		fmt.Fprintf(w, "  class %-10s attempted %d, answered %d, failed %d %s, abandoned %d, setup p50/p95/p99 %.2f/%.2f/%.2f ms\n",
			c.Name, c.Attempted, c.Answered, c.Failed, codeList(c.FailedBy), c.Abandoned, c.Setup.P50, c.Setup.P95, c.Setup.P99)
	}
	fmt.Fprintf(w, "phones           offered %d, answered %d, busy %d, no answer %d\n", m.Offered, m.PhoneAns, m.Busy, m.Ignored)
	fmt.Fprintf(w, "rtp              sent %d, received %d, lost %d, errors %d, jitter mean %.2f ms, max %.2f ms\n",
		m.RTPSent, m.RTPRecv, m.RTPLost, m.MediaErrors, m.JitterMeanMs, m.JitterMaxMs)
	fmt.Fprintf(w, "dtmf             sent %d, received %d\n", m.DTMFSent, m.DTMFRecv)
	fmt.Fprintf(w, "sip              malformed %d, stray responses %d, redirects %d, auth challenges %d, re-INVITEs %d\n", m.Malformed, m.Stray, m.Redirects, m.AuthChallenges, m.ReInvites)
}

// codeList formats failures by code as "486:3 503:1".
func codeList(by map[string]int64) string {
	codes := make([]string, 0, len(by))
	for c, n := range by {
		codes = append(codes, fmt.Sprintf("%s:%d", c, n))
	}
	sort.Strings(codes)
	return strings.Join(codes, " ")
}
