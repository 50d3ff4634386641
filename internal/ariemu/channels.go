package ariemu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// newChannel creates a channel on endpoint tech/resource. Call with s.mu held.
func (s *Server) newChannel(id, tech, resource string) *channel {
	now := time.Now()
	if id == "" {
		id = s.uniqueID(now)
	}
	s.uniqueSeq++
	name := fmt.Sprintf("%s/%s-%08x", tech, resource, s.nameSeq)
	s.nameSeq++
	ch := &channel{
		id: id, name: name, state: "Down", created: now, language: "en",
		vars: map[string]string{}, subs: map[string]bool{},
	}
	ch.player = &player{ch: ch}
	s.channels[id] = ch
	return ch
}

// idTaken reports whether a new channel may not take id: Asterisk 22 looks a
// unique id up by prefix, ignoring case, so an id that begins a live
// channel's id (or equals it) is "already in use", while lookups of the
// resources stay exact (traces/originate-id-prefix.jsonl). Call with s.mu held.
func (s *Server) idTaken(id string) bool {
	lower := strings.ToLower(id)
	for live := range s.channels {
		if strings.HasPrefix(strings.ToLower(live), lower) {
			return true
		}
	}
	return false
}

// after runs fn after the emulated duration d, with s.mu held, unless the
// channel is gone or the server closed by then (see timeline.go).
func (s *Server) after(ch *channel, d time.Duration, fn func()) stopper {
	st := s.schedule(s.scale(d), func() {
		if !ch.gone {
			fn()
		}
	})
	ch.timers = append(slices.DeleteFunc(ch.timers, func(t *step) bool { return t.done }), st)
	return st
}

// channelIdle wakes what waits for ch's playbacks to end. Call with s.mu held.
func (s *Server) channelIdle(ch *channel) {
	for _, c := range ch.idleChans {
		close(c)
	}
	ch.idleChans = nil
	fns := ch.idleFns
	ch.idleFns = nil
	for _, fn := range fns {
		fn()
	}
}

// waitIdle blocks until none of the channels has a playback playing or
// queued, as Asterisk runs a channel's synchronous commands after them.
// Channels that do not exist (any more) do not hold the wait.
func (s *Server) waitIdle(ctx context.Context, ids ...string) error {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return errors.New("emulator closed")
		}
		var wait chan struct{}
		for _, id := range ids {
			ch := s.channels[id]
			if ch != nil && ch.busy() {
				wait = make(chan struct{})
				ch.idleChans = append(ch.idleChans, wait)
				break
			}
		}
		s.mu.Unlock()
		if wait == nil {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("wait for playbacks: %w", ctx.Err())
		}
	}
}

// enterStasis puts ch into application appName with args. Call with s.mu held.
func (s *Server) enterStasis(ch *channel, appName string, args []string) {
	ch.stasisApp = appName
	ch.subs[appName] = true
	ch.dialplan.AppName = "Stasis"
	ch.dialplan.AppData = strings.Join(append([]string{appName}, args...), ",")
	if args == nil {
		args = []string{}
	}
	s.emit("StasisStart", event{"args": args, "channel": ch.json()}, ch.subs)
}

// hangupKind says who hangs a channel up, which shapes ChannelHangupRequest.
type hangupKind int

const (
	hangupRemote hangupKind = iota // the far end (phone, caller) hung up
	hangupSoft                     // the application asked (DELETE /channels/{id})
	hangupSilent                   // no hangup request event (dial failure, timeout)
)

