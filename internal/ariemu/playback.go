package ariemu

import (
	"net/http"
	"time"
)

// player is the playback queue of a channel or a bridge: one playback plays
// at a time, the next starts when it ends. Guarded by Server.mu.
type player struct {
	ch    *channel // one of ch, br is set
	br    *bridge
	queue []*playback
	cur   *playback
}

func (p *player) busy() bool { return p != nil && (p.cur != nil || len(p.queue) > 0) }

// playback is one ARI playback. Guarded by Server.mu.
type playback struct {
	id       string
	media    []Media
	idx      int
	target   string
	language string
	state    string
	p        *player

	timer     stopper
	partEnds  time.Time     // time the current part ends, on the server's clock
	remaining time.Duration // real time left when paused
	partLen   time.Duration // real length of the current part
}

func (pb *playback) json() PlaybackJSON {
	j := PlaybackJSON{ID: pb.id, TargetURI: pb.target, Language: pb.language, State: pb.state}
	if pb.idx < len(pb.media) {
		j.MediaURI = pb.media[pb.idx].URI
	}
	if pb.idx+1 < len(pb.media) {
		j.NextMediaURI = pb.media[pb.idx+1].URI
	}
	return j
}

// playbackApps is who hears about a playback: the applications subscribed to its target.
func (s *Server) playbackApps(p *player) map[string]bool {
	if p.ch != nil {
		return p.ch.subs
	}
	return bridgeSubs(p.br)
}

// enqueuePlayback queues pb on p and starts it when p is idle. Call with s.mu held.
func (s *Server) enqueuePlayback(p *player, pb *playback) {
	pb.p = p
	s.playbacks[pb.id] = pb
	p.queue = append(p.queue, pb)
	if p.cur == nil {
		// Asterisk starts it from the channel's control thread at once; the
		// answer to the request still says "queued".
		s.playNext(p)
	}
}

// playNext starts the next queued playback of p, if any. Call with s.mu held.
func (s *Server) playNext(p *player) {
	for p.cur == nil && len(p.queue) > 0 {
		pb := p.queue[0]
		p.queue = p.queue[1:]
		p.cur = pb
		s.startPart(pb)
	}
	if !p.busy() && p.ch != nil {
		s.channelIdle(p.ch)
	}
}

// startPart plays pb.media[pb.idx]: PlaybackStarted, then the part's duration
// or an immediate PlaybackFinished(failed).
func (s *Server) startPart(pb *playback) {
	pb.state = "playing"
	s.emit("PlaybackStarted", event{"playback": pb.json()}, s.playbackApps(pb.p))
	d, ok := s.mediaDuration(pb.media[pb.idx], pb.language)
	if br := pb.p.br; br != nil && br.announcerSlotTaken() {
		ok = false // the playback's announcer channel cannot join the holding bridge
	}
	if !ok {
		s.finishPlayback(pb, "failed")
		return
	}
	if ch := pb.p.ch; ch != nil && ch.rec != nil {
		ch.rec.Played = append(ch.rec.Played, pb.media[pb.idx].URI)
		s.notifyCalls()
	}
	pb.partLen = s.scale(d)
	pb.partEnds = s.clock.Now().Add(pb.partLen)
	s.armPart(pb, pb.partLen)
}

func (s *Server) armPart(pb *playback, d time.Duration) {
	pb.timer = s.schedule(d, func() {
		if pb.p.cur != pb || pb.state != "playing" {
			return
		}
		s.partDone(pb)
	})
}

func (s *Server) partDone(pb *playback) {
	pb.timer = nil
	if pb.idx+1 < len(pb.media) {
		pb.state = "continuing"
		s.emit("PlaybackContinuing", event{"playback": pb.json()}, s.playbackApps(pb.p))
		pb.idx++
		s.startPart(pb)
		return
	}
	s.finishPlayback(pb, "done")
}

// finishPlayback ends pb with state (done or failed), then starts the next one.
func (s *Server) finishPlayback(pb *playback, state string) {
	if pb.timer != nil {
		pb.timer.Stop()
		pb.timer = nil
	}
	pb.state = state
	s.emit("PlaybackFinished", event{"playback": pb.json()}, s.playbackApps(pb.p))
	if s.playbacks[pb.id] == pb {
		delete(s.playbacks, pb.id)
	}
	p := pb.p
	if p.cur == pb {
		p.cur = nil
		s.playNext(p)
	}
}

