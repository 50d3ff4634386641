package router

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/acd"
	"switchboard/recording"
)

// Recorded is a finished call recording, fetched into the recording store and ready to index.
type Recorded = recording.Recording

// Collecting recordings.
//
// A queue that records starts a bridge recording when the call is answered (engine.go); its
// name is "call-<call id>", or for any later recording of the same call (after a transfer, or
// when a restarted router queues it again) "call-<call id>-r<UTC time of its start>": a name
// is never reused, so a second recording never replaces the first one's file or index row
// (Asterisk is asked to refuse an existing name, too). When it asks for a recording the router
// notes, by its name, the call's queue, agent and caller number as they are at that moment
// (the call may be gone, or transferred, by the time the recording finishes; a restarted
// router notes them from the channel variables). On RecordingFinished a goroutine of its own, never the
// owner, fetches the file from Asterisk (GET /recordings/stored/{name}/file, or from
// Asterisk's recording folder when it is mounted here: RecordingOptions.Shared), writes it under
// RecordingOptions.Dir with a temporary name and renames it into place, hashes it (SHA-256) as it
// arrives, reads duration and format from the WAV header, and hands the Recorded to the
// Index hook, which indexes it. Only once the hook reports success is the stored recording
// deleted on Asterisk, so that a failed fetch or index write leaves Asterisk's copy in place
// for a later attempt (CollectStored, which the daemon runs periodically) rather than losing
// the only one.
const (
	recordingPrefix   = "call-"
	maxRecordingBytes = 4 << 30 // a 16-bit 8 kHz mono WAV of over 74 hours
	fetchAttempts     = 4
	startedKeep       = 24 * time.Hour // notes of recordings never finished are dropped after this
)

type recorder struct {
	opt     RecordingOptions    // Wait defaulted
	started map[string]Recorded // by recording name; owner goroutine only
	noted   map[string]Recorded // what a recording's row says of its call, until it starts; owner only
	wg      sync.WaitGroup
	backoff time.Duration
	res     reservations
	log     *slog.Logger
	tel     Recordings
	// Owner goroutine only (recclose.go): recorded bridges waiting for their recording to end,
	// recordings that ended before their call did, and those collected without their end.
	closing       map[string]*closing
	ended         map[string]time.Time
	collectedLate map[string]time.Time
	m             recMetrics
}

// Recording collection results (the result label of switchboard_recordings_total).
const (
	resultStored      = "stored"       // fetched and indexed
	resultFetchFailed = "fetch_failed" // left on Asterisk
	resultIndexFailed = "index_failed" // fetched, not indexed; left on Asterisk too
	resultFailed      = "failed"       // RecordingFailed from Asterisk
)

// recMetrics count what became of the finished recordings.
type recMetrics struct {
	results *prometheus.CounterVec
	bytes   prometheus.Counter
}

// reservations are the recordings being collected.
type reservations struct {
	mu   sync.Mutex
	busy map[string]bool
}

func newRecorder(opt Options, tel Recordings) *recorder {
	rc := &recorder{opt: opt.Recordings, log: opt.Logger, tel: tel, started: map[string]Recorded{}, noted: map[string]Recorded{}, backoff: 500 * time.Millisecond, res: reservations{busy: map[string]bool{}},
		closing: map[string]*closing{}, ended: map[string]time.Time{}, collectedLate: map[string]time.Time{},
		m: recMetrics{results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_recordings_total", Help: "Finished call recordings by what became of them: stored, fetch_failed, index_failed, failed.",
		}, []string{"result"}),
			bytes: prometheus.NewCounter(prometheus.CounterOpts{
				Name: "switchboard_recording_bytes_total", Help: "Bytes of recordings fetched into the recording store.",
			})},
	}
	if rc.opt.Wait <= 0 {
		rc.opt.Wait = defaultRecordingWait
	}
	for _, r := range []string{resultStored, resultFetchFailed, resultIndexFailed, resultFailed} {
		rc.m.results.WithLabelValues(r)
	}
	if opt.Probes.Registerer != nil {
		opt.Probes.Registerer.MustRegister(rc.m.results, rc.m.bytes)
	}
	return rc
}

// recordingUnit starts, notes and closes the calls' recordings; its recorder collects the
// finished files off the owner goroutine.
type recordingUnit struct {
	clock acd.Clock
	tel   Telephony
	log   *slog.Logger
	ex    *executor
	conn  *connector       // the queues' settings
	calls map[string]*call // the owner's
	recs  *recorder
}

// WaitRecordings waits until the recordings being collected are done (for shutdown and tests).
func (r *Router) WaitRecordings() { r.u.rec.recs.wg.Wait() }

