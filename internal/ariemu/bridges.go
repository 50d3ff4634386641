package ariemu

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// joinBridge moves ch into b with role ("" for a participant):
// ChannelLeftBridge of its old bridge first, then ChannelEnteredBridge, then
// connected-line updates of a two-party call. Call with s.mu held.
func (s *Server) joinBridge(ch *channel, b *bridge, role string) {
	if ch.bridge == b {
		return
	}
	if old := ch.bridge; old != nil {
		s.leaveBridge(ch, leaveMove)
		s.bridgeMaybeEmpty(old)
	}
	ch.bridge = b
	b.channels = append(b.channels, ch)
	if role == "announcer" && !b.announcerSlotTaken() && b.bridgeType == "holding" {
		b.announcer = ch
	}
	ch.entertain = role == "holding_participant" && b.bridgeType == "holding"
	if ch.stasisApp != "" {
		b.subs[ch.stasisApp]++
	}
	s.emit("ChannelEnteredBridge", event{"bridge": b.json(), "channel": ch.json()}, ch.subs, bridgeSubs(b))
	s.twoParty(b)
	// Participants of a holding bridge do not hear each other: waiting there together is not
	// a conversation, so patience keeps running and no talk time starts.
	if len(b.channels) >= 2 && !strings.Contains(b.bridgeType, "holding") {
		for _, c := range b.channels {
			s.bridged(c, b)
		}
	}
}

// twoParty gives each channel of a mixing bridge of two parties the other's caller id as
// its connected line. A bridge recorder is a party with an empty caller id: the one left of a
// recorded call gets an empty line, the one left alone keeps its line (every trace shows
// this). Call with s.mu held.
func (s *Server) twoParty(b *bridge) {
	if b.bridgeType != "mixing" || len(b.channels)+b.recorders != 2 {
		return
	}
	switch len(b.channels) {
	case 2:
		x, y := b.channels[0], b.channels[1]
		s.connectLine(x, y.caller)
		s.connectLine(y, x.caller)
	case 1:
		s.connectLine(b.channels[0], CallerID{})
	}
}

// connectLine sets ch's connected line, with ChannelConnectedLine when it changes (a
// supervisor joined by a second snoop keeps the empty line the first one gave it:
// traces/snoop-whisper.jsonl). Call with s.mu held.
func (s *Server) connectLine(ch *channel, to CallerID) {
	if ch.connected == to {
		return
	}
	ch.connected = to
	s.emit("ChannelConnectedLine", event{"channel": ch.json()}, ch.subs)
}

// leaveKind says why a channel leaves its bridge.
type leaveKind int

const (
	leaveHangup   leaveKind = iota // hung up or sent to the dialplan: the app stays subscribed
	leaveMove                      // added to another bridge
	leaveRemove                    // removeChannel: the app stops following the bridge
	leaveDissolve                  // DELETE /bridges: unsubscribed, and no connected-line update
)

// leaveBridge takes ch out of its bridge. After removeChannel or the bridge's
// deletion, Asterisk's application stops following the bridge (a hangup keeps
// the subscription). Connected lines are updated as the bridge's parties
// change, unless it is being deleted. Call with s.mu held.
func (s *Server) leaveBridge(ch *channel, why leaveKind) {
	b := ch.bridge
	if b == nil {
		return
	}
	n := len(b.channels) + b.recorders
	b.remove(ch)
	ch.bridge, ch.entertain = nil, false
	to := bridgeSubs(b)
	s.bridgeLeft(b, ch)
	s.emit("ChannelLeftBridge", event{"bridge": b.jsonWith(n), "channel": ch.json()}, ch.subs, to)
	if (why == leaveRemove || why == leaveDissolve) && ch.stasisApp != "" {
		if b.subs[ch.stasisApp]--; b.subs[ch.stasisApp] <= 0 {
			delete(b.subs, ch.stasisApp)
		}
	}
	if why != leaveDissolve {
		s.twoParty(b)
	}
}

