package router

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Channel variables that let a restarted router re-adopt a call with its place in time:
// SB_PLACE "queue|priority|enqueued" on the caller (one request; not for a caller routed
// straight by its DID), and SB_ANSWER "agent|time|recording": on the agent leg, set by its
// originate with the offer's time (no request of its own), and on the caller at the answer
// of a recorded connection, with the answer's time and the recording. Times in RFC 3339 with
// nanoseconds; an older router wrote "agent|answered" on the caller at every answer.
const (
	varPlace  = "SB_PLACE"
	varAnswer = "SB_ANSWER"
)

func placeValue(queue string, priority int, enqueued time.Time) string {
	return queue + "|" + strconv.Itoa(priority) + "|" + enqueued.UTC().Format(time.RFC3339Nano)
}

// parsePlace reads SB_PLACE; ok is false for anything malformed (the variable is input too).
func parsePlace(v string) (queue string, priority int, enqueued time.Time, ok bool) {
	parts := strings.Split(v, "|")
	if len(parts) != 3 || parts[0] == "" {
		return "", 0, time.Time{}, false
	}
	p, err := strconv.Atoi(parts[1])
	if err != nil {
		return "", 0, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, parts[2])
	if err != nil {
		return "", 0, time.Time{}, false
	}
	return parts[0], p, t, true
}

func answerValue(agent string, at time.Time, rec string) string {
	v := agent + "|" + at.UTC().Format(time.RFC3339Nano)
	if rec != "" {
		v += "|" + rec
	}
	return v
}

// parseAnswer reads SB_ANSWER; rec is "" when no recording was started with the answer.
func parseAnswer(v string) (agent string, at time.Time, rec string, ok bool) {
	i := strings.LastIndex(v, "|")
	if i <= 0 {
		return "", time.Time{}, "", false
	}
	if t, err := time.Parse(time.RFC3339Nano, v[i+1:]); err == nil {
		return v[:i], t, "", true
	}
	rec = v[i+1:]
	if !isRecordingName(rec) {
		return "", time.Time{}, "", false
	}
	v = v[:i]
	if i = strings.LastIndex(v, "|"); i <= 0 {
		return "", time.Time{}, "", false
	}
	t, err := time.Parse(time.RFC3339Nano, v[i+1:])
	if err != nil {
		return "", time.Time{}, "", false
	}
	return v[:i], t, rec, true
}

// call is the router's side of a call: its channels and bridges on Asterisk.
type call struct {
	id         string
	callerChan string
	info       callerInfo
	place      queuePlace
	offer      offerLeg
	conn       agentLeg
	phase      phase    // what the call is doing, and how it takes the caller's inputs (phase.go)
	rec        callRecs // its recordings
	ann        announcements
	w          worker // the caller's requests, in order
	offers     worker // originates and the hang-ups of their channels, in order
}

// callerInfo is who called and how.
type callerInfo struct {
	number     string
	did        string
	arrived    time.Time // when the router received the caller's StasisStart
	setupTimed bool      // switchboard_call_setup_seconds has (or is about to have) this call
	outbound   bool      // an agent's outbound call: number is the customer's dialed (controls_dial.go)
	path       ivrPath   // the nodes the caller waited at in the flow, and what they pressed
}

// queuePlace is the call's place in the queues.
type queuePlace struct {
	queue    string
	priority int
	inHold   string          // holding bridge the caller is in, as far as the router asked
	secured  map[string]bool // data keys written by secure entries (they may be taken again)
}

// offerLeg is the agent channel ringing for the current offer.
type offerLeg struct {
	offerChan  string
	offerAgent string
	attempt    int       // numbers the call's agent channels
	deadline   time.Time // the engine's ring deadline
	rung       bool      // Asterisk answered the originate: the phone rings
	bridge     string    // the call's mixing bridge, made at its first offer (makeCallBridge)
	bridging   bool      // the agent answered: caller and agent are being bridged (bridgeAnswered)
	agentGone  bool      // while bridging, the agent's channel ended
}

// agentLeg is the connected agent.
type agentLeg struct {
	agentChan  string
	agent      string
	bridge     string    // mixing bridge while connected
	answeredAt time.Time // when the connected agent answered
}

// callRecs are the call's recordings.
type callRecs struct {
	recording string // the recording started in the current call bridge, if any
	lastRec   string // the name of the call's latest recording
	recorded  bool   // the call may have a recording already (see newRecording)
}

// announcements are what the waiting caller hears.
type announcements struct {
	pbMu      sync.Mutex
	playback  string // current announcement playback, set and cleared by the worker and the owner
	announceN int
	announce  Timer
}

func holdBridgeID(queue string) string { return "sb-hold-" + queue }

// baseChan names the call's agent channels (<base>-a<n>): the caller's id, or for a callback
// one the customer's id does not begin (cbAgentBase).
func (c *call) baseChan() string {
	if c.dialing() != nil {
		return cbAgentBase(c.dialing().custChan)
	}
	return c.callerChan
}
func callBridgeID(callerChan string) string { return "sb-call-" + callerChan }
func agentChanID(callerChan string, attempt int) string {
	return callerChan + "-a" + strconv.Itoa(attempt)
}

// worker runs one call's Asterisk requests in order, off the owner goroutine.
type worker struct {
	act     *Activity // counts the worker while it runs
	mu      sync.Mutex
	queue   []func(context.Context)
	running bool
}

// workTimeout bounds one job of a worker: the requests it makes, and the store writes (each
// also bounded by storeTimeout).
const workTimeout = 30 * time.Second

// storeTimeout bounds one store request a worker makes.
const storeTimeout = 5 * time.Second

// do queues f; the worker runs the jobs one after the other, each with a context that ends
// after workTimeout.
func (w *worker) do(f func(ctx context.Context)) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	if w.running {
		w.mu.Unlock()
		return
	}
	w.running = true
	w.mu.Unlock()
	w.act.add(1)
	go w.run()
}

func (w *worker) run() {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.running = false
			w.mu.Unlock()
			w.act.add(-1)
			return
		}
		f := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), workTimeout)
		f(ctx)
		cancel()
	}
}

// ignoreGone treats "not found" as success: the channel, bridge or playback is already gone.
func ignoreGone(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (c *call) setPlayback(id string) {
	c.ann.pbMu.Lock()
	c.ann.playback = id
	c.ann.pbMu.Unlock()
}

func (c *call) takePlayback() string {
	c.ann.pbMu.Lock()
	defer c.ann.pbMu.Unlock()
	id := c.ann.playback
	c.ann.playback = ""
	return id
}

// playbackDone clears the current playback if it is id.
func (c *call) playbackDone(id string) {
	c.ann.pbMu.Lock()
	if c.ann.playback == id {
		c.ann.playback = ""
	}
	c.ann.pbMu.Unlock()
}
