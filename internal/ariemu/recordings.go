package ariemu

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// liveRecording is a recording in progress. Guarded by Server.mu.
type liveRecording struct {
	name, format, target string
	state                string // queued, recording, paused, done, failed
	ch                   *channel
	br                   *bridge
	started              time.Time     // when recording (re)started, on the server's clock
	recorded             time.Duration // emulated time recorded before the last pause
	muted                bool
	maxTimer             stopper
	discard              bool            // DELETE /recordings/live: no file, no event
	lost                 bool            // its bridge was deleted under it: a file, no event
	to                   map[string]bool // who hears of its end when not the bridge's subscribers
}

func (l *liveRecording) json() LiveRecordingJSON {
	return LiveRecordingJSON{Name: l.name, Format: l.format, State: l.state, TargetURI: l.target}
}

func (l *liveRecording) apps() map[string]bool {
	if l.ch != nil {
		return l.ch.subs
	}
	if l.to != nil {
		return l.to
	}
	return bridgeSubs(l.br)
}

// validRecordingName accepts names Asterisk would store under its recording
// folder: relative, no parent references.
func validRecordingName(n string) bool {
	if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, "\\") {
		return false
	}
	for _, part := range strings.Split(n, "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
	}
	return true
}

func (s *Server) recordingPath(name string) string {
	return filepath.Join(s.opts.RecordingsDir, filepath.FromSlash(name)+".wav")
}

// startRecording handles POST /channels/{id}/record and /bridges/{id}/record.
// Call with s.mu held.
func (s *Server) startRecording(p reqParams, target string, ch *channel, br *bridge) (int, any, *apiError) {
	name, format := p.Get("name"), p.Get("format")
	if name == "" || format == "" {
		return 0, nil, errf(http.StatusBadRequest, "Invalid parameters")
	}
	if format != "wav" {
		return 0, nil, errf(http.StatusUnprocessableEntity, "Format '"+format+"' is unknown on this system")
	}
	if !validRecordingName(name) {
		return 0, nil, errf(http.StatusBadRequest, "Invalid parameters")
	}
	maxDur, ok := p.int("maxDurationSeconds", 0)
	if !ok || maxDur < 0 {
		return 0, nil, errf(http.StatusBadRequest, "Invalid parameters")
	}
	ifExists := p.Get("ifExists")
	switch ifExists {
	case "", "fail", "overwrite", "append":
	default:
		return 0, nil, errf(http.StatusBadRequest, "ifExists invalid")
	}
	if s.live[name] != nil {
		return 0, nil, errf(http.StatusConflict, "Recording '"+name+"' already in progress")
	}
	if _, err := os.Stat(s.recordingPath(name)); err == nil && (ifExists == "" || ifExists == "fail") {
		return 0, nil, errf(http.StatusConflict, "Recording with the same name already exists on the system")
	}
	l := &liveRecording{name: name, format: format, target: target, state: "queued", ch: ch, br: br}
	s.live[name] = l
	resp := l.json()
	if br != nil {
		br.recorders++
		s.uniqueSeq += 2 // Asterisk's Recorder channel takes two unique ids
	}
	begin := func() {
		if s.closed || s.live[name] != l || l.state != "queued" {
			return
		}
		l.state = "recording"
		l.started = s.clock.Now()
		s.emit("RecordingStarted", event{"recording": l.json()}, l.apps())
		if maxDur > 0 {
			l.maxTimer = s.schedule(s.scale(time.Duration(maxDur)*time.Second), func() {
				if s.live[name] == l {
					s.finishRecording(l)
				}
			})
		}
	}
	if ch != nil && ch.busy() {
		// A channel recording is queued behind the channel's playbacks.
		ch.idleFns = append(ch.idleFns, begin)
	} else {
		begin()
	}
	return http.StatusCreated, resp, nil
}

// finishRecording writes the WAV file and sends RecordingFinished. Call with s.mu held.
func (s *Server) finishRecording(l *liveRecording) {
	if s.live[l.name] == l {
		delete(s.live, l.name)
	}
	if l.maxTimer != nil {
		l.maxTimer.Stop()
	}
	if l.br != nil && l.br.recorders > 0 {
		l.br.recorders--
	}
	if l.state == "recording" {
		l.recorded += s.emulated(s.clock.Now().Sub(l.started))
	}
	if l.discard {
		return
	}
	secs := int(l.recorded.Round(time.Second) / time.Second)
	path := s.recordingPath(l.name)
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		err = writeWAV(path, l.recorded)
	}
	j := l.json()
	if l.lost {
		if err != nil {
			s.log.Error("write recording", "name", l.name, "err", err)
		}
		return
	}
	if err != nil {
		s.log.Error("write recording", "name", l.name, "err", err)
		j.State = "failed"
		j.Cause = "write failed"
		s.emit("RecordingFailed", event{"recording": j}, l.apps())
		return
	}
	j.State = "done"
	j.Duration = &secs
	s.emit("RecordingFinished", event{"recording": j}, l.apps())
}

func (s *Server) stopChannelRecordings(ch *channel) {
	for _, l := range s.liveList() {
		if l.ch == ch {
			s.finishRecording(l)
		}
	}
}

