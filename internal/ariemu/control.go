package ariemu

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Caller describes a synthetic inbound caller.
type Caller struct {
	Number   string // caller id number
	Name     string // caller id name
	DID      string // dialled number: the channel's exten and the Stasis args inbound,<DID>
	App      string // Stasis application (default "switchboard")
	Args     []string
	Language string // channel language (default "en")
	// Digits are pressed one after the other once the channel is answered.
	Digits []DigitPress
	// Patience: hang up after this long in Stasis unless bridged with
	// another channel by then (0: wait forever).
	Patience time.Duration
	// TalkTime: hang up this long after first being bridged with another
	// channel (0: stay until the application hangs up).
	TalkTime time.Duration
}

// DigitPress is one DTMF digit of a synthetic caller.
type DigitPress struct {
	Digit string
	// After is the wait from the previous digit (the first: from answer).
	After time.Duration
	// AfterPrompt holds the digit, once due, until the channel's playbacks end.
	AfterPrompt bool
	// Duration is the digit's duration_ms (default 280 ms like the traces).
	Duration time.Duration
}

// PhoneBehaviour is what an agent phone does when originated.
type PhoneBehaviour string

// Phone behaviours.
const (
	PhoneAnswer      PhoneBehaviour = "answer"      // rings, answers after AnswerAfter
	PhoneRingOut     PhoneBehaviour = "ring"        // rings until the originate timeout (cause 19)
	PhoneBusy        PhoneBehaviour = "busy"        // Dial BUSY, cause 17
	PhoneUnreachable PhoneBehaviour = "unreachable" // Dial CHANUNAVAIL, cause 20
)

// Phone is an agent phone's behaviour.
type Phone struct {
	Behaviour   PhoneBehaviour
	AnswerAfter time.Duration // answer (or busy/unreachable) delay
	TalkTime    time.Duration // hang up this long after being bridged with another channel
	HangupAfter time.Duration // hang up this long after answering
}

// Call outcomes.
const (
	OutcomeActive       = ""              // still up
	OutcomeStasisFailed = "stasis_failed" // no websocket for the app: STASISSTATUS=FAILED
	OutcomeAbandoned    = "abandoned"     // caller hung up before being bridged with anyone
	OutcomeCompleted    = "completed"     // hung up by the caller/phone after being bridged
	OutcomeHungUpByApp  = "hungup_by_app" // DELETE /channels/{id}
	OutcomeContinued    = "continued"     // left Stasis to the dialplan
	OutcomeNoAnswer     = "no_answer"     // originate timeout
	OutcomeBusy         = "busy"
	OutcomeUnavailable  = "unavailable"
	OutcomeHungUp       = "hungup" // hung up by the control API or the phone without a bridge
)

// Call kinds.
const (
	KindCaller = "caller"
	KindAgent  = "agent"
	// KindDialed is a channel the dialplan dialled after a continue (Options.Dialplan).
	KindDialed = "dialed"
)

// CallRecord is what the emulator knows of one synthetic caller or
// originated channel, for tests and the control API.
type CallRecord struct {
	ChannelID string    `json:"channel_id"`
	Kind      string    `json:"kind"`
	Endpoint  string    `json:"endpoint"`
	Number    string    `json:"number,omitempty"`
	DID       string    `json:"did,omitempty"`
	Created   time.Time `json:"created"`
	Answered  time.Time `json:"answered,omitzero"`
	Bridged   time.Time `json:"bridged,omitzero"`
	Ended     time.Time `json:"ended,omitzero"`
	Peers     []string  `json:"peers,omitempty"`     // channels it shared a bridge with
	Digits    string    `json:"digits,omitempty"`    // digits the caller pressed
	DTMFSent  string    `json:"dtmf_sent,omitempty"` // digits the application sent to it
	Outcome   string    `json:"outcome"`
	Cause     int       `json:"cause,omitempty"`
	HungUpBy  string    `json:"hungup_by,omitempty"` // caller, agent, customer, app, timeout, network, dialplan, control
	// Continued is where the channel left the application to: "context,exten,priority".
	Continued string `json:"continued,omitempty"`
	// Played is the media the channel heard played to it (not to its bridge), in order, each
	// noted when it starts: "sound:beep".
	Played []string `json:"played,omitempty"`
}

// clone copies r with its own slices.
func (r *CallRecord) clone() CallRecord {
	c := *r
	c.Peers = append([]string(nil), r.Peers...)
	c.Played = append([]string(nil), r.Played...)
	return c
}

