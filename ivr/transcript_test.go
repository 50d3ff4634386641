package ivr

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// Transcripts (testdata/transcripts/*.txt) are golden files. Header lines set up the session:
//
//	flow: main                  one of exampleFlows (required)
//	caller: +4930123            Options.Caller
//	agent: 1001                 Options.Agent
//	at: 2026-03-02T09:00:00Z    the time of Start (default that Monday 09:00 UTC)
//	max_inputs: 5               Options.MaxInputs
//
// then "> input" lines, each followed by the "< action" lines the session returned, and a last
// "= ..." line with how the session ended. Inputs:
//
//	start                       Start
//	finished [id]               PlaybackFinished (default: the current playback)
//	timeout [id]                Timeout (default: the current timer), after advancing the clock
//	digits 12#                  one Digit input per character
//	lookup found ID k=v ...     LookupResult for the pending lookup; also "lookup notfound",
//	                            "lookup error reason"
//	wait 10m                    advance the clock, no input
//	hangup                      CallerHangup
//
// Only the header, comment (#) and input lines are read; go test -run Transcripts -update
// rewrites the "<" and "=" lines.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "transcripts", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runTranscript(string(data))
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(data) {
				t.Errorf("transcript differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", got, data)
			}
		})
	}
}

func runTranscript(text string) (string, error) {
	var (
		out   strings.Builder
		s     *Session
		opt   Options
		flow  *Flow
		now   = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		flows = exampleFlows()
	)
	write := func(as []Action) {
		for _, a := range as {
			out.WriteString("< " + a.String() + "\n")
		}
	}
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		lineErr := func(format string, args ...any) error {
			return fmt.Errorf("line %d: %s", i+1, fmt.Sprintf(format, args...))
		}
		switch {
		case strings.HasPrefix(line, "<") || strings.HasPrefix(line, "="):
			continue
		case !strings.HasPrefix(line, ">"):
			out.WriteString(line + "\n")
			key, value, ok := strings.Cut(line, ":")
			if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" || !ok {
				continue
			}
			value = strings.TrimSpace(value)
			switch key {
			case "flow":
				if flow = flows[value]; flow == nil {
					return "", lineErr("unknown flow %q", value)
				}
			case "caller":
				opt.Caller = value
			case "agent":
				opt.Agent = value
			case "at":
				t, err := time.Parse(time.RFC3339, value)
				if err != nil {
					return "", lineErr("%v", err)
				}
				now = t
			case "max_inputs":
				n, err := strconv.Atoi(value)
				if err != nil {
					return "", lineErr("%v", err)
				}
				opt.MaxInputs = n
			default:
				return "", lineErr("unknown header %q", key)
			}
			continue
		}
		out.WriteString(line + "\n")
		fields := strings.Fields(strings.TrimPrefix(line, ">"))
		if len(fields) == 0 {
			return "", lineErr("empty input")
		}
		if fields[0] == "start" {
			if flow == nil {
				return "", lineErr("no flow: header")
			}
			var err error
			if s, err = NewSession(flow, opt); err != nil {
				return "", lineErr("%v", err)
			}
			write(s.Start(now))
			continue
		}
		if s == nil {
			return "", lineErr("input before start")
		}
		id := func(current int) int {
			if len(fields) > 1 {
				n, _ := strconv.Atoi(fields[1])
				return n
			}
			return current
		}
		switch fields[0] {
		case "finished":
			write(s.Handle(now, PlaybackFinished{ID: id(s.playID)}))
		case "timeout":
			write(s.Handle(now, Timeout{Timer: id(s.timerID)}))
		case "digits":
			if len(fields) != 2 {
				return "", lineErr("want digits XYZ")
			}
			for _, d := range []byte(fields[1]) {
				write(s.Handle(now, Digit{D: d}))
			}
		case "lookup":
			r := LookupResult{ID: s.lookupID}
			switch {
			case len(fields) >= 3 && fields[1] == "found":
				r.Found = true
				r.Customer = Customer{ID: fields[2], Fields: map[string]string{}}
				for _, kv := range fields[3:] {
					k, v, _ := strings.Cut(kv, "=")
					r.Customer.Fields[k] = v
				}
			case len(fields) == 2 && fields[1] == "notfound":
			case len(fields) >= 3 && fields[1] == "error":
				r.Err = strings.Join(fields[2:], " ")
			default:
				return "", lineErr("want lookup found ID k=v..., lookup notfound or lookup error reason")
			}
			write(s.Handle(now, r))
		case "wait":
			if len(fields) != 2 {
				return "", lineErr("want wait DURATION")
			}
			d, err := time.ParseDuration(fields[1])
			if err != nil {
				return "", lineErr("%v", err)
			}
			now = now.Add(d)
		case "hangup":
			write(s.Handle(now, CallerHangup{}))
		default:
			return "", lineErr("unknown input %q", fields[0])
		}
	}
	switch {
	case s == nil:
		return "", fmt.Errorf("no start")
	case s.Done():
		fmt.Fprintf(&out, "= done: %s\n", s.Outcome())
	default:
		fmt.Fprintf(&out, "= waiting at %s\n", s.Node())
	}
	return out.String(), nil
}
