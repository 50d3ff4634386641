package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRecordingKeys(t *testing.T) {
	c := loadConfigString(t, `database: {data_dir: /srv/sb}
recordings: {dir: /srv/recs, fetch: shared, shared_dir: /mnt/asterisk}
queues:
  - {name: a, recording: {policy: always, retention: 30d, notice: custom/recorded}}
  - {name: b, recording: {policy: on-demand, retention: 36h, notice: none}}
  - {name: c, recording: {policy: sample, sample: 0.5, retention: 86400}}
  - {name: d, recording: {policy: never, retention: 1d}}
  - {name: e}
`)
	for _, tc := range []struct {
		queue     string
		retention time.Duration
		notice    string
	}{
		{"a", 30 * 24 * time.Hour, "custom/recorded"},
		{"b", 36 * time.Hour, ""},
		{"c", 24 * time.Hour, DefaultNotice},
		{"d", 24 * time.Hour, DefaultNotice},
		{"e", 90 * 24 * time.Hour, "beep"},
	} {
		if got := c.Media[tc.queue].Recording; got.Retention != tc.retention || got.Notice != tc.notice {
			t.Errorf("queue %s: retention %s notice %q, want %s %q", tc.queue, got.Retention, got.Notice, tc.retention, tc.notice)
		}
	}
	if want := (Recordings{Dir: "/srv/recs", Fetch: FetchShared, SharedDir: "/mnt/asterisk"}); c.Recordings != want || c.RecordingsDir() != "/srv/recs" {
		t.Errorf("recordings: %+v, dir %s", c.Recordings, c.RecordingsDir())
	}

	c = loadConfigString(t, "database: {data_dir: /srv/sb}\nqueues: [{name: q}]\n")
	if c.Recordings != (Recordings{Fetch: FetchARI}) || c.RecordingsDir() != filepath.Join("/srv/sb", "recordings") {
		t.Errorf("defaults: %+v, dir %s", c.Recordings, c.RecordingsDir())
	}
	c = loadConfigString(t, "recordings: {fetch: ari}\nqueues: [{name: q}]\n")
	if c.Recordings != (Recordings{Fetch: FetchARI}) {
		t.Errorf("fetch ari: %+v", c.Recordings)
	}
}

func TestRecordingKeysBad(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"retention and notice", `queues:
  - {name: a, recording: {policy: always, retention: 0}}
  - {name: b, recording: {policy: always, retention: -24h}}
  - {name: c, recording: {policy: always, retention: 0d}}
  - {name: d, recording: {policy: always, retention: 36501d}}
  - {name: e, recording: {policy: always, retention: 90 days}}
  - {name: f, recording: {policy: always, retention: [1d]}}
  - {name: g, recording: {policy: always, notice: "sound:beep"}}
  - {name: h, recording: {policy: never, notice: beep}}
  - {name: i, recording: {policy: always, notice: ../../etc/passwd}}
  - {name: j, recording: {policy: sometimes, notice: beep}}
  - {name: k, recording: {retention: 30d}}
`, []string{
			"sb.yaml:2: queues[0].recording.retention: must be positive (how long recordings are kept, e.g. 90d), got 0s",
			"sb.yaml:3: queues[1].recording.retention: must be positive (how long recordings are kept, e.g. 90d), got -24h0m0s",
			"sb.yaml:4: queues[2].recording.retention: must be positive (how long recordings are kept, e.g. 90d), got 0s",
			"sb.yaml:5: queues[3].recording.retention: must be at most 36500d, got 36501d",
			`sb.yaml:6: queues[4].recording.retention: want a duration like "90s" or "1h30m", or seconds, got "90 days"`,
			`sb.yaml:7: queues[5].recording.retention: want a duration like "90s" or "1h30m", or seconds, got a list`,
			`sb.yaml:8: queues[6].recording.notice: "sound:beep" is not a sound name (or none)`,
			"sb.yaml:9: queues[7].recording.notice: has no effect with policy never",
			`sb.yaml:10: queues[8].recording.notice: "../../etc/passwd" is not a sound name (or none)`,
			`sb.yaml:11: queues[9].recording.policy: unknown policy "sometimes" (known: always, never, sample, on-demand)`,
			`sb.yaml:12: queues[10].recording: missing required key "policy"`,
		}},
		{"fetch shared without a folder", "recordings:\n  fetch: shared\nqueues: [{name: q}]\n",
			[]string{"sb.yaml:2: recordings.fetch: fetch shared needs shared_dir (Asterisk's recording folder as mounted here)"}},
		{"shared folder with fetch ari", "recordings:\n  shared_dir: /mnt/a\nqueues: [{name: q}]\n",
			[]string{"sb.yaml:2: recordings.shared_dir: only fetch: shared reads shared_dir"}},
		{"shared folder is the store", "database: {data_dir: /srv}\nrecordings:\n  fetch: shared\n  shared_dir: /srv/recordings/\nqueues: [{name: q}]\n",
			[]string{`sb.yaml:4: recordings.shared_dir: must not be the recording store's folder "/srv/recordings"`}},
		{"bad values", "recordings:\n  dir: \"  \"\n  fetch: nfs\n  shared_dir: /mnt/a\n  bucket: s3\nqueues: [{name: q}]\n",
			[]string{
				"sb.yaml:2: recordings.dir: must not be empty",
				`sb.yaml:3: recordings.fetch: unknown fetch mode "nfs" (known: ari, shared)`,
				`sb.yaml:5: recordings: unknown key "bucket" (known: dir, fetch, shared_dir)`,
			}},
		{"not a mapping", "recordings: /srv\nqueues: [{name: q}]\n",
			[]string{`sb.yaml:1: recordings: want a mapping, got "/srv"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(strings.NewReader(tc.in), "sb.yaml")
			checkErrors(t, err, tc.want)
		})
	}
}