// destroy hangs ch up with cause and publishes what Asterisk publishes:
// ChannelHangupRequest, PlaybackFinished, ChannelLeftBridge, StasisEnd,
// ChannelDestroyed (to the applications still subscribed). Call with s.mu held.
func (s *Server) destroy(ch *channel, kind hangupKind, cause int, techCause int, by string) {
	if ch.gone {
		return
	}
	switch kind {
	case hangupRemote:
		s.emit("ChannelHangupRequest", event{"channel": ch.json()}, ch.subs)
	case hangupSoft:
		s.emit("ChannelHangupRequest", event{"cause": 32, "soft": true, "channel": ch.json()}, ch.subs)
	}
	s.stopPlayer(ch.player)
	var left *bridge
	if ch.bridge != nil {
		left = ch.bridge
		s.leaveBridge(ch, leaveHangup)
	}
	s.stopChannelRecordings(ch)
	s.leaveStasis(ch)
	forgetSnoop(ch)
	s.endSnoops(ch)
	if left != nil {
		// A bridge recording ends with its last leg, before that leg is destroyed.
		s.bridgeMaybeEmpty(left)
	}
	ev := event{"cause": cause, "cause_txt": causeTxt(cause), "channel": ch.json()}
	if techCause != 0 {
		ev["tech_cause"] = techCause
	}
	if ch.originated {
		// Once out of Stasis the channel is back in the dial application.
		ch.dialplan.AppName, ch.dialplan.AppData = "AppDial2", "(Outgoing Line)"
		ev["channel"] = ch.json()
	}
	s.emit("ChannelDestroyed", ev, ch.subs)
	ch.gone = true
	ch.stopTimers()
	delete(s.channels, ch.id)
	s.channelIdle(ch)
	s.callEnded(ch, cause, by)
}

// leaveStasis emits StasisEnd; an inbound channel's application then stops
// hearing about it. Call with s.mu held.
func (s *Server) leaveStasis(ch *channel) {
	if ch.stasisApp == "" {
		return
	}
	s.emit("StasisEnd", event{"channel": ch.json()}, ch.subs)
	if !ch.originated {
		delete(ch.subs, ch.stasisApp)
	}
	ch.stasisApp = ""
}

// lookupStasis finds a channel for an operation that needs it in Stasis.
func (s *Server) lookupStasis(id string) (*channel, *apiError) {
	ch := s.channels[id]
	if ch == nil {
		return nil, errf(http.StatusNotFound, "Channel not found")
	}
	if ch.stasisApp == "" {
		return nil, errf(http.StatusConflict, "Channel not in Stasis application")
	}
	return ch, nil
}

