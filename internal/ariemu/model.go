package ariemu

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// ariTime is Asterisk's timestamp layout, e.g. 2026-11-23T03:42:16.387+0000.
const ariTime = "2006-01-02T15:04:05.000-0700"

func stamp(t time.Time) string { return t.UTC().Format(ariTime) }

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// CallerID is a name and number pair, as in the Channel model.
type CallerID struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// DialplanCEP is a channel's dialplan location.
type DialplanCEP struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int    `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

// ChannelJSON is the ARI Channel model, field for field as Asterisk writes it.
type ChannelJSON struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	State        string      `json:"state"`
	ProtocolID   string      `json:"protocol_id"`
	Caller       CallerID    `json:"caller"`
	Connected    CallerID    `json:"connected"`
	AccountCode  string      `json:"accountcode"`
	Dialplan     DialplanCEP `json:"dialplan"`
	CreationTime string      `json:"creationtime"`
	Language     string      `json:"language"`
}

// BridgeJSON is the ARI Bridge model.
type BridgeJSON struct {
	ID           string   `json:"id"`
	Technology   string   `json:"technology"`
	BridgeType   string   `json:"bridge_type"`
	BridgeClass  string   `json:"bridge_class"`
	Creator      string   `json:"creator"`
	Name         string   `json:"name"`
	Channels     []string `json:"channels"`
	CreationTime string   `json:"creationtime"`
	VideoMode    string   `json:"video_mode"`
}

// PlaybackJSON is the ARI Playback model.
type PlaybackJSON struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language,omitempty"`
	State        string `json:"state"`
}

// LiveRecordingJSON is the ARI LiveRecording model.
type LiveRecordingJSON struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	State     string `json:"state"`
	TargetURI string `json:"target_uri"`
	Duration  *int   `json:"duration,omitempty"`
	Cause     string `json:"cause,omitempty"`
}

// StoredRecordingJSON is the ARI StoredRecording model.
type StoredRecordingJSON struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

// channel is the emulator's state of one channel. Guarded by Server.mu.
type channel struct {
	id, name, protocolID string
	state                string
	caller, connected    CallerID
	dialplan             DialplanCEP
	created              time.Time
	language             string
	vars                 map[string]string

	subs       map[string]bool // applications subscribed to the channel
	stasisApp  string          // application whose Stasis the channel is in
	originated bool            // created by POST /channels: its app stays subscribed until destroyed
	bridge     *bridge
	player     *player
	moh        string     // class of the channel's own music on hold, "" for none
	held       bool       // POST /channels/{id}/hold: its peer hears music
	entertain  bool       // joined a holding bridge with role holding_participant: Asterisk plays it music (moh.go)
	mutedIn    bool       // what the channel sends is not heard in its bridge
	mutedOut   bool       // the channel hears nothing of its bridge
	snoopOf    *channel   // the channel a snoop spies on (snoop.go)
	snoops     []*channel // the snoops on this channel, oldest first
	spy        string     // a snoop's directions: none, both, in, out
	whisper    string
	gone       bool

	timers    []*step // not yet run or stopped
	idleChans []chan struct{}
	idleFns   []func()

	rec      *CallRecord
	caller_  *Caller // synthetic caller behaviour, nil for other channels
	phone    *Phone  // agent phone behaviour, nil for other channels
	talking  bool    // bridged with another channel at least once
	patience stopper
}

func (c *channel) json() ChannelJSON {
	return ChannelJSON{
		ID: c.id, Name: c.name, State: c.state, ProtocolID: c.protocolID,
		Caller: c.caller, Connected: c.connected, AccountCode: "",
		Dialplan: c.dialplan, CreationTime: stamp(c.created), Language: c.language,
	}
}

func (c *channel) stopTimers() {
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
}

// busy reports whether the channel has a playback playing or queued: Asterisk
// runs the channel's synchronous commands only after them.
func (c *channel) busy() bool { return c.player.busy() }

// bridge is the emulator's state of one bridge. Guarded by Server.mu.
type bridge struct {
	id, name   string
	bridgeType string // mixing or holding
	created    time.Time
	channels   []*channel
	subs       map[string]int // application -> subscription count
	player     *player
	moh        string   // class the music-on-hold announcer plays, "" when it is not in the bridge (moh.go)
	announcer  *channel // the channel added with role=announcer to a holding bridge
	recorders  int      // recorder channels in the bridge (count for the technology)
	gone       bool
}

func (b *bridge) json() BridgeJSON {
	return b.jsonWith(len(b.channels) + b.recorders)
}

// jsonWith renders the bridge as if it had n participants (the technology of a
// mixing bridge is simple_bridge for two, softmix beyond).
func (b *bridge) jsonWith(n int) BridgeJSON {
	ids := make([]string, 0, len(b.channels))
	for _, c := range b.channels {
		ids = append(ids, c.id)
	}
	tech := "simple_bridge"
	if b.bridgeType == "holding" {
		tech = "holding_bridge"
	} else if n > 2 {
		tech = "softmix"
	}
	return BridgeJSON{
		ID: b.id, Technology: tech, BridgeType: b.bridgeType, BridgeClass: "stasis",
		Creator: "Stasis", Name: b.name, Channels: ids, CreationTime: stamp(b.created),
		VideoMode: "talker",
	}
}

func (b *bridge) remove(c *channel) {
	for i, x := range b.channels {
		if x == c {
			b.channels = append(b.channels[:i], b.channels[i+1:]...)
			return
		}
	}
}

// ParseCallerID splits an Asterisk caller id string: `"Name" <num>`,
// `Name <num>`, `<num>` or `num`.
func ParseCallerID(s string) CallerID {
	s = strings.TrimSpace(s)
	lt := strings.LastIndexByte(s, '<')
	if lt >= 0 {
		if gt := strings.IndexByte(s[lt:], '>'); gt > 0 {
			num := strings.TrimSpace(s[lt+1 : lt+gt])
			name := strings.TrimSpace(s[:lt])
			if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
				name = name[1 : len(name)-1]
			}
			return CallerID{Name: name, Number: num}
		}
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return CallerID{Name: s[1 : len(s)-1]}
	}
	return CallerID{Number: s}
}

// hangup causes (Q.850) with Asterisk's texts.
var causeText = map[int]string{
	0:   "Unknown",
	1:   "Unallocated (unassigned) number",
	3:   "No route to destination",
	16:  "Normal Clearing",
	17:  "User busy",
	18:  "No user responding",
	19:  "User alerting, no answer",
	20:  "Subscriber absent",
	21:  "Call Rejected",
	26:  "Answered elsewhere",
	28:  "Invalid number format (addr incomplete)",
	31:  "Normal, unspecified",
	34:  "Circuit/channel congestion",
	38:  "Network out of order",
	58:  "Bearer capability not available",
	127: "Interworking, unspecified",
}

// hangupReasons maps DELETE /channels/{id}?reason= to a cause.
var hangupReasons = map[string]int{
	"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 18,
	"rejected": 21, "unallocated": 1, "normal_unspecified": 31,
	"number_incomplete": 28, "codec_mismatch": 58, "interworking": 127,
	"failure": 38, "answered_elsewhere": 26,
}

func causeTxt(c int) string {
	if t, ok := causeText[c]; ok {
		return t
	}
	return "Unknown"
}
