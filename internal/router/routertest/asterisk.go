package routertest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/internal/router"
)

// The harness's Asterisk: channels, bridges, playbacks and recordings, enough to answer the
// router's requests as Asterisk would (404 for what is gone, 400 for a missing channel to
// bridge) and to send the events Asterisk sends (a hung-up channel's PlaybackFinished,
// StasisEnd and ChannelDestroyed; a bridge recording's RecordingStarted and
// RecordingFinished). Nothing happens on its own: the test hangs callers up, answers agent
// phones and ends playbacks.

// Channel is what the harness's Asterisk knows of a channel.
type Channel struct {
	ID         string
	Number     string // caller number
	Exten      string // the DID of an inbound channel
	Endpoint   string // the endpoint an originate rang
	State      string // Ring or Up
	InApp      bool   // in the Stasis application
	Originated bool
	Args       []string // the application arguments it entered (or will enter) with
	Bridge     string
	Vars       map[string]string
	Playing    []string // playback ids: the first plays, the others wait
	Created    time.Time
}

// Bridge is what the harness's Asterisk knows of a bridge.
type Bridge struct {
	ID, Kind, MOH string
	Members       []string
	Recording     string // the live recording's name
}

type liveRec struct {
	name, bridge string
	paused       bool
	started      time.Time
}

type pbx struct {
	h         *Harness
	mu        sync.Mutex
	chans     map[string]*Channel
	order     []string // channel ids in creation order
	bridges   map[string]*Bridge
	border    []string
	playbacks map[string]string // playback id -> channel
	live      map[string]*liveRec
	stored    map[string][]byte
	destroyed map[string]bool
	inbound   int
	out       []router.Event // events to deliver once the lock is released
}

func newPBX(h *Harness) *pbx {
	return &pbx{h: h, chans: map[string]*Channel{}, bridges: map[string]*Bridge{}, playbacks: map[string]string{},
		live: map[string]*liveRec{}, stored: map[string][]byte{}, destroyed: map[string]bool{}}
}

func httpErr(code int, msg string) error {
	if code == 404 {
		return fmt.Errorf("ari: %d %s: %w", code, msg, router.ErrNotFound)
	}
	return fmt.Errorf("ari: %d %s", code, msg)
}

// locked runs f with the model locked, then delivers the events f emitted.
func (a *pbx) locked(f func() error) error {
	a.mu.Lock()
	err := f()
	out := a.out
	a.out = nil
	a.mu.Unlock()
	for _, ev := range out {
		a.h.deliver(ev)
	}
	return err
}

func (a *pbx) emit(ev router.Event) { a.out = append(a.out, ev) }

func (a *pbx) addChannel(c *Channel) {
	a.chans[c.ID] = c
	a.order = append(a.order, c.ID)
	if a.destroyed[c.ID] { // an id used again: a new channel, not gone
		delete(a.destroyed, c.ID)
		a.h.reborn(c.ID)
	}
}

// enterApp puts c in the application with its arguments: StasisStart.
func (a *pbx) enterApp(c *Channel) {
	c.InApp = true
	a.emit(router.StasisStart{Channel: c.ID, Number: c.Number, Args: c.Args})
}

// destroy hangs c up with cause: its playback ends, it leaves its bridge and the
// application, and it is destroyed.
func (a *pbx) destroy(c *Channel, cause int) {
	if len(c.Playing) > 0 {
		a.emit(a.finished(c.Playing[0], c.ID))
	}
	for _, id := range c.Playing {
		delete(a.playbacks, id)
	}
	c.Playing = nil
	a.leaveBridge(c)
	if c.InApp {
		c.InApp = false
		a.emit(router.StasisEnd{Channel: c.ID})
	}
	a.emit(router.ChannelDestroyed{Channel: c.ID, Cause: cause})
	delete(a.chans, c.ID)
	a.order = slices.DeleteFunc(a.order, func(id string) bool { return id == c.ID })
	a.destroyed[c.ID] = true
	a.h.noteGone(c.ID)
}