// syncOp runs op on a channel in Stasis after its queued playbacks, like the
// commands Asterisk queues on the channel's control thread.
func (s *Server) syncOp(r *http.Request, op func(ch *channel) (int, any, *apiError)) (int, any, *apiError) {
	id := r.PathValue("channelId")
	s.mu.Lock()
	_, aerr := s.lookupStasis(id)
	s.mu.Unlock()
	if aerr != nil {
		return 0, nil, aerr
	}
	if err := s.waitIdle(r.Context(), id); err != nil {
		return 0, nil, errf(http.StatusInternalServerError, "Internal Server Error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.lookupStasis(id)
	if aerr != nil {
		return 0, nil, aerr
	}
	return op(ch)
}

func (s *Server) setState(ch *channel, state string) {
	if ch.state == state {
		return
	}
	ch.state = state
	s.emit("ChannelStateChange", event{"channel": ch.json()}, ch.subs)
}

// answer brings ch up; a synthetic caller then starts pressing digits.
func (s *Server) answer(ch *channel) {
	if ch.state == "Up" {
		return
	}
	s.setState(ch, "Up")
	if ch.rec != nil && ch.rec.Answered.IsZero() {
		ch.rec.Answered = time.Now()
	}
	if ch.caller_ != nil {
		s.scheduleDigits(ch, 0)
	}
}

func (s *Server) channelRoutes() []route {
	return []route{
		{"GET", "/channels", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			list := make([]*channel, 0, len(s.channels))
			for _, ch := range s.channels {
				list = append(list, ch)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].created.Before(list[j].created) })
			out := make([]ChannelJSON, 0, len(list))
			for _, ch := range list {
				out = append(out, ch.json())
			}
			return http.StatusOK, out, nil
		})},
		{"POST", "/channels", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.originate(p.Get("channelId"), p)
		})},
		{"GET", "/channels/{channelId}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			ch := s.channels[r.PathValue("channelId")]
			if ch == nil {
				return 0, nil, errf(http.StatusNotFound, "Channel not found")
			}
			return http.StatusOK, ch.json(), nil
		})},
		{"POST", "/channels/{channelId}", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.originate(r.PathValue("channelId"), p)
		})},
		{"DELETE", "/channels/{channelId}", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			cause := 16
			if rc := p.Get("reason_code"); rc != "" {
				n, err := strconv.Atoi(rc)
				if err != nil {
					return 0, nil, errf(http.StatusBadRequest, "Invalid reason for hangup provided")
				}
				cause = n
			} else if reason := p.Get("reason"); reason != "" {
				c, ok := hangupReasons[reason]
				if !ok {
					return 0, nil, errf(http.StatusBadRequest, "Invalid reason for hangup provided")
				}
				cause = c
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			ch := s.channels[r.PathValue("channelId")]
			if ch == nil {
				return 0, nil, errf(http.StatusNotFound, "Channel not found")
			}
			s.destroy(ch, hangupSoft, cause, 0, "app")
			return http.StatusNoContent, nil, nil
		})},
		{"POST", "/channels/{channelId}/answer", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				s.answer(ch)
				return http.StatusNoContent, nil, nil
			})
		})},
		{"POST", "/channels/{channelId}/ring", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) { return http.StatusNoContent, nil, nil })
		})},
		{"DELETE", "/channels/{channelId}/ring", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) { return http.StatusNoContent, nil, nil })
		})},
		{"POST", "/channels/{channelId}/moh", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				// An unknown class plays the default one (traces/channel-hold-mute.jsonl).
				ch.moh = "default"
				if c := p.Get("mohClass"); c != "" {
					ch.moh = c
				}
				return http.StatusNoContent, nil, nil
			})
		})},
		{"DELETE", "/channels/{channelId}/moh", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				ch.moh = ""
				return http.StatusNoContent, nil, nil
			})
		})},
		{"POST", "/channels/{channelId}/hold", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				ch.held = true
				return http.StatusNoContent, nil, nil
			})
		})},
		{"DELETE", "/channels/{channelId}/hold", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				ch.held = false
				return http.StatusNoContent, nil, nil
			})
		})},
		{"POST", "/channels/{channelId}/mute", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.mute(r, p, true)
		})},
		{"DELETE", "/channels/{channelId}/mute", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.mute(r, p, false)
		})},
		{"POST", "/channels/{channelId}/dtmf", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			if p.Get("dtmf") == "" {
				return 0, nil, errf(http.StatusBadRequest, "DTMF is required")
			}
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				if ch.rec != nil {
					ch.rec.DTMFSent += p.Get("dtmf")
				}
				return http.StatusNoContent, nil, nil
			})
		})},
		{"POST", "/channels/{channelId}/continue", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			prio, ok := p.int("priority", 0)
			if !ok {
				return 0, nil, errf(http.StatusBadRequest, "priority: Invalid integer")
			}
			if p.Get("label") != "" {
				// The emulated dialplan has no labels.
				return 0, nil, errf(http.StatusNotFound, "Requested label cannot be found")
			}
			return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
				s.continueDialplan(ch, p.Get("context"), p.Get("extension"), prio)
				return http.StatusNoContent, nil, nil
			})
		})},
		{"POST", "/channels/{channelId}/play", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.channelPlay(r, "", p)
		})},
		{"POST", "/channels/{channelId}/play/{playbackId}", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			return s.channelPlay(r, r.PathValue("playbackId"), p)
		})},
		{"POST", "/channels/{channelId}/variable", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			name := p.Get("variable")
			if name == "" {
				return 0, nil, errf(http.StatusBadRequest, "Variable name is required")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			ch := s.channels[r.PathValue("channelId")]
			if ch == nil {
				return 0, nil, errf(http.StatusNotFound, "Channel not found")
			}
			val := p.Get("value")
			ch.vars[name] = val
			s.emit("ChannelVarset", event{"variable": name, "value": val, "channel": ch.json()}, ch.subs)
			return http.StatusNoContent, nil, nil
		})},
		{"GET", "/channels/{channelId}/variable", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			name := p.Get("variable")
			if name == "" {
				return 0, nil, errf(http.StatusBadRequest, "Variable name is required")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			ch := s.channels[r.PathValue("channelId")]
			if ch == nil {
				return 0, nil, errf(http.StatusNotFound, "Channel not found")
			}
			val, ok := channelVar(ch, name)
			if !ok {
				return 0, nil, errf(http.StatusNotFound, "Provided variable was not found")
			}
			return http.StatusOK, map[string]string{"value": val}, nil
		})},
		{"POST", "/channels/{channelId}/record", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			ch := s.channels[r.PathValue("channelId")]
			if ch == nil {
				return 0, nil, errf(http.StatusNotFound, "Channel not found")
			}
			if ch.stasisApp == "" {
				return 0, nil, errf(http.StatusConflict, "Channel not in Stasis application")
			}
			return s.startRecording(p, "channel:"+ch.id, ch, nil)
		})},
	}
}

