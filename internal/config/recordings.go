package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Recordings is the recordings: section: where the recording store is and how finished
// recordings come from Asterisk.
//
//	recordings:
//	  dir: /var/lib/switchboard/recordings  # default <database.data_dir>/recordings
//	  fetch: shared                          # ari (default) | shared
//	  shared_dir: /mnt/asterisk-recordings   # with shared: Asterisk's recording folder mounted here
type Recordings struct {
	Dir       string         // "": <Database.DataDir>/recordings
	Fetch     RecordingFetch // FetchARI or FetchShared
	SharedDir string         // set exactly when Fetch is FetchShared
}

// RecordingFetch is how a finished recording reaches the recording store.
type RecordingFetch string

const (
	FetchARI    RecordingFetch = "ari"    // GET /recordings/stored/{name}/file
	FetchShared RecordingFetch = "shared" // read from Asterisk's recording folder mounted here
)

// Defaults and limits of a queue's recording keys.
const (
	DefaultRetention = 90 * 24 * time.Hour
	MaxRetention     = 36500 * 24 * time.Hour // a hundred years: longer is a typo
	DefaultNotice    = "beep"
	// NoticeNone turns the notice off, for queues whose callers are told otherwise (the IVR's
	// greeting, a contract). Recording.Notice is then "".
	NoticeNone = "none"
)

var daysPattern = regexp.MustCompile(`^([0-9]{1,6})d$`)

// RecordingsDir is the recording store's folder: Recordings.Dir, or recordings in the data
// folder.
func (c *Config) RecordingsDir() string {
	if c.Recordings.Dir != "" {
		return c.Recordings.Dir
	}
	return filepath.Join(c.Database.DataDir, "recordings")
}

// recordingsSection reads the recordings: mapping; database: must be read before it.
func (d *decoder) recordingsSection(n *yaml.Node, c *Config) {
	c.Recordings.Fetch = FetchARI
	m := d.mapping(n, "recordings", "dir", "fetch", "shared_dir")
	if !m.ok {
		return
	}
	dir := func(key string) (string, bool) {
		v, ok := d.str(m.get(key), "recordings."+key)
		if ok && strings.TrimSpace(v) == "" {
			d.errorf(m.get(key), "recordings."+key, "must not be empty")
			return "", false
		}
		return v, ok
	}
	if v, ok := dir("dir"); ok {
		c.Recordings.Dir = v
	}
	if v, ok := d.str(m.get("fetch"), "recordings.fetch"); ok {
		switch f := RecordingFetch(v); f {
		case FetchARI, FetchShared:
			c.Recordings.Fetch = f
		default:
			d.errorf(m.get("fetch"), "recordings.fetch", "unknown fetch mode %q (known: ari, shared)", v)
			return
		}
	}
	shared, sharedOK := dir("shared_dir")
	switch {
	case c.Recordings.Fetch == FetchShared && !m.has("shared_dir"):
		d.errorf(m.get("fetch"), "recordings.fetch", "fetch shared needs shared_dir (Asterisk's recording folder as mounted here)")
	case !sharedOK:
	case c.Recordings.Fetch != FetchShared:
		d.errorf(m.get("shared_dir"), "recordings.shared_dir", "only fetch: shared reads shared_dir")
	case filepath.Clean(shared) == filepath.Clean(c.RecordingsDir()):
		// Asterisk's copy is deleted once stored: it would be the stored file.
		d.errorf(m.get("shared_dir"), "recordings.shared_dir", "must not be the recording store's folder %q", c.RecordingsDir())
	default:
		c.Recordings.SharedDir = shared
	}
}

// recordingKeys reads a queue's retention and notice into r; m is its recording: mapping.
func (d *decoder) recordingKeys(m *mapping, path string, r *Recording) {
	if n := m.get("retention"); n != nil {
		if v, ok := d.retention(n, field(path, "retention")); ok {
			r.Retention = v
		}
	}
	n := m.get("notice")
	v, ok := d.str(n, field(path, "notice"))
	switch {
	case !ok:
	case v == NoticeNone:
		r.Notice = ""
	case !soundPattern.MatchString(v):
		d.errorf(n, field(path, "notice"), "%q is not a sound name (or none)", v)
	default:
		r.Notice = v
	}
	if p := m.get("policy"); ok && p != nil && resolve(p).Value == string(RecordNever) {
		d.errorf(n, field(path, "notice"), "has no effect with policy never")
	}
}

// retention reads a retention: days ("90d"), a Go duration or seconds, above zero.
func (d *decoder) retention(n *yaml.Node, path string) (time.Duration, bool) {
	var v time.Duration
	if s := resolve(n); s.Kind == yaml.ScalarNode && s.ShortTag() == "!!str" && daysPattern.MatchString(s.Value) {
		days, _ := strconv.Atoi(daysPattern.FindStringSubmatch(s.Value)[1])
		v = time.Duration(days) * 24 * time.Hour
	} else {
		var ok bool
		if v, ok = d.duration(n, path); !ok {
			return 0, false
		}
	}
	switch {
	case v <= 0:
		d.errorf(n, path, "must be positive (how long recordings are kept, e.g. 90d), got %s", days(v))
		return 0, false
	case v > MaxRetention:
		d.errorf(n, path, "must be at most %s, got %s", days(MaxRetention), days(v))
		return 0, false
	}
	return v, true
}

// days writes a whole number of days as "90d", anything else as a Go duration.
func days(v time.Duration) string {
	if v > 0 && v%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", v/(24*time.Hour))
	}
	return v.String()
}