func (s *Server) stopBridgeRecordings(b *bridge) {
	for _, l := range s.liveList() {
		if l.br == b {
			s.finishRecording(l)
		}
	}
}

// loseBridgeRecordings ends the recordings of a bridge deleted while legs were still in it:
// Asterisk keeps the file but may never send RecordingFinished (traces/
// recording-vs-bridge-delete.jsonl; the .alt recording got it: Options.RecordingEndsWithBridge).
func (s *Server) loseBridgeRecordings(b *bridge) {
	for _, l := range s.liveList() {
		if l.br == b {
			l.lost = true
			s.finishRecording(l)
		}
	}
}

func (s *Server) liveList() []*liveRecording {
	out := make([]*liveRecording, 0, len(s.live))
	for _, l := range s.live {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Server) liveOp(fn func(l *liveRecording) *apiError) http.Handler {
	return handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		l := s.live[r.PathValue("recordingName")]
		if l == nil {
			return 0, nil, errf(http.StatusNotFound, "Recording not found")
		}
		if err := fn(l); err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, nil
	})
}

func (s *Server) recordingRoutes() []route {
	notInSession := errf(http.StatusConflict, "Recording not in session")
	return []route{
		{"GET", "/recordings/live/{recordingName}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			l := s.live[r.PathValue("recordingName")]
			if l == nil {
				return 0, nil, errf(http.StatusNotFound, "Recording not found")
			}
			return http.StatusOK, l.json(), nil
		})},
		{"DELETE", "/recordings/live/{recordingName}", s.liveOp(func(l *liveRecording) *apiError {
			l.discard = true
			s.finishRecording(l)
			return nil
		})},
		{"POST", "/recordings/live/{recordingName}/stop", s.liveOp(func(l *liveRecording) *apiError {
			s.finishRecording(l)
			return nil
		})},
		{"POST", "/recordings/live/{recordingName}/pause", s.liveOp(func(l *liveRecording) *apiError {
			switch l.state {
			case "recording":
				l.recorded += s.emulated(s.clock.Now().Sub(l.started))
				l.state = "paused"
			case "paused":
			default:
				return notInSession
			}
			return nil
		})},
		{"DELETE", "/recordings/live/{recordingName}/pause", s.liveOp(func(l *liveRecording) *apiError {
			switch l.state {
			case "paused":
				l.state = "recording"
				l.started = s.clock.Now()
			case "recording":
			default:
				return notInSession
			}
			return nil
		})},
		{"POST", "/recordings/live/{recordingName}/mute", s.liveOp(func(l *liveRecording) *apiError {
			if l.state != "recording" && l.state != "paused" {
				return notInSession
			}
			l.muted = true
			return nil
		})},
		{"DELETE", "/recordings/live/{recordingName}/mute", s.liveOp(func(l *liveRecording) *apiError {
			if l.state != "recording" && l.state != "paused" {
				return notInSession
			}
			l.muted = false
			return nil
		})},
		{"GET", "/recordings/stored", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			list, err := s.storedRecordings()
			if err != nil {
				return 0, nil, errf(http.StatusInternalServerError, "Internal Server Error")
			}
			return http.StatusOK, list, nil
		})},
		{"GET", "/recordings/stored/{recordingName}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			name := r.PathValue("recordingName")
			if !s.storedExists(name) {
				return 0, nil, errf(http.StatusNotFound, "Recording not found")
			}
			return http.StatusOK, StoredRecordingJSON{Name: name, Format: "wav"}, nil
		})},
		{"DELETE", "/recordings/stored/{recordingName}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			name := r.PathValue("recordingName")
			if !s.storedExists(name) {
				return 0, nil, errf(http.StatusNotFound, "Recording not found")
			}
			if err := os.Remove(s.recordingPath(name)); err != nil {
				return 0, nil, errf(http.StatusInternalServerError, "Internal Server Error")
			}
			return http.StatusNoContent, nil, nil
		})},
		{"GET", "/recordings/stored/{recordingName}/file", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := r.PathValue("recordingName")
			if !s.storedExists(name) {
				writeError(w, http.StatusNotFound, "Recording not found")
				return
			}
			b, err := os.ReadFile(s.recordingPath(name))
			if err != nil {
				writeError(w, http.StatusForbidden, "The recording file could not be opened")
				return
			}
			w.Header().Set("Content-Type", "audio/wav")
			w.Header().Set("Content-Disposition", `attachment; filename="`+filepath.Base(name)+`.wav"`)
			_, _ = w.Write(b)
		})},
	}
}

func (s *Server) storedExists(name string) bool {
	if !validRecordingName(name) {
		return false
	}
	fi, err := os.Stat(s.recordingPath(name))
	return err == nil && fi.Mode().IsRegular()
}

// storedRecordings lists the WAV files under the recordings folder.
func (s *Server) storedRecordings() ([]StoredRecordingJSON, error) {
	out := []StoredRecordingJSON{}
	root := s.opts.RecordingsDir
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".wav") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		out = append(out, StoredRecordingJSON{Name: filepath.ToSlash(strings.TrimSuffix(rel, ".wav")), Format: "wav"})
		return nil
	})
	return out, err
}