// mute handles POST and DELETE /channels/{id}/mute. The documented default direction
// (both) applies only to POST: DELETE without a direction is refused
// (traces/channel-hold-mute.jsonl). Neither sends an event of its own.
func (s *Server) mute(r *http.Request, p reqParams, on bool) (int, any, *apiError) {
	dir := p.Get("direction")
	switch {
	case dir == "" && on:
		dir = "both"
	case dir == "":
		return 0, nil, errf(http.StatusBadRequest, "Direction is required")
	case dir != "both" && dir != "in" && dir != "out":
		return 0, nil, errf(http.StatusBadRequest, "Invalid direction specified")
	}
	return s.syncOp(r, func(ch *channel) (int, any, *apiError) {
		if dir == "both" || dir == "in" {
			ch.mutedIn = on
		}
		if dir == "both" || dir == "out" {
			ch.mutedOut = on
		}
		return http.StatusNoContent, nil, nil
	})
}

// channelVar reads a channel variable or one of the few dialplan functions
// the emulator knows.
func channelVar(ch *channel, name string) (string, bool) {
	switch name {
	case "CALLERID(num)":
		return ch.caller.Number, true
	case "CALLERID(name)":
		return ch.caller.Name, true
	case "CHANNEL(name)":
		return ch.name, true
	case "UNIQUEID":
		return ch.id, true
	case "CHANNEL(language)":
		return ch.language, true
	}
	v, ok := ch.vars[name]
	return v, ok
}

func (s *Server) channelPlay(r *http.Request, id string, p reqParams) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, aerr := s.lookupStasis(r.PathValue("channelId"))
	if aerr != nil {
		return 0, nil, aerr
	}
	return s.play(ch.player, "channel:"+ch.id, id, p, ch.language)
}

