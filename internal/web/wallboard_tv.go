package web

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The wallboard's view options, read from the address so that each screen keeps its own: the
// queues to show (all in scope when none), the TV's tiles per page and rotation, and the
// thresholds that colour a figure ok, warn or alert. The same options filter and colour
// /api/queues and its stream.

// Thresholds colour the figures. Zero wait thresholds follow each queue: warn at its
// service-level threshold, alert at twice that; zero service-level thresholds follow its goal:
// warn below the goal, alert ten points below. Waiting-call thresholds of zero are off.
type Thresholds struct {
	WaitWarn     float64 `json:"wait_warn"`     // seconds: the longest wait and the EWT
	WaitAlert    float64 `json:"wait_alert"`    // seconds
	WaitingWarn  int     `json:"waiting_warn"`  // calls waiting
	WaitingAlert int     `json:"waiting_alert"` // calls waiting
	SLWarn       float64 `json:"sl_warn"`       // percent: below it, warn
	SLAlert      float64 `json:"sl_alert"`      // percent: below it, alert
}

// ViewOptions are a wallboard screen's options.
type ViewOptions struct {
	Queues     []string // nil: every queue in scope
	Per        int      // tiles per page on the TV
	Rotate     int      // seconds between the TV's pages
	Thresholds Thresholds
}

// Limits of the view options.
const (
	tvPerDefault    = 4
	tvPerMax        = 4 // 2×2 tiles: a figure of four characters stays at 64 px or more
	tvRotateDefault = 10
	tvRotateMin     = 3
	tvRotateMax     = 3600
	maxWaitSecs     = 86400
	maxWaitingCalls = 100000
	maxViewQueues   = 100
)

// Levels of a figure.
const (
	levelOK    = "ok"
	levelWarn  = "warn"
	levelAlert = "alert"
)

// viewError is a view option that does not parse: a catalogue key and its arguments, so that
// a person reads it in their language.
type viewError struct {
	key  string
	args []any
}

func (e *viewError) Error() string { return e.text("en") }

func (e *viewError) text(lang string) string { return T(lang, e.key, e.args...) }

func viewErr(key string, args ...any) *viewError { return &viewError{key: key, args: args} }

// parseView reads the view options from a query. Unknown parameters are ignored (lang, view).
func parseView(q url.Values) (ViewOptions, error) {
	v := ViewOptions{Per: tvPerDefault, Rotate: tvRotateDefault}
	if s := strings.TrimSpace(q.Get("queues")); s != "" {
		for _, name := range strings.Split(s, ",") {
			name = strings.TrimSpace(name)
			if name == "" || len(name) > 64 {
				return v, viewErr("wall.view.queues")
			}
			if !slices.Contains(v.Queues, name) {
				v.Queues = append(v.Queues, name)
			}
		}
		if len(v.Queues) > maxViewQueues {
			return v, viewErr("wall.view.toomany", maxViewQueues)
		}
	}
	var err error
	ints := []struct {
		name     string
		to       *int
		min, max int
	}{
		{"per", &v.Per, 1, tvPerMax},
		{"rotate", &v.Rotate, tvRotateMin, tvRotateMax},
		{"waiting_warn", &v.Thresholds.WaitingWarn, 0, maxWaitingCalls},
		{"waiting_alert", &v.Thresholds.WaitingAlert, 0, maxWaitingCalls},
	}
	for _, p := range ints {
		if err = intParam(q, p.name, p.to, p.min, p.max); err != nil {
			return v, err
		}
	}
	floats := []struct {
		name string
		to   *float64
		max  float64
	}{
		{"wait_warn", &v.Thresholds.WaitWarn, maxWaitSecs},
		{"wait_alert", &v.Thresholds.WaitAlert, maxWaitSecs},
		{"sl_warn", &v.Thresholds.SLWarn, 100},
		{"sl_alert", &v.Thresholds.SLAlert, 100},
	}
	for _, p := range floats {
		if err = floatParam(q, p.name, p.to, p.max); err != nil {
			return v, err
		}
	}
	return v, v.Thresholds.check()
}

// check: each warn comes before its alert, when both are set.
func (t Thresholds) check() error {
	switch {
	case t.WaitWarn > 0 && t.WaitAlert > 0 && t.WaitWarn > t.WaitAlert:
		return viewErr("wall.view.order", "wait_warn", "wait_alert")
	case t.WaitingWarn > 0 && t.WaitingAlert > 0 && t.WaitingWarn > t.WaitingAlert:
		return viewErr("wall.view.order", "waiting_warn", "waiting_alert")
	case t.SLWarn > 0 && t.SLAlert > 0 && t.SLAlert > t.SLWarn:
		return viewErr("wall.view.order", "sl_alert", "sl_warn")
	}
	return nil
}

func intParam(q url.Values, name string, to *int, min, max int) error {
	s := q.Get(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return viewErr("wall.view.int", name, min, max)
	}
	*to = n
	return nil
}

func floatParam(q url.Values, name string, to *float64, max float64) error {
	s := q.Get(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > max {
		return viewErr("wall.view.number", name, strconv.FormatFloat(max, 'f', -1, 64))
	}
	*to = f
	return nil
}

// Levels are the colours of one queue's figures; Tile is the worst of them.
type Levels struct {
	Tile    string `json:"tile"`
	Waiting string `json:"waiting"`
	Longest string `json:"longest_wait"`
	EWT     string `json:"ewt"`
	SL      string `json:"service_level"`
	WindowS string `json:"window_service_level"`
}

// levels colours a queue's row by t (zero thresholds follow the queue, see Thresholds).
func (t Thresholds) levels(q QueueRow) Levels {
	waitWarn, waitAlert := t.WaitWarn, t.WaitAlert
	if waitWarn == 0 {
		waitWarn = q.SLThreshold
	}
	if waitAlert == 0 {
		waitAlert = max(2*q.SLThreshold, waitWarn)
	}
	slWarn, slAlert := t.SLWarn/100, t.SLAlert/100
	if t.SLWarn == 0 {
		slWarn = q.SLGoal
	}
	if t.SLAlert == 0 {
		slAlert = min(slWarn, q.SLGoal-0.1)
	}
	wait := func(secs float64) string {
		switch {
		case waitAlert > 0 && secs >= waitAlert:
			return levelAlert
		case waitWarn > 0 && secs >= waitWarn:
			return levelWarn
		}
		return levelOK
	}
	sl := func(answered int64, level float64) string {
		switch {
		case answered == 0:
			return levelOK
		case level < slAlert:
			return levelAlert
		case level < slWarn:
			return levelWarn
		}
		return levelOK
	}
	l := Levels{Waiting: levelOK, Longest: wait(q.LongestWait), EWT: levelOK,
		SL: sl(q.Answered, q.ServiceLevel), WindowS: sl(q.WindowAnswered, q.WindowSL)}
	if q.Waiting > 0 && q.EWT != nil {
		l.EWT = wait(*q.EWT)
	}
	switch {
	case t.WaitingAlert > 0 && q.Waiting >= t.WaitingAlert:
		l.Waiting = levelAlert
	case t.WaitingWarn > 0 && q.Waiting >= t.WaitingWarn:
		l.Waiting = levelWarn
	}
	l.Tile = levelOK
	for _, x := range []string{l.Waiting, l.Longest, l.EWT, l.SL, l.WindowS} {
		if x == levelAlert || (x == levelWarn && l.Tile == levelOK) {
			l.Tile = x
		}
	}
	return l
}
