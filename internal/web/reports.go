package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"switchboard/acd/report"
)

// Reports is what the reports need of the store.
type Reports interface {
	Report(ctx context.Context, q report.Query) ([]report.Row, error)
}

// defaultSLThreshold is the engine's service-level threshold for queues that set none, used
// for queues no longer configured.
const defaultSLThreshold = 20 * time.Second

var reportIntervals = map[string]time.Duration{"15m": 15 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour}

// reportParams is a parsed report request.
type reportParams struct {
	By, Interval, Format string
	From, To             time.Time
	q                    report.Query
}

// parseTime accepts RFC 3339, a datetime-local value or a date (both taken as UTC).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, or 2006-01-02T15:04 or 2006-01-02 in %s)", s, loc)
}

// parseReport reads by, interval, from, to and format; from defaults to the start of today in
// the center's zone (a report's day is the center's day), to to a day after from; times
// without an offset are in the reader's zone (zoneOf). The session's scope becomes the report's queues.
func (s *server) parseReport(r *http.Request, now time.Time) (reportParams, error) {
	v := r.URL.Query()
	p := reportParams{By: v.Get("by"), Interval: v.Get("interval"), Format: v.Get("format")}
	if p.By == "" {
		p.By = "queue"
	}
	if p.Interval == "" {
		p.Interval = "1h"
	}
	if p.Format == "" {
		p.Format = "json"
	}
	if p.By != "queue" && p.By != "agent" {
		return p, says("desk.err.report_by", "by must be queue or agent")
	}
	step, ok := reportIntervals[p.Interval]
	if !ok {
		return p, says("desk.err.report_interval", "interval must be 15m, 1h or 1d")
	}
	if p.Format != "json" && p.Format != "csv" {
		return p, says("desk.err.report_format", "format must be json or csv")
	}
	var err error
	zone := s.zoneOf(r)
	p.From = report.DayStart(now, s.opt.TimeZone)
	if f := v.Get("from"); f != "" {
		if p.From, err = parseTime(f, zone); err != nil {
			return p, says("desk.err.report_time", "from: "+err.Error())
		}
	}
	p.To = report.DayStart(p.From.Add(36*time.Hour), s.opt.TimeZone) // the next local midnight
	if v.Get("from") != "" {
		p.To = p.From.Add(24 * time.Hour)
	}
	if t := v.Get("to"); t != "" {
		if p.To, err = parseTime(t, zone); err != nil {
			return p, says("desk.err.report_time", "to: "+err.Error())
		}
	}
	if !p.From.Before(p.To) {
		return p, says("desk.err.report_range", "from must be before to")
	}
	// Sub saturates at about 292 years rather than overflowing; compare before dividing.
	if limit := report.MaxIntervals - 1; p.To.Sub(p.From) > time.Duration(limit)*step {
		return p, says("desk.err.report_many", fmt.Sprintf("more than %d intervals of %s asked: choose a longer interval or a shorter range",
			limit, p.Interval), limit)
	}
	p.q = report.Query{ByAgent: p.By == "agent", Interval: step, From: p.From, To: p.To, Now: now, Location: s.opt.TimeZone,
		Thresholds: map[string]time.Duration{}, DefaultThreshold: defaultSLThreshold}
	for _, qs := range s.opt.Live().Queues {
		p.q.Thresholds[qs.Queue] = qs.SLThreshold
	}
	if sess := sessionFrom(r.Context()); sess.User.Role != "admin" {
		p.q.Queues = append([]string{}, sess.User.Queues...)
	}
	return p, nil
}

// Report is the reports' answer.
type Report struct {
	By       string       `json:"by"`
	Interval string       `json:"interval"`
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	Rows     []report.Row `json:"rows"`   // per interval and key, intervals with activity only
	Totals   []report.Row `json:"totals"` // per key over the range (start = from)
	Total    report.Row   `json:"total"`  // everything in scope
	KPIs     *KPIs        `json:"kpis"`   // null when the CRM gives none
}

// KPIs are the CRM's figures over the report's range and scope.
type KPIs struct {
	FirstContactResolution float64 `json:"fcr"`
	ReopenRate             float64 `json:"reopen_rate"`
}