// stopPlayer ends the current playback (done) and drops the queued ones,
// without starting anything: the target is going away.
func (s *Server) stopPlayer(p *player) {
	for _, q := range p.queue {
		if s.playbacks[q.id] == q {
			delete(s.playbacks, q.id)
		}
	}
	p.queue = nil
	if cur := p.cur; cur != nil {
		if cur.timer != nil {
			cur.timer.Stop()
			cur.timer = nil
		}
		cur.state = "done"
		s.emit("PlaybackFinished", event{"playback": cur.json()}, s.playbackApps(p))
		if s.playbacks[cur.id] == cur {
			delete(s.playbacks, cur.id)
		}
		p.cur = nil
	}
}

// play handles POST .../play and .../play/{playbackId} for a channel or bridge player.
func (s *Server) play(p *player, target, id string, prm reqParams, lang string) (int, any, *apiError) {
	media, err := parseMedia(prm.list("media"))
	if err != nil {
		return 0, nil, errf(http.StatusBadRequest, "media: Missing required field")
	}
	if l := prm.Get("lang"); l != "" {
		lang = l
	}
	if id == "" {
		id = prm.Get("playbackId")
	}
	if id == "" {
		id = newUUID()
	}
	pb := &playback{id: id, media: media, target: target, language: lang, state: "queued"}
	resp := pb.json()
	s.enqueuePlayback(p, pb)
	return http.StatusCreated, resp, nil
}

func (s *Server) playbackRoutes() []route {
	return []route{
		{"GET", "/playbacks/{playbackId}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			pb := s.playbacks[r.PathValue("playbackId")]
			if pb == nil {
				return 0, nil, errf(http.StatusNotFound, "Playback not found")
			}
			return http.StatusOK, pb.json(), nil
		})},
		{"DELETE", "/playbacks/{playbackId}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			pb := s.playbacks[r.PathValue("playbackId")]
			if pb == nil {
				return 0, nil, errf(http.StatusNotFound, "Playback not found")
			}
			p := pb.p
			if p.cur == pb {
				s.finishPlayback(pb, "done")
			} else {
				for i, q := range p.queue {
					if q == pb {
						p.queue = append(p.queue[:i], p.queue[i+1:]...)
						break
					}
				}
				delete(s.playbacks, pb.id)
				if !p.busy() && p.ch != nil {
					s.channelIdle(p.ch)
				}
			}
			return http.StatusNoContent, nil, nil
		})},
		{"POST", "/playbacks/{playbackId}/control", handle(func(r *http.Request, prm reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			pb := s.playbacks[r.PathValue("playbackId")]
			if pb == nil {
				return 0, nil, errf(http.StatusNotFound, "Playback not found")
			}
			op := prm.Get("operation")
			switch op {
			case "restart", "pause", "unpause", "reverse", "forward":
			case "":
				return 0, nil, errf(http.StatusBadRequest, "operation: Missing required field")
			default:
				return 0, nil, errf(http.StatusBadRequest, "Invalid operation "+op)
			}
			if pb.p.cur != pb {
				return 0, nil, errf(http.StatusConflict, "Can only control playing media")
			}
			s.controlPlayback(pb, op)
			return http.StatusNoContent, nil, nil
		})},
	}
}

// controlPlayback applies a control operation to the playing pb.
func (s *Server) controlPlayback(pb *playback, op string) {
	const skip = 3 * time.Second
	switch op {
	case "pause":
		if pb.state != "playing" {
			return
		}
		if pb.timer != nil {
			pb.timer.Stop()
			pb.timer = nil
		}
		pb.remaining = pb.partEnds.Sub(s.clock.Now())
		pb.state = "paused"
	case "unpause":
		if pb.state != "paused" {
			return
		}
		pb.state = "playing"
		pb.partEnds = s.clock.Now().Add(pb.remaining)
		s.armPart(pb, pb.remaining)
	case "restart", "forward", "reverse":
		left := pb.partEnds.Sub(s.clock.Now())
		if pb.state == "paused" {
			left = pb.remaining
		}
		switch op {
		case "restart":
			left = pb.partLen
		case "forward":
			left -= s.scale(skip)
		case "reverse":
			left += s.scale(skip)
		}
		left = max(0, min(left, pb.partLen))
		if pb.state == "paused" {
			pb.remaining = left
			return
		}
		if pb.timer != nil {
			pb.timer.Stop()
		}
		pb.partEnds = s.clock.Now().Add(left)
		s.armPart(pb, left)
	}
}