// bridgeMaybeEmpty stops the bridge's recordings once no channel is left.
func (s *Server) bridgeMaybeEmpty(b *bridge) {
	if len(b.channels) == 0 && !b.gone {
		s.stopBridgeRecordings(b)
	}
}

func (s *Server) newBridge(id, typ, name string) *bridge {
	bt := "mixing"
	for _, t := range strings.Split(typ, ",") {
		if strings.TrimSpace(t) == "holding" {
			bt = "holding"
		}
	}
	b := &bridge{id: id, name: name, bridgeType: bt, created: time.Now(), subs: map[string]int{}}
	b.player = &player{br: b}
	s.bridges[id] = b
	return b
}

func (s *Server) createBridge(id string, p reqParams) (int, any, *apiError) {
	if id == "" {
		id = newUUID()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bridges[id] != nil {
		return 0, nil, errf(http.StatusConflict, "Bridge with id '"+id+"' already exists")
	}
	b := s.newBridge(id, p.Get("type"), p.Get("name"))
	return http.StatusOK, b.json(), nil
}

func (s *Server) bridgeRoutes() []route {
	return []route{
		{"GET", "/bridges", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			list := make([]*bridge, 0, len(s.bridges))
			for _, b := range s.bridges {
				list = append(list, b)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
			out := make([]BridgeJSON, 0, len(list))
			for _, b := range list {
				out = append(out, b.json())
			}
			return http.StatusOK, out, nil
		})},
		{"POST", "/bridges", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.createBridge(p.Get("bridgeId"), p)
		})},
		{"POST", "/bridges/{bridgeId}", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.createBridge(r.PathValue("bridgeId"), p)
		})},
		{"GET", "/bridges/{bridgeId}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			b := s.bridges[r.PathValue("bridgeId")]
			if b == nil {
				return 0, nil, errf(http.StatusNotFound, "Bridge not found")
			}
			return http.StatusOK, b.json(), nil
		})},
		{"DELETE", "/bridges/{bridgeId}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			b := s.bridges[r.PathValue("bridgeId")]
			if b == nil {
				return 0, nil, errf(http.StatusNotFound, "Bridge not found")
			}
			// The legs leave, last in first out, and stay in Stasis; the application's
			// subscriptions through them end, so BridgeDestroyed goes only to an application
			// still subscribed otherwise (traces/recording-vs-bridge-delete.jsonl).
			hadLegs := len(b.channels) > 0
			for _, l := range s.liveList() {
				if l.br == b {
					l.to = bridgeSubs(b) // the recorder's end is told to those who followed the bridge
				}
			}
			for len(b.channels) > 0 {
				s.leaveBridge(b.channels[len(b.channels)-1], leaveDissolve)
			}
			s.stopPlayer(b.player)
			if hadLegs && !s.opts.RecordingEndsWithBridge {
				s.loseBridgeRecordings(b)
			} else {
				s.stopBridgeRecordings(b)
			}
			b.gone = true
			delete(s.bridges, b.id)
			s.emit("BridgeDestroyed", event{"bridge": b.json()}, bridgeSubs(b))
			return http.StatusNoContent, nil, nil
		})},
		{"POST", "/bridges/{bridgeId}/addChannel", handle(s.addChannel)},
		{"POST", "/bridges/{bridgeId}/removeChannel", handle(s.removeChannel)},
		{"POST", "/bridges/{bridgeId}/moh", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			b := s.bridges[r.PathValue("bridgeId")]
			if b == nil {
				return 0, nil, errf(http.StatusNotFound, "Bridge not found")
			}
			s.startBridgeMOH(b, p.Get("mohClass"))
			return http.StatusNoContent, nil, nil
		})},
		{"DELETE", "/bridges/{bridgeId}/moh", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			b := s.bridges[r.PathValue("bridgeId")]
			if b == nil {
				return 0, nil, errf(http.StatusNotFound, "Bridge not found")
			}
			b.moh = ""
			return http.StatusNoContent, nil, nil
		})},
		{"POST", "/bridges/{bridgeId}/play", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.bridgePlay(r, "", p)
		})},
		{"POST", "/bridges/{bridgeId}/play/{playbackId}", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.bridgePlay(r, r.PathValue("playbackId"), p)
		})},
		{"POST", "/bridges/{bridgeId}/record", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			b := s.bridges[r.PathValue("bridgeId")]
			if b == nil {
				return 0, nil, errf(http.StatusNotFound, "Bridge not found")
			}
			return s.startRecording(p, "bridge:"+b.id, nil, b)
		})},
	}
}

