package config

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/ivr"
)

// Business hours are ivr's (ivr/hours.go); this file reads them from the configuration.
type (
	Hours  = ivr.Hours
	Span   = ivr.Span
	Date   = ivr.Date
	Closed = ivr.Closed
)

// weekdays in the order ranges like mon-fri follow.
var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func weekdayOf(i int) time.Weekday { return time.Weekday((i + 1) % 7) }

var spanPattern = regexp.MustCompile(`^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$`)

func (d *decoder) hoursSection(n *yaml.Node, c *Config, b *build) {
	ps, ok := d.pairs(n, "hours")
	if !ok {
		return
	}
	for _, p := range ps {
		path := field("hours", p.name)
		if !namePattern.MatchString(p.name) {
			d.errorf(p.key, "hours", "%q is not an hours name (%s)", p.name, nameRule)
			continue
		}
		if h := d.hours(p.value, path, b); h != nil {
			h.Name = p.name
			c.Hours[p.name] = h
		}
	}
}

// zone reads an IANA time zone name; nil (an error noted) when it is not one.
func (d *decoder) zone(n *yaml.Node, path, v string) *time.Location {
	// time.LoadLocation reads any relative path: accept only IANA-style names.
	loc, err := time.LoadLocation(v)
	switch {
	case v == "" || v == "Local" || strings.HasPrefix(v, "/") || strings.Contains(v, ".."):
		d.errorf(n, path, "want an IANA time zone like \"Europe/Berlin\" or \"UTC\", got %q", v)
	case err != nil:
		d.errorf(n, path, "unknown time zone %q (is the tzdata package installed?)", v)
	default:
		return loc
	}
	return nil
}

func (d *decoder) hours(n *yaml.Node, path string, b *build) *Hours {
	m := d.mapping(n, path, "timezone", "weekly", "holidays", "closed")
	if !m.ok {
		return nil
	}
	h := &Hours{}
	if v, ok := d.str(m.require("timezone"), field(path, "timezone")); ok {
		h.TimeZone, h.Location = v, d.zone(m.get("timezone"), field(path, "timezone"), v)
	}
	d.weekly(m.require("weekly"), field(path, "weekly"), h)
	hp := field(path, "holidays")
	items, _ := d.seq(m.get("holidays"), hp)
	seen := map[Date]int{}
	for i, item := range items {
		ip := index(hp, i)
		v := d.scalar(item, ip, `a date like "2026-12-25"`, "!!str", "!!timestamp")
		if v == nil {
			continue
		}
		t, err := time.Parse("2006-01-02", v.Value)
		if err != nil {
			d.errorf(item, ip, "want a date like \"2026-12-25\", got %q", v.Value)
			continue
		}
		day := Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
		if line, dup := seen[day]; dup {
			d.errorf(item, ip, "holiday %s listed twice (first at line %d)", day, line)
			continue
		}
		seen[day] = item.Line
		h.Holidays = append(h.Holidays, day)
	}
	slices.SortFunc(h.Holidays, Date.Compare)

	cp := field(path, "closed")
	cm := d.mapping(m.require("closed"), cp, "message", "queue")
	switch {
	case !cm.ok:
	case cm.has("message") && cm.has("queue"):
		d.errorf(m.get("closed"), cp, "set message or queue, not both")
	case cm.has("message"):
		if v, ok := d.str(cm.get("message"), field(cp, "message")); ok {
			if !soundPattern.MatchString(v) {
				d.errorf(cm.get("message"), field(cp, "message"), "%q is not a sound name (letters, digits, '_', '-', '.' and '/')", v)
			}
			h.Closed.Message = v
		}
	case cm.has("queue"):
		if v, ok := d.str(cm.get("queue"), field(cp, "queue")); ok {
			h.Closed.Queue = v
			b.refs = append(b.refs, ref{"queue", v, cm.get("queue"), field(cp, "queue")})
		}
	default:
		d.errorf(m.get("closed"), cp, "missing message or queue")
	}
	return h
}

// weekly reads day (mon) or day-range (mon-fri) keys, each with a list of "HH:MM-HH:MM" spans
// (or one span as a string). A day may be given once; days not given are closed.
func (d *decoder) weekly(n *yaml.Node, path string, h *Hours) {
	ps, ok := d.pairs(n, path)
	if !ok {
		return
	}
	given := map[int]pair{}
	for _, p := range ps {
		kp := field(path, p.name)
		days, ok := dayRange(p.name)
		if !ok {
			d.errorf(p.key, path, "unknown day %q (known: mon, tue, wed, thu, fri, sat, sun, or a range like mon-fri)", p.name)
			continue
		}
		var spans []Span
		var items []*yaml.Node
		if v := resolve(p.value); v.Kind == yaml.ScalarNode && !isNull(v) {
			items = []*yaml.Node{p.value}
		} else if !isNull(v) {
			items, _ = d.seq(p.value, kp)
		}
		for i, item := range items {
			ip := kp
			if resolve(p.value).Kind == yaml.SequenceNode {
				ip = index(kp, i)
			}
			s, ok := d.span(item, ip)
			if !ok {
				continue
			}
			if j := slices.IndexFunc(spans, func(o Span) bool { return s.Start < o.End && o.Start < s.End }); j >= 0 {
				d.errorf(item, ip, "%s overlaps %s", s, spans[j])
				continue
			}
			spans = append(spans, s)
		}
		slices.SortFunc(spans, func(a, b Span) int { return cmp.Compare(a.Start, b.Start) })
		for _, day := range days {
			if first, dup := given[day]; dup {
				d.errorf(p.key, path, "%s is given twice (in %q at line %d and %q)", weekdays[day], first.name, first.key.Line, p.name)
				continue
			}
			given[day] = p
			h.Weekly[weekdayOf(day)] = spans
		}
	}
}

// dayRange parses "mon" or "mon-fri" into indexes of weekdays.
func dayRange(s string) ([]int, bool) {
	from, to, isRange := strings.Cut(s, "-")
	i, j := slices.Index(weekdays, from), slices.Index(weekdays, to)
	switch {
	case !isRange && i >= 0:
		return []int{i}, true
	case !isRange || i < 0 || j < 0 || j < i:
		return nil, false
	}
	var out []int
	for k := i; k <= j; k++ {
		out = append(out, k)
	}
	return out, true
}

// span parses "HH:MM-HH:MM" (start before end; the end may be 24:00).
func (d *decoder) span(n *yaml.Node, path string) (Span, bool) {
	const want = `want a time range like "08:00-18:00"`
	v, ok := d.str(n, path)
	if !ok {
		return Span{}, false
	}
	m := spanPattern.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		d.errorf(n, path, "%s, got %q", want, v)
		return Span{}, false
	}
	at := func(hs, ms string, end bool) (time.Duration, bool) {
		hh, _ := strconv.Atoi(hs)
		mm, _ := strconv.Atoi(ms)
		if mm > 59 || hh > 24 || hh == 24 && (mm != 0 || !end) {
			return 0, false
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
	}
	start, ok1 := at(m[1], m[2], false)
	end, ok2 := at(m[3], m[4], true)
	switch {
	case !ok1 || !ok2:
		d.errorf(n, path, "%q has a time that does not exist (00:00 to 23:59, or 24:00 as an end)", v)
		return Span{}, false
	case start >= end:
		d.errorf(n, path, "%q ends before it starts (split a range past midnight into two days)", v)
		return Span{}, false
	}
	return Span{Start: start, End: end}, true
}
