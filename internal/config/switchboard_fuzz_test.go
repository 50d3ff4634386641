package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/acd"
)

// FuzzLoadConfig checks that no input panics the loader, that it reports the same problems every
// time, that every error is well formed, and that what it accepts is a valid configuration the
// engine takes as it is. Seeds: testdata/fuzz/FuzzLoadConfig, testdata/switchboard/*.yaml and
// the shipped example.
func FuzzLoadConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "switchboard", "*.yaml"))
	for _, file := range append(files, examplePath) {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(okConfig))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := LoadConfig(bytes.NewReader(in), "f.yaml")
		_, err2 := LoadConfig(bytes.NewReader(in), "f.yaml")
		if fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatalf("two loads disagree:\n%v\n---\n%v", err, err2)
		}
		if err != nil {
			if c != nil {
				t.Fatalf("config returned with an error")
			}
			for _, e := range err.(Errors) {
				if e.File != "f.yaml" || e.Line < 1 || e.Reason == "" || strings.Contains(e.Reason, "\n") {
					t.Fatalf("malformed error %+v", e)
				}
			}
			return
		}
		if !bytes.Equal(c.Snapshot(), in) {
			t.Fatal("snapshot differs from the input")
		}
		if msg := checkConfig(c); msg != "" {
			t.Fatalf("accepted an invalid config: %s\n%q", msg, in)
		}
	})
}

// checkConfig states what a loaded Config guarantees, independently of how the loader enforces
// it. It returns "" when c is valid.
func checkConfig(c *Config) string {
	for q, flow := range c.IVR.Surveys {
		if _, ok := c.Media[q]; !ok || c.Flows[flow] == nil {
			return "a survey names an unknown queue or flow"
		}
	}
	if c.IVR.LookupTimeout < 0 || c.IVR.LookupTimeout > MaxLookupTimeout || c.IVR.SecureTimeout < 0 || c.IVR.SecureTimeout > MaxSecureTimeout {
		return "ivr timeout out of range"
	}
	if c.Node == "" || c.ARI.URL == "" || c.ARI.App == "" || c.HTTP.Listen == "" || c.Database.DataDir == "" {
		return "empty top-level setting"
	}
	if c.AgentsLogin != AgentsLoginDesktop && c.AgentsLogin != AgentsLoginAll {
		return "unknown agents_login"
	}
	if c.ARI.User != "" || c.ARI.Password != "" || c.Database.URL != "" {
		return "a secret came from the file"
	}
	if len(c.Queues) == 0 {
		return "no queues"
	}
	codes := map[string]bool{}
	for _, d := range c.Dispositions {
		if !namePattern.MatchString(d) || codes[d] {
			return "bad or duplicate wrap-up code " + d
		}
		codes[d] = true
	}
	if len(codes) == 0 || len(codes) > MaxDispositions {
		return "no wrap-up codes, or too many"
	}
	if r := c.Recordings; r.Fetch != FetchARI && r.Fetch != FetchShared || (r.Fetch == FetchShared) != (r.SharedDir != "") ||
		filepath.Clean(r.SharedDir) == filepath.Clean(c.RecordingsDir()) || strings.TrimSpace(c.RecordingsDir()) == "" {
		return "bad recordings section"
	}
	e, err := acd.New(acd.Options{Clock: &acd.ManualClock{T: time.Unix(0, 0)}})
	if err != nil {
		return err.Error()
	}
	queues := map[string]acd.QueueConfig{}
	for _, q := range c.Queues {
		if _, dup := queues[q.Name]; dup {
			return "duplicate queue " + q.Name
		}
		queues[q.Name] = q
		if err := e.AddQueue(q); err != nil {
			return "engine: " + err.Error()
		}
		if (q.MaxWait > 0) != (q.Overflow.Queue != "" || q.Overflow.Callback) {
			return q.Name + ": max_wait without overflow or overflow without max_wait"
		}
		m, ok := c.Media[q.Name]
		if !ok || m.MOH == "" || m.Recording.Policy == "" || m.Recording.Sample < 0 || m.Recording.Sample > 1 {
			return q.Name + ": bad media"
		}
		if m.Announce.Every != 0 && (m.Announce.Every < MinAnnounceEvery || !m.Announce.Position && !m.Announce.Wait) {
			return q.Name + ": bad announce"
		}
		if r := m.Recording; r.Retention <= 0 || r.Retention > MaxRetention || r.Notice != "" && !soundPattern.MatchString(r.Notice) {
			return q.Name + ": bad retention or notice"
		}
	}
	if len(c.Media) != len(c.Queues) {
		return "media for a queue that does not exist"
	}
	for _, q := range c.Queues {
		seen := map[string]bool{q.Name: true}
		for cur := q.Overflow.Queue; cur != ""; cur = queues[cur].Overflow.Queue {
			if _, ok := queues[cur]; !ok {
				return q.Name + ": overflow to unknown queue " + cur
			}
			if seen[cur] {
				return q.Name + ": overflow cycle"
			}
			seen[cur] = true
		}
	}
	endpoints := map[string]bool{}
	for _, a := range c.Agents {
		if err := e.AddAgent(a); err != nil {
			return "engine: " + err.Error()
		}
		if a.Endpoint == "" || endpoints[strings.ToLower(a.Endpoint)] {
			return a.ID + ": empty or duplicate endpoint"
		}
		endpoints[strings.ToLower(a.Endpoint)] = true
		if !validSkills(a.Skills) {
			return a.ID + ": bad skills"
		}
	}
	numbers := map[string]bool{}
	for _, d := range c.DIDs {
		if d.Number == "" || numbers[d.Number] {
			return "empty or duplicate DID " + d.Number
		}
		numbers[d.Number] = true
		if (d.Queue == "") == (d.Flow == "") {
			return d.Number + ": not exactly one of queue and flow"
		}
		if _, ok := queues[d.Queue]; d.Queue != "" && !ok {
			return d.Number + ": unknown queue"
		}
		if _, ok := c.Hours[d.Hours]; d.Hours != "" && !ok {
			return d.Number + ": unknown hours"
		}
		if d.Priority < 0 || d.Priority > acd.MaxPriority || !validSkills(d.Skills) {
			return d.Number + ": bad priority or skills"
		}
	}
	for name, h := range c.Hours {
		if h == nil || h.Name != name || h.Location == nil {
			return "hours " + name + ": incomplete"
		}
		if (h.Closed.Message == "") == (h.Closed.Queue == "") {
			return "hours " + name + ": not exactly one closed action"
		}
		if _, ok := queues[h.Closed.Queue]; h.Closed.Queue != "" && !ok {
			return "hours " + name + ": unknown closed queue"
		}
		for d, spans := range h.Weekly {
			for i, s := range spans {
				if s.Start < 0 || s.End > 24*time.Hour || s.Start >= s.End || i > 0 && s.Start < spans[i-1].End {
					return fmt.Sprintf("hours %s: bad spans on %s: %v", name, time.Weekday(d), spans)
				}
			}
		}
		for i := 1; i < len(h.Holidays); i++ {
			if !h.Holidays[i-1].Before(h.Holidays[i]) {
				return "hours " + name + ": holidays not sorted and unique"
			}
		}
		for _, at := range []time.Time{time.Unix(0, 0), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)} {
			h.Open(at)
		}
	}
	return ""
}

// validSkills reports whether every skill has a name and a level of 1-10.
func validSkills(m map[string]int) bool {
	for name, level := range m {
		if strings.TrimSpace(name) == "" || level < acd.MinSkillLevel || level > acd.MaxSkillLevel {
			return false
		}
	}
	return true
}