func (s *server) report(ctx context.Context, p reportParams) (*Report, error) {
	rows, err := s.opt.Reports.Report(ctx, p.q)
	if err != nil {
		return nil, err
	}
	rep := &Report{By: p.By, Interval: p.Interval, From: p.From, To: p.To, Rows: rows, Totals: []report.Row{}}
	if rep.Rows == nil {
		rep.Rows = []report.Row{}
	}
	byKey := map[string]*report.Row{}
	var keys []string
	if p.By == "agent" {
		names := s.agentNames(ctx)
		for i := range rows {
			rows[i].Name = names[rows[i].Key]
		}
	}
	for _, r := range rows {
		t := byKey[r.Key]
		if t == nil {
			t = &report.Row{Start: p.From, Key: r.Key, Name: r.Name}
			byKey[r.Key] = t
			keys = append(keys, r.Key)
		}
		t.Add(r)
		rep.Total.Add(r)
	}
	slices.Sort(keys)
	for _, k := range keys {
		byKey[k].Finish()
		rep.Totals = append(rep.Totals, *byKey[k])
	}
	rep.Total.Start, rep.Total.Key = p.From, "all"
	rep.Total.Finish()
	if s.opt.KPIs != nil {
		fcr, reopen, ok, err := s.opt.KPIs(ctx, p.From, p.To, p.q.Queues)
		if err != nil {
			s.opt.Logger.Warn("report kpis", "err", err) // the report stands without them
		} else if ok {
			rep.KPIs = &KPIs{FirstContactResolution: fcr, ReopenRate: reopen}
		}
	}
	return rep, nil
}

func (s *server) apiReports(w http.ResponseWriter, r *http.Request) {
	p, err := s.parseReport(r, time.Now())
	if err != nil {
		writeErr(w, http.StatusBadRequest, CodeInvalid, err)
		return
	}
	rep, err := s.report(r.Context(), p)
	if err != nil {
		s.opt.Logger.Error("report", "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "desk.err.report")
		return
	}
	if p.Format == "csv" {
		writeReportCSV(w, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// csvCell keeps a spreadsheet from reading a queue or agent name as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeReportCSV(w http.ResponseWriter, rep *Report) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="switchboard-%s-%s-%s.csv"`,
		rep.By, rep.Interval, rep.From.UTC().Format("20060102T1504")))
	cw := csv.NewWriter(w)
	head := []string{"start", rep.By}
	if rep.By == "agent" {
		head = append(head, "agent_name")
	}
	head = append(head, "offered", "answered", "answered_within_sl", "abandoned", "abandoned_within_sl",
		"service_level", "asa_seconds", "aht_seconds", "longest_wait_seconds", "occupancy", "callbacks_requested",
		"callbacks_connected", "csat", "csat_count")
	if rep.By == "agent" { // the agent's own outbound calls, in none of the figures before
		head = append(head, "outbound_calls", "outbound_talk_seconds")
	}
	cw.Write(head)
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, r := range rep.Rows {
		cells := []string{r.Start.UTC().Format(time.RFC3339), csvCell(r.Key)}
		if rep.By == "agent" {
			cells = append(cells, csvCell(r.Name))
		}
		cells = append(cells, i(r.Offered), i(r.Answered), i(r.AnsweredWithin),
			i(r.Abandoned), i(r.AbandonedWithin), opt(r.ServiceLevel), opt(r.ASA), opt(r.AHT),
			strconv.FormatFloat(r.LongestWait, 'f', 1, 64), opt(r.Occupancy), i(r.CallbacksRequested),
			i(r.CallbacksConnected), opt(r.CSAT), i(r.CSATCount))
		if rep.By == "agent" {
			cells = append(cells, i(r.Outbound), strconv.FormatFloat(r.OutboundTalk, 'f', 1, 64))
		}
		cw.Write(cells)
	}
	cw.Flush()
}

// chart is a server-drawn SVG chart: bars per interval and an optional line.
type chart struct {
	Title         string
	Width, Height int
	Bars          []bar
	Line          string // SVG polyline points
	Labels        []label
	Ticks         []tick // the y axis's gridlines
	Max           string
	Keys          []string // the bar classes, for the legend
}

// ViewBox leaves room for the points drawn at 0 and 100%.
func (c chart) ViewBox() string { return fmt.Sprintf("0 -4 %d %d", c.Width, c.Height+8) }

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type label struct {
	X    float64
	Text string
}

// tick is a horizontal gridline at Y with its value.
type tick struct {
	Y    float64
	Text string
}

// ticks puts gridlines at the top, the middle and, for ratios, the usual 80% goal.
func ticks(top float64, format func(float64) string, ratio bool) []tick {
	at := []float64{top, top / 2}
	if ratio {
		at = append(at, 0.8*top)
	}
	var out []tick
	for _, v := range at {
		if !ratio && v != float64(int64(v)) { // whole calls only
			continue
		}
		out = append(out, tick{Y: chartH - v/top*chartH, Text: format(v)})
	}
	return out
}

const (
	chartW, chartH = 720, 180
	chartMaxLabels = 12
)

// charts draws calls per interval (offered, answered, abandoned) and the service level.
func charts(rep *Report, q report.Query, lang string, zone *time.Location) []chart {
	starts, step := q.Starts(), q.Interval
	n := len(starts)
	if n <= 0 {
		return nil
	}
	per := make([]report.Row, n)
	for _, r := range rep.Rows {
		// the interval r starts: the last start not after it
		if i := sort.Search(n, func(i int) bool { return starts[i].After(r.Start) }) - 1; i >= 0 {
			per[i].Add(r)
		}
	}
	peak := int64(1)
	for i := range per {
		per[i].Finish()
		peak = max(peak, per[i].Offered)
	}
	slot := float64(chartW) / float64(n)
	layout := "15:04"
	if step >= 24*time.Hour {
		layout = "01-02"
		if lang == "ru" {
			layout = "02.01"
		}
	}
	var labels []label
	every := (n + chartMaxLabels - 1) / chartMaxLabels
	for i := 0; i < n; i += every {
		labels = append(labels, label{X: float64(i) * slot, Text: starts[i].In(zone).Format(layout)})
	}
	calls := chart{Title: T(lang, "reports.chart.calls"), Width: chartW, Height: chartH,
		Labels: labels, Max: strconv.FormatInt(peak, 10), Keys: []string{"offered", "answered", "abandoned"},
		Ticks: ticks(float64(peak), func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }, false)}
	sl := chart{Title: T(lang, "reports.chart.sl"), Width: chartW, Height: chartH, Labels: labels, Max: "100%",
		Ticks: ticks(1, func(v float64) string { return strconv.FormatFloat(v*100, 'f', 0, 64) + "%" }, true)}
	var pts []string
	for i, p := range per {
		x := float64(i) * slot
		at := fmtMinute(lang, zone, starts[i])
		w := slot / 3
		for j, v := range []struct {
			n     int64
			class string
		}{{p.Offered, "offered"}, {p.Answered, "answered"}, {p.Abandoned, "abandoned"}} {
			h := float64(v.n) / float64(peak) * chartH
			calls.Bars = append(calls.Bars, bar{X: x + float64(j)*w, Y: chartH - h, W: w * 0.9, H: h, Class: v.class,
				Title: fmt.Sprintf("%s: %d %s", at, v.n, T(lang, "reports.key."+v.class))})
		}
		if p.ServiceLevel != nil {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x+slot/2, chartH-*p.ServiceLevel*chartH))
			sl.Bars = append(sl.Bars, bar{X: x + slot/2 - 4, Y: chartH - *p.ServiceLevel*chartH - 4, W: 8, H: 8, Class: "point",
				Title: fmt.Sprintf("%s: %.0f%%", at, *p.ServiceLevel*100)})
		}
	}
	sl.Line = strings.Join(pts, " ")
	return []chart{calls, sl}
}

