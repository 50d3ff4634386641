package ariemu

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Snoop channels, as traces/snoop-whisper.jsonl shows them: POST /channels/{id}/snoop makes
// a Snoop/<target>-<n> channel (state Up, no caller id, context default) that enters the
// given application at once with the appArgs (StasisStart may come before the answer). It
// spies on (hears) and whispers to (speaks into) its target in the directions asked. Bridged
// with a supervisor's phone, spy=both is a silent monitor and whisper=out coaching. A snoop
// ends with its target: StasisEnd after the target's, with ChannelLeftBridge first when it is
// in a bridge, and no ChannelDestroyed (it entered Stasis without an originate).

var snoopDirections = map[string]bool{"none": true, "both": true, "in": true, "out": true}

func (s *Server) snoopRoutes() []route {
	return []route{
		{"POST", "/channels/{channelId}/snoop", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.snoop(r.PathValue("channelId"), p.Get("snoopId"), p)
		})},
		{"POST", "/channels/{channelId}/snoop/{snoopId}", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.snoop(r.PathValue("channelId"), r.PathValue("snoopId"), p)
		})},
	}
}

func (s *Server) snoop(target, id string, p reqParams) (int, any, *apiError) {
	spy, whisper := p.Get("spy"), p.Get("whisper")
	if spy == "" {
		spy = "none"
	}
	if whisper == "" {
		whisper = "none"
	}
	if !snoopDirections[spy] {
		return 0, nil, errf(http.StatusBadRequest, "Invalid direction specified for spy")
	}
	if !snoopDirections[whisper] {
		return 0, nil, errf(http.StatusBadRequest, "Invalid direction specified for whisper")
	}
	if spy == "none" && whisper == "none" {
		return 0, nil, errf(http.StatusBadRequest, "Direction must be specified for at least spy or whisper")
	}
	appName := p.Get("app")
	if appName == "" {
		return 0, nil, errf(http.StatusBadRequest, "Application name is required")
	}
	var args []string
	if a := p.Get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tc := s.channels[target]
	if tc == nil {
		return 0, nil, errf(http.StatusNotFound, "Provided channel was not found")
	}
	if id != "" && s.idTaken(id) {
		// Untraced: the originate's answer to the same conflict.
		return 0, nil, errf(http.StatusConflict, "Channel with given unique ID already exists")
	}
	now := time.Now()
	if id == "" {
		id = s.uniqueID(now)
	}
	s.uniqueSeq++
	ch := &channel{
		id: id, name: fmt.Sprintf("Snoop/%s-%08x", tc.id, s.snoopSeq), state: "Up", created: now, language: "en",
		dialplan: DialplanCEP{Context: "default", Exten: "s", Priority: 1},
		vars:     map[string]string{}, subs: map[string]bool{},
		snoopOf: tc, spy: spy, whisper: whisper,
	}
	s.snoopSeq++
	ch.player = &player{ch: ch}
	s.channels[id] = ch
	tc.snoops = append(tc.snoops, ch)
	resp := ch.json()
	if s.appConnected(appName) {
		s.enterStasis(ch, appName, args)
	}
	return http.StatusOK, resp, nil
}

// endSnoops ends the snoops of a channel that is going away, newest first. Call with s.mu held.
func (s *Server) endSnoops(tc *channel) {
	for len(tc.snoops) > 0 {
		sn := tc.snoops[len(tc.snoops)-1]
		tc.snoops = tc.snoops[:len(tc.snoops)-1]
		sn.snoopOf = nil
		s.destroy(sn, hangupSilent, 16, 0, "target")
	}
}

// forgetSnoop takes a snoop that ends on its own out of its target's list. Call with s.mu held.
func forgetSnoop(sn *channel) {
	tc := sn.snoopOf
	if tc == nil {
		return
	}
	for i, x := range tc.snoops {
		if x == sn {
			tc.snoops = append(tc.snoops[:i], tc.snoops[i+1:]...)
			break
		}
	}
	sn.snoopOf = nil
}

// SnoopOf tells what a live snoop channel spies on and its directions; ok false when
// snoopID is no live snoop.
func (s *Server) SnoopOf(snoopID string) (target, spy, whisper string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[snoopID]
	if ch == nil || ch.gone || ch.snoopOf == nil {
		return "", "", "", false
	}
	return ch.snoopOf.id, ch.spy, ch.whisper, true
}

// Muted tells whether a live channel is muted: in, what it sends is not heard in its bridge;
// out, it hears nothing of its bridge.
func (s *Server) Muted(channelID string) (in, out bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[channelID]; ch != nil && !ch.gone {
		return ch.mutedIn, ch.mutedOut
	}
	return false, false
}

// BridgeOf is the id of the bridge a live channel is in, or "".
func (s *Server) BridgeOf(channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.channels[channelID]; ch != nil && !ch.gone && ch.bridge != nil {
		return ch.bridge.id
	}
	return ""
}