// onRecording handles RecordingStarted, RecordingFinished and RecordingFailed on the owner.
func (r *recordingUnit) onRecording(ev Event) {
	now := r.clock.Now()
	switch ev := ev.(type) {
	case RecordingStarted:
		rec, ok := r.recordingNote(ev.Name, ev.Format, now)
		if !ok {
			return
		}
		rec.Started = now
		delete(r.recs.noted, rec.Name)
		for _, notes := range []map[string]Recorded{r.recs.started, r.recs.noted} {
			for name, old := range notes {
				if now.Sub(old.Started) > startedKeep {
					delete(notes, name)
				}
			}
		}
		r.recs.started[rec.Name] = rec
		r.recordingNotice(rec.CallID)
	case RecordingFailed:
		name := ev.Name
		r.recordingEnded(name)
		delete(r.recs.started, name)
		delete(r.recs.noted, name)
		r.recs.m.results.WithLabelValues(resultFailed).Inc()
		r.log.Error("recording failed on asterisk", "recording", name, "cause", ev.Cause)
	case RecordingFinished:
		name := ev.Name
		if !r.recordingEnded(name) {
			return // collected already, when it did not come in time
		}
		rec, ok := r.recs.started[name]
		delete(r.recs.started, name)
		if !ok {
			// RecordingStarted was missed (a reconnect in between): what the call still says.
			if rec, ok = r.recordingNote(name, ev.Format, now); !ok {
				return
			}
			rec.Started = now.Add(-ev.Duration)
			delete(r.recs.noted, name)
		}
		if ev.Format != "" {
			rec.Format = ev.Format
		}
		if r.recs.opt.Dir == "" || r.recs.opt.Index == nil {
			r.log.Debug("recording finished; no recording store configured", "recording", name)
			return
		}
		if !r.recs.reserve(name) {
			r.log.Debug("recording finished; already being collected", "recording", name)
			return
		}
		r.recs.wg.Add(1)
		r.ex.spawn(func() {
			defer r.recs.wg.Done()
			r.recs.collect(context.Background(), rec, ev.Duration) // no deadline: a long file takes a while
		})
	}
}

// laterRecording is the suffix of the name of a call's second and later recordings.
var laterRecording = regexp.MustCompile(`-r[0-9]{8}T[0-9]{6}\.[0-9]{3}Z$`)

// newRecording names a new recording of c starting at now, notes it as the recording of the
// call's current bridge, and notes the call's queue, agent and number for its index row as
// they are now (RecordingStarted may come after a transfer).
func (r *recordingUnit) newRecording(c *call, now time.Time) string {
	name := recordingPrefix + c.id
	if c.rec.recorded {
		for at := now.UTC().Truncate(time.Millisecond); ; at = at.Add(time.Millisecond) {
			if name = recordingPrefix + c.id + "-r" + at.Format("20060102T150405.000Z"); name != c.rec.lastRec {
				break
			}
		}
	}
	c.rec.recording, c.rec.lastRec, c.rec.recorded = name, name, true
	r.noteRecording(name, c, c.conn.agent, now)
	return name
}

// noteRecording keeps what the index row of recording name says of its call, as it is now:
// RecordingStarted may come after a transfer, and RecordingFinished of a recording started
// before a restart after the call was queued again or ended.
func (r *recordingUnit) noteRecording(name string, c *call, agent string, now time.Time) {
	r.recs.noted[name] = Recorded{Name: name, CallID: c.id, Queue: c.place.queue, Agent: agent, Number: c.info.number, Started: now}
}

// recordingFailed forgets a recording of c that did not start.
func (r *recordingUnit) recordingFailed(c *call, name string) {
	if c.rec.recording == name {
		c.rec.recording = ""
	}
	delete(r.recs.noted, name)
}

// recordingOf is the name under which c's current recording runs, or would.
func (c *call) recordingOf() string {
	if c.rec.recording != "" {
		return c.rec.recording
	}
	return recordingPrefix + c.id
}

// isRecordingName reports whether name is one the router gives recordings.
func isRecordingName(name string) bool {
	return strings.HasPrefix(name, recordingPrefix) && len(name) > len(recordingPrefix) && recording.ValidName(name)
}

// recordingCall returns the id of the call a recording name belongs to.
func recordingCall(name string) string {
	return laterRecording.ReplaceAllString(strings.TrimPrefix(name, recordingPrefix), "")
}