// ErrNotFound is returned for an unknown channel.
var ErrNotFound = errors.New("channel not found")

func (s *Server) newCallRecord(ch *channel, kind, endpoint string) *CallRecord {
	rec := &CallRecord{ChannelID: ch.id, Kind: kind, Endpoint: endpoint, Number: ch.caller.Number, Created: ch.created}
	s.calls[ch.id] = rec
	s.callOrder = append(s.callOrder, ch.id)
	s.notifyCalls()
	return rec
}

func (s *Server) notifyCalls() {
	for _, c := range s.callWait {
		close(c)
	}
	s.callWait = nil
}

// callEnded completes the record of a destroyed channel. Call with s.mu held.
func (s *Server) callEnded(ch *channel, cause int, by string) {
	rec := ch.rec
	if rec == nil {
		return
	}
	rec.Ended = time.Now()
	rec.Cause = cause
	rec.HungUpBy = by
	if rec.Outcome == OutcomeActive {
		switch {
		case by == "app":
			rec.Outcome = OutcomeHungUpByApp
		case !rec.Bridged.IsZero():
			rec.Outcome = OutcomeCompleted
		case rec.Kind == KindCaller:
			rec.Outcome = OutcomeAbandoned
		default:
			rec.Outcome = OutcomeHungUp
		}
	}
	s.notifyCalls()
}