func (a *pbx) finished(id, ch string) router.Event {
	return router.PlaybackFinished{ID: id, Channel: ch}
}

func (a *pbx) leaveBridge(c *Channel) {
	if c.Bridge == "" {
		return
	}
	b := a.bridges[c.Bridge]
	c.Bridge = ""
	if b == nil {
		return
	}
	b.Members = slices.DeleteFunc(b.Members, func(id string) bool { return id == c.ID })
	if len(b.Members) == 0 {
		a.stopRecording(b)
	}
}

func (a *pbx) stopRecording(b *Bridge) {
	l := a.live[b.Recording]
	b.Recording = ""
	if l == nil {
		return
	}
	delete(a.live, l.name)
	d := a.h.clock.Now().Sub(l.started)
	a.stored[l.name] = emptyWAV()
	a.emit(router.RecordingFinished{Name: l.name, Format: "wav", Duration: d})
}

// emptyWAV is a valid 8 kHz mono 16-bit WAV file without samples.
func emptyWAV() []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(0))
	return b.Bytes()
}

func (a *pbx) channel(id string) (*Channel, error) {
	if c := a.chans[id]; c != nil {
		return c, nil
	}
	return nil, httpErr(404, "Channel not found")
}

// inApp is channel id, which must be in the application: Asterisk answers 409 for one that
// has left Stasis.
func (a *pbx) inApp(id string) (*Channel, error) {
	c, err := a.channel(id)
	if err == nil && !c.InApp {
		return nil, httpErr(409, "Channel not in Stasis application")
	}
	return c, err
}

// The requests. Each runs on the test's goroutine when the request is taken.

func (a *pbx) answer(ch string) error {
	return a.locked(func() error {
		c, err := a.channel(ch)
		if err == nil {
			c.State = "Up"
		}
		return err
	})
}

func (a *pbx) hangup(ch string) error {
	return a.locked(func() error {
		c, err := a.channel(ch)
		if err == nil {
			a.destroy(c, 16)
		}
		return err
	})
}

func (a *pbx) play(ch, id string) error {
	return a.locked(func() error {
		c, err := a.inApp(ch)
		if err != nil {
			return err
		}
		c.Playing = append(c.Playing, id)
		a.playbacks[id] = ch
		return nil
	})
}

func (a *pbx) stopPlayback(id string) error {
	return a.locked(func() error {
		ch := a.playbacks[id]
		if ch == "" {
			return httpErr(404, "Playback not found")
		}
		delete(a.playbacks, id)
		c := a.chans[ch]
		if c == nil {
			return nil
		}
		if i := slices.Index(c.Playing, id); i == 0 {
			a.emit(a.finished(id, ch))
			c.Playing = c.Playing[1:]
		} else if i > 0 {
			c.Playing = slices.Delete(c.Playing, i, i+1)
		}
		if slices.Contains(c.Playing, id) {
			a.playbacks[id] = ch // a second playback with the same id (Asterisk does not refuse one)
		}
		return nil
	})
}

func (a *pbx) originate(o router.Originate) error {
	return a.locked(func() error {
		if a.chans[o.ChannelID] != nil {
			return httpErr(409, "Channel with id "+o.ChannelID+" already exists")
		}
		c := &Channel{ID: o.ChannelID, Number: o.CallerID, Endpoint: o.Endpoint, State: "Ring", Originated: true,
			Args: strings.Split(o.AppArgs, ","), Vars: map[string]string{}, Created: a.h.clock.Now()}
		maps.Copy(c.Vars, o.Variables) // set by the originate itself, as Asterisk does
		a.addChannel(c)
		if o.Timeout > 0 {
			// Asterisk gives up on a phone that rings past the originate's timeout.
			a.h.clock.AfterFunc(o.Timeout, func() {
				_ = a.locked(func() error {
					if a.chans[c.ID] == c && c.State == "Ring" {
						a.destroy(c, 19)
					}
					return nil
				})
			})
		}
		return nil
	})
}