// recordingNotice plays the queue's notice to the caller of a call whose recording started.
func (r *recordingUnit) recordingNotice(callID string) {
	c := r.calls[callID]
	if c == nil || c.callerChan == "" {
		return
	}
	media := r.conn.settings(c.place.queue).RecordingNotice
	if media == "" {
		return
	}
	if !strings.Contains(media, ":") {
		media = "sound:" + media
	}
	ch := c.callerChan
	c.w.do(func(ctx context.Context) {
		if err := ignoreGone(r.tel.Play(ctx, ch, "sb-recnotice-"+ch, mediaList(media))); err != nil {
			r.log.Warn("recording notice not played", "call", c.id, "err", err)
		}
	})
}

// RecordOnDemand starts recording a connected call at its agent's request. agent must be the
// agent connected to the call, and allowed (the queue's policy; nil allows) must accept the
// call's queue. A call already being recorded is left as it is. Errors carry acd codes:
// not_found (no such call), conflict (not connected to that agent), invalid (the policy
// refuses).
func (r *Router) RecordOnDemand(ctx context.Context, callID, agent string, allowed func(queue string) bool) error {
	done := make(chan error, 1)
	r.post(func() {
		c := r.calls[callID]
		switch {
		case c == nil:
			done <- &acd.Error{Code: acd.ENotFound, Message: "no call " + callID}
			return
		case c.conn.bridge == "" || c.conn.agent == "" || c.conn.agent != agent:
			done <- &acd.Error{Code: acd.EConflict, Message: "call " + callID + " is not connected to agent " + agent}
			return
		case allowed != nil && !allowed(c.place.queue):
			done <- &acd.Error{Code: acd.EInvalid, Message: "queue " + c.place.queue + " does not record on demand"}
			return
		}
		if c.rec.recording != "" {
			done <- nil // already recorded
			return
		}
		name := r.u.rec.newRecording(c, r.clock.Now())
		bridge, ch, answer := c.conn.bridge, c.callerChan, answerValue(c.conn.agent, c.conn.answeredAt, name)
		c.w.do(func(ctx context.Context) {
			err := ignoreGone(r.tel.RecordBridge(ctx, bridge, name))
			if err != nil {
				r.post(func() { r.u.rec.recordingFailed(c, name) })
				done <- fmt.Errorf("record on demand: %w", err)
				return
			}
			if ch != "" { // a restarted router knows the recording by it
				_ = ignoreGone(r.tel.SetVar(ctx, ch, varAnswer, answer))
			}
			done <- nil
		})
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recordingNote starts a Recorded for one of the router's call recordings, from what was noted
// of it (noteRecording), or from the call if it is still held.
func (r *recordingUnit) recordingNote(name, format string, now time.Time) (Recorded, bool) {
	if !isRecordingName(name) {
		return Recorded{}, false // not one of ours, or not a name we could store
	}
	rec := Recorded{Name: name, CallID: recordingCall(name), Format: format, Started: now}
	if rec.Format == "" {
		rec.Format = "wav"
	}
	if p, ok := r.recs.noted[name]; ok {
		rec.Queue, rec.Agent, rec.Number = p.Queue, p.Agent, p.Number
	} else if c := r.calls[rec.CallID]; c != nil {
		rec.Queue, rec.Agent, rec.Number = c.place.queue, c.conn.agent, c.info.number
	}
	return rec, true
}

// CollectStored collects the call recordings Asterisk still stores: those left by a failed
// fetch or index write, or finished while the router was away. Recordings of calls the router
// still holds are left alone (they may be in progress). What the router no longer knows of a
// call (queue, agent, number, start) is left empty for the Recorded hook to fill in, e.g. from
// the call records. It returns how many recordings it indexed. Not on the owner goroutine.
func (r *Router) CollectStored(ctx context.Context) (int, error) {
	if r.u.rec.recs.opt.Dir == "" || r.u.rec.recs.opt.Index == nil {
		return 0, nil
	}
	names, err := r.tel.StoredRecordings(ctx)
	if err != nil {
		return 0, fmt.Errorf("stored recordings: %w", err)
	}
	var todo []Recorded
	err = r.Do(ctx, func(*acd.Engine) error {
		for _, name := range names {
			if !isRecordingName(name) {
				continue
			}
			id := recordingCall(name)
			if _, live := r.u.rec.recs.started[name]; live || r.calls[id] != nil {
				continue
			}
			rec := Recorded{Name: name, CallID: id, Format: "wav"}
			if n, ok := r.u.rec.recs.noted[name]; ok {
				rec.Queue, rec.Agent, rec.Number = n.Queue, n.Agent, n.Number
			}
			todo = append(todo, rec)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range todo {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		if !r.u.rec.recs.reserve(rec.Name) {
			continue // RecordingFinished came meanwhile: it is being collected
		}
		if r.u.rec.recs.collect(ctx, rec, 0) {
			n++
		}
	}
	return n, nil
}

// reserve marks a recording as being collected (RecordingFinished does on the owner
// goroutine, before its collection starts), so that the sweep and RecordingFinished never
// both collect it; false: it already is.
func (rc *recorder) reserve(name string) bool {
	rc.res.mu.Lock()
	defer rc.res.mu.Unlock()
	if rc.res.busy[name] {
		return false
	}
	rc.res.busy[name] = true
	return true
}

func (rc *recorder) release(name string) {
	rc.res.mu.Lock()
	delete(rc.res.busy, name)
	rc.res.mu.Unlock()
}

// collect fetches, stores, hashes and indexes one finished recording reserved for it, off
// the owner goroutine, and releases it; it reports whether the recording was indexed.
func (rc *recorder) collect(ctx context.Context, rec Recorded, reported time.Duration) bool {
	defer rc.release(rec.Name)
	var err error
	for attempt := 1; attempt <= fetchAttempts; attempt++ {
		if err = rc.fetchInto(ctx, &rec); err == nil || errors.Is(err, ErrNotFound) {
			break
		}
		if attempt < fetchAttempts {
			time.Sleep(rc.backoff << (attempt - 1))
		}
	}
	if err != nil {
		rc.m.results.WithLabelValues(resultFetchFailed).Inc()
		rc.log.Error("recording not fetched; it stays on asterisk", "recording", rec.Name, "call", rec.CallID, "err", err)
		return false
	}
	rc.m.bytes.Add(float64(rec.Size))
	if rec.Duration == 0 && reported > 0 {
		rec.Duration = reported
	}
	if err := rc.opt.Index(rec); err != nil {
		rc.m.results.WithLabelValues(resultIndexFailed).Inc()
		rc.log.Error("recording not indexed; the file stays in the store and on asterisk", "recording", rec.Name, "path", rec.Path, "err", err)
		return false
	}
	rc.m.results.WithLabelValues(resultStored).Inc()
	if err := ignoreGone(rc.tel.DeleteRecording(ctx, rec.Name)); err != nil {
		rc.log.Warn("stored recording not deleted on asterisk", "recording", rec.Name, "err", err)
	}
	rc.log.Info("recording stored", "recording", rec.Name, "call", rec.CallID, "queue", rec.Queue, "agent", rec.Agent,
		"bytes", rec.Size, "duration", rec.Duration)
	return true
}

// fetchInto downloads the recording into the store folder and fills in path, size, checksum
// and, from the WAV header, duration. The file appears under its final name only complete.
func (rc *recorder) fetchInto(ctx context.Context, rec *Recorded) (err error) {
	body, err := rc.openRecording(ctx, rec)
	if err != nil {
		return fmt.Errorf("fetch recording %s: %w", rec.Name, err)
	}
	defer body.Close()
	if err := os.MkdirAll(rc.opt.Dir, 0o750); err != nil {
		return fmt.Errorf("recordings folder: %w", err)
	}
	tmp, err := os.CreateTemp(rc.opt.Dir, ".fetch-*")
	if err != nil {
		return fmt.Errorf("recording temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(body, maxRecordingBytes+1))
	if err != nil {
		return fmt.Errorf("fetch recording %s: %w", rec.Name, err)
	}
	if n > maxRecordingBytes {
		return fmt.Errorf("recording %s larger than %d bytes", rec.Name, int64(maxRecordingBytes))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("recording %s: %w", rec.Name, err)
	}
	if rec.Format == "wav" {
		if w, werr := recording.ReadWAV(tmp, n); werr == nil {
			rec.Duration = w.Duration
		} else {
			rc.log.Warn("recording is not a readable wav file; indexed as fetched", "recording", rec.Name, "err", werr)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("recording %s: %w", rec.Name, err)
	}
	path := filepath.Join(rc.opt.Dir, rec.Name+"."+safeExt(rec.Format))
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("recording %s: %w", rec.Name, err)
	}
	rec.Path, rec.Size, rec.SHA256 = path, n, hex.EncodeToString(h.Sum(nil))
	return nil
}

// openRecording opens a finished recording on Asterisk: from the shared folder if there is one,
// else over ARI.
func (rc *recorder) openRecording(ctx context.Context, rec *Recorded) (io.ReadCloser, error) {
	if rc.opt.Shared == "" {
		return rc.tel.FetchRecording(ctx, rec.Name)
	}
	f, err := os.Open(filepath.Join(rc.opt.Shared, rec.Name+"."+safeExt(rec.Format)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("shared folder: %w", ErrNotFound)
	}
	return f, err
}

func safeExt(format string) string {
	if recording.ValidName(format) && !strings.Contains(format, ".") {
		return format
	}
	return "bin"
}