// bridged is called when c shares bridge b with another channel.
func (s *Server) bridged(c *channel, b *bridge) {
	if c.rec != nil {
		if c.rec.Bridged.IsZero() {
			c.rec.Bridged = time.Now()
		}
		for _, o := range b.channels {
			if o != c && !contains(c.rec.Peers, o.id) {
				c.rec.Peers = append(c.rec.Peers, o.id)
			}
		}
		s.notifyCalls()
	}
	if c.talking {
		return
	}
	c.talking = true
	if c.patience != nil {
		c.patience.Stop()
		c.patience = nil
	}
	var talk time.Duration
	by := "caller"
	switch {
	case c.caller_ != nil:
		talk = c.caller_.TalkTime
	case c.phone != nil:
		talk, by = c.phone.TalkTime, "agent"
		if c.rec != nil && c.rec.Kind == KindCustomer {
			by = "customer"
		}
	}
	if talk > 0 {
		s.after(c, talk, func() { s.destroy(c, hangupRemote, 16, 0, by) })
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PlaceCaller brings a synthetic caller in on the inbound trunk. The channel
// enters Stasis(app,inbound,<DID>) at once when the application has a
// websocket; otherwise it fails like STASISSTATUS=FAILED, and the record says
// so. It returns the channel id.
func (s *Server) PlaceCaller(c Caller) (string, error) {
	if c.DID == "" {
		return "", errors.New("caller needs a did")
	}
	if c.App == "" {
		c.App = "switchboard"
	}
	if c.Args == nil {
		c.Args = []string{"inbound", c.DID}
	}
	if c.Language == "" {
		c.Language = "en"
	}
	for _, d := range c.Digits {
		if len(d.Digit) != 1 || !strings.Contains("0123456789*#ABCD", d.Digit) {
			return "", fmt.Errorf("bad digit %q", d.Digit)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("emulator closed")
	}
	ch := s.newChannel("", "PJSIP", s.opts.InboundEndpoint)
	ch.protocolID = fmt.Sprintf("1-%d@127.0.0.1", 18000+s.uniqueSeq)
	ch.caller = CallerID{Name: c.Name, Number: c.Number}
	ch.language = c.Language
	ch.state = "Ring"
	ch.dialplan = DialplanCEP{Context: s.opts.InboundContext, Exten: c.DID, Priority: 2}
	ch.caller_ = &c
	ch.rec = s.newCallRecord(ch, KindCaller, "PJSIP/"+s.opts.InboundEndpoint)
	ch.rec.DID = c.DID
	if !s.appConnected(c.App) {
		// Asterisk does not queue events for an absent application: Stasis()
		// fails at once and the dialplan carries on without it.
		ch.rec.Outcome = OutcomeStasisFailed
		ch.gone = true
		delete(s.channels, ch.id)
		s.callEnded(ch, 16, "dialplan")
		s.log.Info("caller not in stasis: application not connected", "channel", ch.id, "app", c.App)
		return ch.id, nil
	}
	s.enterStasis(ch, c.App, c.Args)
	if c.Patience > 0 {
		ch.patience = s.after(ch, c.Patience, func() {
			if !ch.talking {
				s.destroy(ch, hangupRemote, 16, 0, "caller")
			}
		})
	}
	return ch.id, nil
}

// scheduleDigits presses the caller's digits from index i on. Call with s.mu held.
func (s *Server) scheduleDigits(ch *channel, i int) {
	digits := ch.caller_.Digits
	if i >= len(digits) {
		return
	}
	d := digits[i]
	s.after(ch, d.After, func() {
		press := func() {
			s.pressDigit(ch, d.Digit, d.Duration)
			s.scheduleDigits(ch, i+1)
		}
		if d.AfterPrompt && ch.busy() {
			ch.idleFns = append(ch.idleFns, func() {
				if !ch.gone {
					press()
				}
			})
			return
		}
		press()
	})
}

// pressDigit sends ChannelDtmfReceived for ch. Call with s.mu held.
func (s *Server) pressDigit(ch *channel, digit string, dur time.Duration) {
	if dur <= 0 {
		dur = 280 * time.Millisecond
	}
	if ch.rec != nil {
		ch.rec.Digits += digit
	}
	s.emit("ChannelDtmfReceived", event{"digit": digit, "duration_ms": int(dur / time.Millisecond), "channel": ch.json()}, ch.subs)
}

// PressDigit makes the far end of a channel press a DTMF digit now.
func (s *Server) PressDigit(channelID, digit string) error {
	if len(digit) != 1 || !strings.Contains("0123456789*#ABCD", digit) {
		return fmt.Errorf("bad digit %q", digit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return ErrNotFound
	}
	s.pressDigit(ch, digit, 0)
	return nil
}

// Hangup makes the far end (caller or phone) of a channel hang up.
func (s *Server) Hangup(channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[channelID]
	if ch == nil {
		return ErrNotFound
	}
	s.destroy(ch, hangupRemote, 16, 0, "control")
	return nil
}

// SetPhone configures how an endpoint (e.g. "PJSIP/agent1001") behaves when
// the router originates it.
func (s *Server) SetPhone(endpoint string, p Phone) {
	if p.Behaviour == "" {
		p.Behaviour = PhoneAnswer
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.phones[endpoint] = p
}

// Phones returns the configured phones by endpoint.
func (s *Server) Phones() map[string]Phone {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Phone, len(s.phones))
	for k, v := range s.phones {
		out[k] = v
	}
	return out
}

func (s *Server) phoneFor(endpoint string) Phone {
	if p, ok := s.phones[endpoint]; ok {
		return p
	}
	if s.opts.DefaultPhone != nil {
		return *s.opts.DefaultPhone
	}
	return Phone{Behaviour: PhoneAnswer, AnswerAfter: 500 * time.Millisecond}
}

// Calls returns the records of every synthetic caller and originated channel, oldest first.
func (s *Server) Calls() []CallRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CallRecord, 0, len(s.callOrder))
	for _, id := range s.callOrder {
		out = append(out, s.calls[id].clone())
	}
	return out
}

// Call returns one channel's record.
func (s *Server) Call(channelID string) (CallRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.calls[channelID]
	if !ok {
		return CallRecord{}, false
	}
	return r.clone(), true
}

// WaitCall waits until the record of channelID satisfies cond (e.g. it ended).
func (s *Server) WaitCall(ctx context.Context, channelID string, cond func(CallRecord) bool) (CallRecord, error) {
	for {
		s.mu.Lock()
		r, ok := s.calls[channelID]
		var rec CallRecord
		if ok {
			rec = r.clone()
		}
		if ok && cond(rec) {
			s.mu.Unlock()
			return rec, nil
		}
		w := make(chan struct{})
		s.callWait = append(s.callWait, w)
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return rec, fmt.Errorf("wait for call %s: %w", channelID, ctx.Err())
		}
	}
}

// Ended is a WaitCall condition: the call is over.
func Ended(r CallRecord) bool { return !r.Ended.IsZero() }

// ChannelIDs returns the ids of the live channels, oldest first.
func (s *Server) ChannelIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]*channel, 0, len(s.channels))
	for _, ch := range s.channels {
		list = append(list, ch)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
	ids := make([]string, len(list))
	for i, ch := range list {
		ids[i] = ch.id
	}
	return ids
}