func (a *pbx) createBridge(id, kind string) error {
	return a.locked(func() error {
		if a.bridges[id] != nil {
			return httpErr(409, "Bridge with id '"+id+"' already exists")
		}
		a.bridges[id] = &Bridge{ID: id, Kind: kind}
		a.border = append(a.border, id)
		return nil
	})
}

func (a *pbx) deleteBridge(id string) error {
	return a.locked(func() error {
		b := a.bridges[id]
		if b == nil {
			return httpErr(404, "Bridge not found")
		}
		for _, m := range b.Members {
			if c := a.chans[m]; c != nil {
				c.Bridge = ""
			}
		}
		b.Members = nil
		a.stopRecording(b)
		delete(a.bridges, id)
		a.border = slices.DeleteFunc(a.border, func(x string) bool { return x == id })
		return nil
	})
}

// addToBridge adds the channels chs to bridge id, all or none, as Asterisk checks every
// channel of the list before it moves any.
func (a *pbx) addToBridge(id string, chs ...string) error {
	return a.locked(func() error {
		b := a.bridges[id]
		if b == nil {
			return httpErr(404, "Bridge not found")
		}
		for _, ch := range chs {
			c := a.chans[ch]
			switch {
			case c == nil:
				return httpErr(400, "Channel not found")
			case !c.InApp:
				return httpErr(422, "Channel not in Stasis application")
			}
		}
		for _, ch := range chs {
			c := a.chans[ch]
			if c.Bridge == id {
				continue
			}
			a.leaveBridge(c)
			c.Bridge = id
			b.Members = append(b.Members, ch)
		}
		return nil
	})
}

func (a *pbx) removeFromBridge(id, ch string) error {
	return a.locked(func() error {
		b := a.bridges[id]
		c := a.chans[ch]
		switch {
		case b == nil:
			return httpErr(404, "Bridge not found")
		case c == nil:
			return httpErr(400, "Channel not found")
		case c.Bridge != id:
			return httpErr(422, "Channel not in this bridge")
		}
		a.leaveBridge(c)
		return nil
	})
}

func (a *pbx) moh(id, class string) error {
	return a.locked(func() error {
		b := a.bridges[id]
		if b == nil {
			return httpErr(404, "Bridge not found")
		}
		b.MOH = class
		return nil
	})
}

func (a *pbx) record(id, name string) error {
	return a.locked(func() error {
		b := a.bridges[id]
		switch {
		case b == nil:
			return httpErr(404, "Bridge not found")
		case a.live[name] != nil:
			return httpErr(409, "A recording with the same name is in progress")
		}
		a.live[name] = &liveRec{name: name, bridge: id, started: a.h.clock.Now()}
		b.Recording = name
		a.emit(router.RecordingStarted{Name: name, Format: "wav"})
		return nil
	})
}

func (a *pbx) setVar(ch, name, value string) error {
	return a.locked(func() error {
		c, err := a.channel(ch)
		if err == nil {
			c.Vars[name] = value
		}
		return err
	})
}

func (a *pbx) getVar(ch, name string) (string, error) {
	var v string
	err := a.locked(func() error {
		c, err := a.channel(ch)
		if err == nil {
			v = c.Vars[name]
		}
		return err
	})
	return v, err
}

func (a *pbx) appState() ([]string, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var chans []string
	for _, id := range a.order {
		if a.chans[id].InApp {
			chans = append(chans, id)
		}
	}
	return chans, append([]string(nil), a.border...)
}

func (a *pbx) channels() []router.Channel {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []router.Channel
	for _, id := range a.order {
		c := a.chans[id]
		out = append(out, router.Channel{ID: c.ID, State: c.State, Number: c.Number, Exten: c.Exten, Created: c.Created})
	}
	return out
}

func (a *pbx) bridgeChannels(id string) ([]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.bridges[id]
	if b == nil {
		return nil, httpErr(404, "Bridge not found")
	}
	return append([]string(nil), b.Members...), nil
}