func (s *server) reportsPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	data := map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Q": r.URL.Query()}
	p, err := s.parseReport(r, time.Now())
	if err != nil {
		data["Error"] = err.Error()
		s.renderStatus(w, r, http.StatusBadRequest, "reports.html", data)
		return
	}
	rep, err := s.report(r.Context(), p)
	if err != nil {
		s.opt.Logger.Error("report page", "err", err)
		data["Error"] = T(langOf(r), "reports.failed")
		s.renderStatus(w, r, http.StatusServiceUnavailable, "reports.html", data)
		return
	}
	q := url.Values{"by": {p.By}, "interval": {p.Interval}, "from": {p.From.Format(time.RFC3339)}, "to": {p.To.Format(time.RFC3339)}}
	csvQ := url.Values{"format": {"csv"}}
	for k, v := range q {
		csvQ[k] = v
	}
	data["Report"] = rep
	data["Names"] = map[string]string{}
	if p.By == "agent" {
		data["Names"] = s.agentNames(r.Context())
	}
	zone := s.zoneOf(r)
	data["Charts"] = charts(rep, p.q, langOf(r), zone)
	data["Form"] = map[string]string{"by": p.By, "interval": p.Interval,
		"from": p.From.In(zone).Format("2006-01-02T15:04"), "to": p.To.In(zone).Format("2006-01-02T15:04")}
	data["JSON"] = template.URL("/api/reports?" + q.Encode())
	data["CSV"] = template.URL("/api/reports?" + csvQ.Encode())
	s.render(w, r, "reports.html", data)
}