func (s *Server) bridgePlay(r *http.Request, id string, p reqParams) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[r.PathValue("bridgeId")]
	if b == nil {
		return 0, nil, errf(http.StatusNotFound, "Bridge not found")
	}
	return s.play(b.player, "bridge:"+b.id, id, p, "en")
}

// bridgeChannels checks the bridge and the channel list of addChannel and
// removeChannel, with Asterisk's status codes.
func (s *Server) bridgeChannels(r *http.Request, p reqParams) (*bridge, []*channel, *apiError) {
	b := s.bridges[r.PathValue("bridgeId")]
	if b == nil {
		return nil, nil, errf(http.StatusNotFound, "Bridge not found")
	}
	var ids []string
	for _, id := range p.list("channel") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil, errf(http.StatusBadRequest, "channel: Missing required field")
	}
	chans := make([]*channel, 0, len(ids))
	for _, id := range ids {
		ch := s.channels[id]
		if ch == nil {
			return nil, nil, errf(http.StatusBadRequest, "Channel not found")
		}
		if ch.stasisApp == "" {
			return nil, nil, errf(http.StatusUnprocessableEntity, "Channel not in Stasis application")
		}
		chans = append(chans, ch)
	}
	return b, chans, nil
}

// afterPlaybacks runs f on the bridge and channels of the request once the channels' queued
// playbacks are over, as Asterisk runs a bridge move on each channel's control thread after
// them. The lookup is repeated under the lock, since the wait releases it.
func (s *Server) afterPlaybacks(r *http.Request, p reqParams, f func(b *bridge, chans []*channel) (int, any, *apiError)) (int, any, *apiError) {
	s.mu.Lock()
	_, chans, aerr := s.bridgeChannels(r, p)
	s.mu.Unlock()
	if aerr != nil {
		return 0, nil, aerr
	}
	ids := make([]string, len(chans))
	for i, c := range chans {
		ids[i] = c.id
	}
	if err := s.waitIdle(r.Context(), ids...); err != nil {
		return 0, nil, errf(http.StatusInternalServerError, "Internal Server Error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, chans, aerr := s.bridgeChannels(r, p)
	if aerr != nil {
		return 0, nil, aerr
	}
	return f(b, chans)
}

func (s *Server) addChannel(r *http.Request, p reqParams) (int, any, *apiError) {
	return s.afterPlaybacks(r, p, func(b *bridge, chans []*channel) (int, any, *apiError) {
		for _, ch := range chans {
			s.joinBridge(ch, b, p.Get("role"))
		}
		return http.StatusNoContent, nil, nil
	})
}

func (s *Server) removeChannel(r *http.Request, p reqParams) (int, any, *apiError) {
	return s.afterPlaybacks(r, p, func(b *bridge, chans []*channel) (int, any, *apiError) {
		for _, ch := range chans {
			if ch.bridge != b {
				return 0, nil, errf(http.StatusUnprocessableEntity, "Channel not in this bridge")
			}
		}
		for _, ch := range chans {
			s.leaveBridge(ch, leaveRemove)
		}
		s.bridgeMaybeEmpty(b)
		return http.StatusNoContent, nil, nil
	})
}