// originate handles POST /channels and POST /channels/{channelId}.
func (s *Server) originate(id string, p reqParams) (int, any, *apiError) {
	endpoint := p.Get("endpoint")
	if endpoint == "" {
		return 0, nil, errf(http.StatusBadRequest, "Endpoint must be specified")
	}
	tech, resource, ok := strings.Cut(endpoint, "/")
	if !ok || tech == "" || resource == "" {
		return 0, nil, errf(http.StatusBadRequest, "Endpoint parameter must be in the format Tech/Resource")
	}
	appName := p.Get("app")
	if appName == "" && p.Get("extension") == "" {
		return 0, nil, errf(http.StatusBadRequest, "Application or extension must be specified")
	}
	timeout, ok := p.int("timeout", 30)
	if !ok {
		return 0, nil, errf(http.StatusBadRequest, "timeout: Invalid integer")
	}
	var args []string
	if a := p.Get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if id != "" && s.idTaken(id) {
		return 0, nil, errf(http.StatusConflict, "Channel with given unique ID already exists")
	}
	phone := s.phoneFor(endpoint)
	number, customer, isCustomer := s.customerFor(resource)
	if isCustomer {
		phone = customer
	}
	ch := s.newChannel(id, tech, resource)
	ch.protocolID = newUUID()
	ch.originated = true
	ch.phone = &phone
	if cid := p.Get("callerId"); cid != "" {
		ch.caller = ParseCallerID(cid)
		ch.connected = ch.caller
	}
	ch.dialplan = DialplanCEP{Context: s.opts.DialContext, Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
	for k, v := range p.variables {
		ch.vars[k] = v
	}
	if appName != "" {
		ch.subs[appName] = true
	}
	if isCustomer {
		ch.rec = s.newCallRecord(ch, KindCustomer, endpoint)
		ch.rec.Number = number
	} else {
		ch.rec = s.newCallRecord(ch, KindAgent, endpoint)
	}
	resp := ch.json()
	s.after(ch, time.Millisecond, func() { s.dial(ch, resource, appName, args, timeout) })
	return http.StatusOK, resp, nil
}

// dial plays the originated channel's phone behaviour.
func (s *Server) dial(ch *channel, dialstring, appName string, args []string, timeoutSec int) {
	dialEv := func(status string) {
		s.emit("Dial", event{"dialstatus": status, "forward": "", "dialstring": dialstring, "peer": ch.json()}, ch.subs)
	}
	dialEv("")
	ph := ch.phone
	if timeoutSec >= 0 {
		s.after(ch, time.Duration(timeoutSec)*time.Second, func() {
			if ch.state != "Up" {
				ch.rec.Outcome = OutcomeNoAnswer
				s.destroy(ch, hangupSilent, 19, 480, "timeout")
			}
		})
	}
	answer := func() {
		s.setState(ch, "Up")
		dialEv("ANSWER")
		ch.rec.Answered = time.Now()
		if appName == "" {
			return
		}
		if !s.appConnected(appName) {
			ch.rec.Outcome = OutcomeStasisFailed
			s.destroy(ch, hangupSilent, 16, 0, "dialplan")
			return
		}
		s.enterStasis(ch, appName, args)
		if ph.HangupAfter > 0 {
			s.after(ch, ph.HangupAfter, func() { s.destroy(ch, hangupRemote, 16, 0, "agent") })
		}
	}
	switch ph.Behaviour {
	case PhoneBusy:
		s.after(ch, ph.AnswerAfter, func() {
			dialEv("BUSY")
			ch.rec.Outcome = OutcomeBusy
			s.destroy(ch, hangupSilent, 17, 486, "phone")
		})
	case PhoneUnreachable:
		s.after(ch, ph.AnswerAfter, func() {
			dialEv("CHANUNAVAIL")
			ch.rec.Outcome = OutcomeUnavailable
			s.destroy(ch, hangupSilent, 20, 0, "network")
		})
	case PhoneRingOut:
		// Rings until the originate timeout: the traced Asterisk then sends
		// ChannelDestroyed (19) with no further Dial event.
	default:
		// The answer is armed when the phone rings, so that it comes after the
		// ringing whatever order timers fire in on a busy machine.
		const ring = 20 * time.Millisecond
		s.after(ch, ring, func() {
			s.setState(ch, "Ringing")
			dialEv("RINGING")
			s.after(ch, max(ph.AnswerAfter, 25*time.Millisecond)-ring, answer)
		})
	}
}

// continueDialplan takes ch out of Stasis into the dialplan at context, exten,
// priority (empty: where it is, next priority), as POST /channels/{id}/continue
// does. A context in Options.Dialplan dials its endpoint; anywhere else the
// call ends there. Call with s.mu held.
func (s *Server) continueDialplan(ch *channel, context, exten string, prio int) {
	if ch.bridge != nil {
		b := ch.bridge
		s.leaveBridge(ch, leaveHangup)
		s.bridgeMaybeEmpty(b)
	}
	s.leaveStasis(ch)
	if context == "" {
		context = ch.dialplan.Context
	}
	if exten == "" {
		exten = ch.dialplan.Exten
	}
	if prio <= 0 {
		prio = ch.dialplan.Priority + 1
	}
	ch.dialplan = DialplanCEP{Context: context, Exten: exten, Priority: prio}
	if ch.rec != nil {
		ch.rec.Outcome = OutcomeContinued
		ch.rec.Continued = context + "," + exten + "," + strconv.Itoa(prio)
		s.notifyCalls()
	}
	target, ok := s.opts.Dialplan[context]
	if !ok {
		// The emulator has no dialplan here, so the call ends there.
		s.after(ch, 0, func() { s.destroy(ch, hangupSilent, 16, 0, "dialplan") })
		return
	}
	ch.dialplan.AppName, ch.dialplan.AppData = "Dial", target
	s.after(ch, 0, func() { s.dialplanDial(ch, strings.ReplaceAll(target, "${EXTEN}", exten)) })
}

// dialplanDial is Dial(endpoint) in the dialplan: a new channel to endpoint,
// behaving as its phone; answered, the two talk (outside any application, so
// nobody gets events) until either side's talk time ends. Call with s.mu held.
func (s *Server) dialplanDial(from *channel, endpoint string) {
	tech, resource, ok := strings.Cut(endpoint, "/")
	if !ok || tech == "" || resource == "" {
		s.destroy(from, hangupSilent, 16, 0, "dialplan")
		return
	}
	phone := s.phoneFor(endpoint)
	out := s.newChannel("", tech, resource)
	out.protocolID = newUUID()
	out.phone = &phone
	out.caller = from.caller
	out.dialplan = DialplanCEP{Context: from.dialplan.Context, Exten: from.dialplan.Exten, Priority: 1, AppName: "AppDial", AppData: "(Outgoing Line)"}
	out.rec = s.newCallRecord(out, KindDialed, endpoint)
	fail := func(outcome string, cause int, by string) {
		out.rec.Outcome = outcome
		s.destroy(out, hangupSilent, cause, 0, by)
		s.destroy(from, hangupSilent, cause, 0, "dialplan")
	}
	switch phone.Behaviour {
	case PhoneBusy:
		s.after(out, phone.AnswerAfter, func() { fail(OutcomeBusy, 17, "phone") })
	case PhoneUnreachable:
		s.after(out, phone.AnswerAfter, func() { fail(OutcomeUnavailable, 20, "network") })
	case PhoneRingOut:
		s.after(out, 60*time.Second, func() { fail(OutcomeNoAnswer, 19, "timeout") })
	default:
		s.after(out, max(phone.AnswerAfter, 25*time.Millisecond), func() {
			if from.gone {
				s.destroy(out, hangupSilent, 16, 0, "dialplan")
				return
			}
			out.state = "Up"
			from.talking = true
			if from.patience != nil {
				from.patience.Stop()
				from.patience = nil
			}
			now := time.Now()
			out.rec.Answered = now
			for _, pair := range [][2]*channel{{from, out}, {out, from}} {
				rec := pair[0].rec
				if rec.Bridged.IsZero() {
					rec.Bridged = now
				}
				rec.Peers = append(rec.Peers, pair[1].id)
			}
			s.notifyCalls()
			end := func(by string, first, second *channel) func() {
				return func() {
					s.destroy(first, hangupRemote, 16, 0, by)
					s.destroy(second, hangupSilent, 16, 0, "dialplan")
				}
			}
			if from.caller_ != nil && from.caller_.TalkTime > 0 {
				s.after(from, from.caller_.TalkTime, end("caller", from, out))
			}
			if phone.TalkTime > 0 {
				s.after(out, phone.TalkTime, end("agent", out, from))
			}
		})
	}
}