func (a *pbx) listBridges() map[string][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string][]string, len(a.bridges))
	for id, b := range a.bridges {
		out[id] = append([]string(nil), b.Members...)
	}
	return out
}

func (a *pbx) liveRecording(name string, pause bool) error {
	return a.locked(func() error {
		l := a.live[name]
		if l == nil {
			return httpErr(404, "Recording not found")
		}
		l.paused = pause
		return nil
	})
}

func (a *pbx) continueIn(ch string) error {
	return a.locked(func() error {
		c, err := a.inApp(ch)
		if err != nil {
			return err
		}
		a.leaveBridge(c)
		c.InApp = false
		a.emit(router.StasisEnd{Channel: c.ID})
		return nil
	})
}

func (a *pbx) storedNames() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for n := range a.stored {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (a *pbx) fetch(name string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.stored[name]
	if !ok {
		return nil, httpErr(404, "Recording not found")
	}
	return b, nil
}

func (a *pbx) deleteStored(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.stored[name]; !ok {
		return httpErr(404, "Recording not found")
	}
	delete(a.stored, name)
	return nil
}

// telephony is one router's view of the harness's Asterisk: every request goes through the
// gate, named as the ARI request it stands for.
type telephony struct{ g *gen }

func (t *telephony) ari(op string, do func() (any, error)) (any, error) {
	return t.g.ask(op, false, do)
}

func (t *telephony) errOnly(op string, do func() error) error {
	_, err := t.ari(op, func() (any, error) { return nil, do() })
	return err
}

func (t *telephony) pbx() *pbx { return t.g.h.ast }

func (t *telephony) Answer(ctx context.Context, ch string) error {
	return t.errOnly("POST /channels/"+ch+"/answer", func() error { return t.pbx().answer(ch) })
}

func (t *telephony) Hangup(ctx context.Context, ch, reason string) error {
	return t.errOnly("DELETE /channels/"+ch+"?reason="+reason, func() error { return t.pbx().hangup(ch) })
}

// Play names each part of a media list as its own media parameter: a list sent as one
// comma string would read differently.
func (t *telephony) Play(ctx context.Context, ch, id string, media []string) error {
	return t.errOnly("POST /channels/"+ch+"/play/"+id+"?media="+strings.Join(media, "&media="), func() error { return t.pbx().play(ch, id) })
}

func (t *telephony) StopPlayback(ctx context.Context, id string) error {
	return t.errOnly("DELETE /playbacks/"+id, func() error { return t.pbx().stopPlayback(id) })
}

func (t *telephony) Originate(ctx context.Context, o router.Originate) error {
	op := fmt.Sprintf("POST /channels/%s?endpoint=%s&appArgs=%s&callerId=%s&timeout=%s", o.ChannelID, o.Endpoint, o.AppArgs, o.CallerID, o.Timeout)
	for _, k := range slices.Sorted(maps.Keys(o.Variables)) {
		op += "&variables=" + k + "=" + o.Variables[k]
	}
	return t.errOnly(op, func() error { return t.pbx().originate(o) })
}

func (t *telephony) CreateBridge(ctx context.Context, id, kind string) error {
	return t.errOnly("POST /bridges/"+id+"?type="+kind, func() error { return t.pbx().createBridge(id, kind) })
}

func (t *telephony) DeleteBridge(ctx context.Context, id string) error {
	return t.errOnly("DELETE /bridges/"+id, func() error { return t.pbx().deleteBridge(id) })
}

func (t *telephony) AddChannel(ctx context.Context, bridge string, chs ...string) error {
	return t.errOnly("POST /bridges/"+bridge+"/addChannel?channel="+strings.Join(chs, ","), func() error { return t.pbx().addToBridge(bridge, chs...) })
}

func (t *telephony) HoldChannel(ctx context.Context, bridge, ch, class string) error {
	if class != "" && class != "default" {
		if err := t.SetVar(ctx, ch, "CHANNEL(musicclass)", class); err != nil {
			return err
		}
	}
	return t.errOnly("POST /bridges/"+bridge+"/addChannel?channel="+ch+"&role=holding_participant", func() error { return t.pbx().addToBridge(bridge, ch) })
}

func (t *telephony) RemoveChannel(ctx context.Context, bridge, ch string) error {
	return t.errOnly("POST /bridges/"+bridge+"/removeChannel?channel="+ch, func() error { return t.pbx().removeFromBridge(bridge, ch) })
}

func (t *telephony) BridgeMOH(ctx context.Context, bridge, class string) error {
	return t.errOnly("POST /bridges/"+bridge+"/moh?mohClass="+class, func() error { return t.pbx().moh(bridge, class) })
}

func (t *telephony) RecordBridge(ctx context.Context, bridge, name string) error {
	return t.errOnly("POST /bridges/"+bridge+"/record?name="+name, func() error { return t.pbx().record(bridge, name) })
}

func (t *telephony) SetVar(ctx context.Context, ch, name, value string) error {
	return t.errOnly("POST /channels/"+ch+"/variable?variable="+name+"&value="+value, func() error { return t.pbx().setVar(ch, name, value) })
}

func (t *telephony) Var(ctx context.Context, ch, name string) (string, error) {
	v, err := t.ari("GET /channels/"+ch+"/variable?variable="+name, func() (any, error) { return t.pbx().getVar(ch, name) })
	s, _ := v.(string)
	return s, err
}

func (t *telephony) AppState(ctx context.Context) (channels, bridges []string, err error) {
	v, err := t.ari("GET /applications/"+t.g.h.cfg.App, func() (any, error) {
		c, b := t.pbx().appState()
		return [2][]string{c, b}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	cb := v.([2][]string)
	return cb[0], cb[1], nil
}

func (t *telephony) Channels(ctx context.Context) ([]router.Channel, error) {
	v, err := t.ari("GET /channels", func() (any, error) { return t.pbx().channels(), nil })
	out, _ := v.([]router.Channel)
	return out, err
}

func (t *telephony) BridgeChannels(ctx context.Context, id string) ([]string, error) {
	v, err := t.ari("GET /bridges/"+id, func() (any, error) { return t.pbx().bridgeChannels(id) })
	out, _ := v.([]string)
	return out, err
}

func (t *telephony) ListBridges(ctx context.Context) (map[string][]string, error) {
	v, err := t.ari("GET /bridges", func() (any, error) { return t.pbx().listBridges(), nil })
	out, _ := v.(map[string][]string)
	return out, err
}

func (t *telephony) FetchRecording(ctx context.Context, name string) (io.ReadCloser, error) {
	v, err := t.ari("GET /recordings/stored/"+name+"/file", func() (any, error) { return t.pbx().fetch(name) })
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(v.([]byte))), nil
}

func (t *telephony) DeleteRecording(ctx context.Context, name string) error {
	return t.errOnly("DELETE /recordings/stored/"+name, func() error { return t.pbx().deleteStored(name) })
}

func (t *telephony) StoredRecordings(ctx context.Context) ([]string, error) {
	v, err := t.ari("GET /recordings/stored", func() (any, error) { return t.pbx().storedNames(), nil })
	out, _ := v.([]string)
	return out, err
}

func (t *telephony) PauseRecording(ctx context.Context, name string) error {
	return t.errOnly("POST /recordings/live/"+name+"/pause", func() error { return t.pbx().liveRecording(name, true) })
}

func (t *telephony) ResumeRecording(ctx context.Context, name string) error {
	return t.errOnly("DELETE /recordings/live/"+name+"/pause", func() error { return t.pbx().liveRecording(name, false) })
}

func (t *telephony) Continue(ctx context.Context, ch, context, extension string, priority int) error {
	op := fmt.Sprintf("POST /channels/%s/continue?context=%s&extension=%s&priority=%d", ch, context, extension, priority)
	return t.errOnly(op, func() error { return t.pbx().continueIn(ch) })
}
