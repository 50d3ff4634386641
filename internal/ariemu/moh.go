package ariemu

// Music on hold, as traces/holding-bridge-moh.jsonl shows it: POST /bridges/{id}/moh puts a
// hidden Announcer/ARI_MOH channel in the bridge (no events, not in the bridge's channels)
// that plays the class to every participant. When the last participant leaves, the announcer
// leaves too and hangs up; the bridge stays, and a participant added later hears silence until
// /moh is posted again. A holding bridge has one announcer slot: a channel added with
// role=announcer takes it, and then neither /moh (204, nothing plays) nor a bridge playback
// (201, PlaybackFinished failed) can put their announcer in.
//
// A channel added to a holding bridge with role=holding_participant is what Asterisk's own
// holding bridge calls a participant: while no announcer is in the bridge, Asterisk plays it
// music on hold on its own channel (its music class), however often the bridge empties, with
// no request and no Announcer channel. Added with no role, ARI makes it a participant whose
// idle mode is "none": silence.

// startBridgeMOH is POST /bridges/{id}/moh. Call with s.mu held.
func (s *Server) startBridgeMOH(b *bridge, class string) {
	if class == "" {
		class = "default"
	}
	if b.bridgeType == "holding" && b.announcer != nil {
		return // the slot is taken: Asterisk logs a warning and plays nothing
	}
	if b.moh == "" {
		s.uniqueSeq += 2 // the Announcer channel's two halves take unique ids
	}
	b.moh = class
}

// announcerSlotTaken reports whether a holding bridge refuses another announcer (a
// playback's). Call with s.mu held.
func (b *bridge) announcerSlotTaken() bool {
	return b.bridgeType == "holding" && (b.announcer != nil || b.moh != "")
}

// bridgeLeft updates the bridge's announcers after ch left it. Call with s.mu held.
func (s *Server) bridgeLeft(b *bridge, ch *channel) {
	if b.announcer == ch {
		b.announcer = nil
	}
	if len(b.channels) == 0 {
		b.moh = "" // the music's announcer is alone: it leaves and hangs up
	}
}

// hearsMusic reports whether ch hears music on hold: its own (POST /channels/{id}/moh), its
// bridge's announcer, or, in a mixing bridge, the music a held peer's phone asks for. Call
// with s.mu held.
func (s *Server) hearsMusic(ch *channel) bool {
	if ch == nil || ch.gone {
		return false
	}
	if ch.moh != "" {
		return true
	}
	b := ch.bridge
	if b == nil {
		return false
	}
	if b.moh != "" && b.announcer != ch {
		return true
	}
	if ch.entertain && b.announcer == nil {
		return true
	}
	if b.bridgeType == "mixing" {
		for _, o := range b.channels {
			if o != ch && o.held {
				return true
			}
		}
	}
	return false
}

// HearsMusic reports whether a channel hears music on hold now; false for an unknown one.
func (s *Server) HearsMusic(channelID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hearsMusic(s.channels[channelID])
}
