package router

import (
	"errors"
	"strconv"
	"sync"
	"time"
)

// Channel variables kept on the caller's channel, so that a restarted router can re-adopt
// the call with its place in time.
const (
	varCall     = "SB_CALL"
	varQueue    = "SB_QUEUE"
	varEnqueued = "SB_ENQUEUED" // RFC 3339 with nanoseconds
	varPriority = "SB_PRIORITY"
	varAgent    = "SB_AGENT"
	varAnswered = "SB_ANSWERED"
)

// call is the router's side of a call: its channels and bridges on Asterisk.
type call struct {
	id         string
	callerChan string
	number     string
	did        string
	queue      string
	priority   int
	offerChan  string // the agent channel ringing for the current offer
	offerAgent string
	agentChan  string // the connected agent's channel
	agent      string
	bridge     string // mixing bridge while connected
	inHold     string // holding bridge the caller is in, as far as the router asked
	attempt    int
	arrived    time.Time // when the router received the caller\'s StasisStart
	pbMu       sync.Mutex
	playback   string // current announcement playback, set and cleared by the worker and the owner
	announceN  int
	announce   *time.Timer
	w          worker
}

func holdBridgeID(queue string) string      { return "sb-hold-" + queue }
func callBridgeID(callerChan string) string { return "sb-call-" + callerChan }
func agentChanID(callerChan string, attempt int) string {
	return callerChan + "-a" + strconv.Itoa(attempt)
}

// worker runs one call's Asterisk requests in order, off the owner goroutine.
type worker struct {
	mu      sync.Mutex
	queue   []func()
	running bool
}

func (w *worker) do(f func()) {
	w.mu.Lock()
	w.queue = append(w.queue, f)
	if w.running {
		w.mu.Unlock()
		return
	}
	w.running = true
	w.mu.Unlock()
	go w.run()
}

func (w *worker) run() {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		f := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		f()
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
	c.pbMu.Lock()
	c.playback = id
	c.pbMu.Unlock()
}

func (c *call) takePlayback() string {
	c.pbMu.Lock()
	defer c.pbMu.Unlock()
	id := c.playback
	c.playback = ""
	return id
}

// playbackDone clears the current playback if it is id.
func (c *call) playbackDone(id string) {
	c.pbMu.Lock()
	if c.playback == id {
		c.playback = ""
	}
	c.pbMu.Unlock()
}
