package router

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"switchboard/acd"
)

// reconcile brings the router in line with Asterisk after a (re)connection: calls whose
// channels went away while we were not listening are ended, agent channels that answered
// meanwhile are bridged, and channels in the application that the router does not hold —
// after a restart, all of them — are re-adopted from their channel variables: waiting
// callers with their original enqueue time and priority, connected ones with their agent.
// Leftovers (agent channels and call bridges of nothing) are cleaned up.
func (r *Router) reconcile(attempt int) {
	inApp, bridges, err := r.tel.AppState()
	if err != nil {
		// Asterisk registers the application just after the websocket upgrade, so the first
		// look can miss it; anything else is worth an error.
		level := slog.LevelError
		if errors.Is(err, ErrNotFound) {
			level = slog.LevelInfo
		}
		r.log.Log(context.Background(), level, "reconcile: application state; retrying", "err", err)
		r.after(200*time.Millisecond, func() { r.post(func() { r.reconcile(attempt) }) })
		return
	}
	all, err := r.tel.Channels()
	if err != nil {
		r.log.Error("reconcile: channels", "err", err)
		r.after(time.Second, func() { r.post(func() { r.reconcile(attempt) }) })
		return
	}
	exists := map[string]Channel{}
	for _, ch := range all {
		exists[ch.ID] = ch
	}
	app := map[string]bool{}
	for _, id := range inApp {
		app[id] = true
	}
	// Membership of our bridges: which holding bridge or call bridge each channel is in.
	inBridge := map[string]string{}
	ourBridges := map[string]bool{}
	for _, b := range bridges {
		if !strings.HasPrefix(b, "sb-") {
			continue
		}
		ourBridges[b] = true
		if strings.HasPrefix(b, "sb-hold-") {
			r.holds[b] = true
		}
		members, err := r.tel.BridgeChannels(b)
		if err != nil {
			r.log.Warn("reconcile: bridge", "bridge", b, "err", err)
			continue
		}
		for _, m := range members {
			inBridge[m] = b
		}
	}

	// Calls we hold whose channels changed while we were not listening.
	for _, c := range r.snapshotCalls() {
		if c.callerChan != "" && !app[c.callerChan] {
			r.onChannelGone(c.callerChan, 0, true)
			continue
		}
		if ch := c.offerChan; ch != "" {
			if _, ok := exists[ch]; !ok {
				r.onChannelGone(ch, 0, false)
			} else if app[ch] && exists[ch].State == "Up" {
				r.agentAnswered(ch, c.id)
			}
		}
		if ch := c.agentChan; ch != "" && !app[ch] {
			r.onChannelGone(ch, 0, true)
		}
		if cb := c.cb; cb != nil && cb.dialed && c.callerChan == "" && r.calls[c.id] == c {
			if ch, ok := exists[cb.custChan]; !ok {
				r.customerGone(c, cb.custChan, 0)
			} else if app[ch.ID] && ch.State == "Up" {
				r.customerAnswered(ch.ID, c.id)
			}
		}
	}
	r.flush()

	// Channels in the application that we do not hold.
	adopted := 0
	for _, id := range inApp {
		if _, ok := r.chans[id]; ok {
			continue
		}
		if isAgentChan(id) {
			continue // handled with its caller below, or cleaned up at the end
		}
		ch, ok := exists[id]
		if !ok {
			continue
		}
		if r.adopt(ch, inBridge, app) {
			adopted++
		}
		r.flush()
	}
	// Agent channels and call bridges that belong to no call.
	for _, id := range inApp {
		if _, ok := r.chans[id]; !ok && isAgentChan(id) {
			r.log.Info("reconcile: hanging up an agent channel of no call", "channel", id)
			r.hangupLater(id)
		}
	}
	for b := range ourBridges {
		if strings.HasPrefix(b, "sb-call-") {
			if c := r.chans[strings.TrimPrefix(b, "sb-call-")]; c == nil || c.bridge != b {
				r.spawn(func() { _ = ignoreGone(r.tel.DeleteBridge(b)) })
			}
		}
	}
	r.linkReconciled(attempt)
	r.reconciled.Add(1)
	r.log.Info("reconciled", "attempt", attempt, "channels", len(inApp), "adopted", adopted, "calls", len(r.calls))
}

func (r *Router) snapshotCalls() []*call {
	out := make([]*call, 0, len(r.calls))
	for _, c := range r.calls {
		out = append(out, c)
	}
	return out
}

func isAgentChan(id string) bool {
	i := strings.LastIndex(id, "-a")
	if i < 0 {
		return false
	}
	_, err := strconv.Atoi(id[i+2:])
	return err == nil
}

// adopt takes over a caller channel the router does not hold.
func (r *Router) adopt(ch Channel, inBridge map[string]string, app map[string]bool) bool {
	place, _ := r.tel.Var(ch.ID, varPlace)
	answer, _ := r.tel.Var(ch.ID, varAnswer)
	queue, prio, enqueued, placed := parsePlace(place)
	if isCallbackChan(ch.ID) && (!placed || answer == "" || !strings.HasPrefix(inBridge[ch.ID], "sb-call-")) {
		// A customer being called back, not yet connected when the router went: its attempt
		// is recovered as failed and dialed again later.
		r.log.Info("reconcile: hanging up a callback customer who was not connected", "channel", ch.ID)
		r.hangupLater(ch.ID)
		return false
	}
	if !placed && r.recall != nil {
		// The variable was never set (the router died between StasisStart and the enqueue's
		// requests) or was lost: the store's row of the call is the other memory.
		if rc, ok := r.recall(r.callID(ch.ID)); ok {
			queue, prio, enqueued, placed = rc.Queue, rc.Priority, rc.EnqueuedAt, true
		}
	}
	route, ok := r.cfg.DIDs[ch.Exten]
	if !ok && r.cfg.Default != nil {
		route, ok = *r.cfg.Default, true
	}
	if !placed && ok && route.Flow != nil {
		// It was in the IVR when the router went: it starts the flow again.
		c := r.track(&call{id: r.callID(ch.ID), callerChan: ch.ID, number: ch.Number, did: ch.Exten})
		r.calls[c.id] = c
		r.chans[ch.ID] = c
		if r.callInfo != nil {
			r.callInfo(c.id, ch.Number, ch.Exten)
		}
		r.startIVR(c, route, ch.Number)
		r.log.Info("reconcile: caller back at the start of its IVR flow", "call", c.id)
		return true
	}
	if !placed {
		if !ok {
			r.log.Warn("reconcile: channel with no queue and no route; hanging up", "channel", ch.ID)
			r.hangupLater(ch.ID)
			return false
		}
		queue, prio, enqueued = route.Queue, route.Priority, ch.Created
	}
	if enqueued.IsZero() {
		enqueued = r.clock.Now()
	}
	c := r.track(&call{id: r.callID(ch.ID), callerChan: ch.ID, number: ch.Number, did: ch.Exten, queue: queue, priority: prio})
	if r.callInfo != nil { // the screen pop and the customer records learn the caller again
		r.callInfo(c.id, ch.Number, ch.Exten)
	}
	req := acd.CallRequest{ID: c.id, Queue: queue, Priority: prio, Skills: route.Skills, EnqueuedAt: enqueued, Data: route.Data}

	// Connected before the restart: caller and an agent channel in the call's bridge.
	bridge := callBridgeID(ch.ID)
	agent, answered, wasAnswered := parseAnswer(answer)
	if inBridge[ch.ID] == bridge && wasAnswered {
		agentChan := ""
		for m, b := range inBridge {
			if b == bridge && m != ch.ID && app[m] {
				agentChan = m
			}
		}
		if agentChan != "" {
			if err := r.eng.Adopt(req, agent, answered); err == nil {
				c.agentChan, c.agent, c.bridge = agentChan, agent, bridge
				c.attempt = attemptOf(agentChan)
				r.calls[c.id] = c
				r.chans[ch.ID] = c
				r.chans[agentChan] = c
				r.log.Info("reconcile: re-attached a connected call", "call", c.id, "agent", c.agent)
				return true
			} else {
				r.log.Warn("reconcile: connected call not re-attached; queueing it again", "call", c.id, "err", err)
				r.hangupLater(agentChan)
			}
		}
	}
	// Waiting (or in any other state): back in its queue at its original place. New offers
	// number their agent channels above any left from before.
	for id := range app {
		if strings.HasPrefix(id, ch.ID+"-a") {
			if n := attemptOf(id); n > c.attempt {
				c.attempt = n
			}
		}
	}
	if b := inBridge[ch.ID]; strings.HasPrefix(b, "sb-hold-") {
		c.inHold = b
	}
	r.calls[c.id] = c
	r.chans[ch.ID] = c
	if err := r.eng.Enqueue(req); err != nil {
		r.log.Error("reconcile: re-enqueue failed; hanging up", "call", c.id, "err", err)
		r.forget(c)
		r.hangupLater(ch.ID)
		return false
	}
	r.log.Info("reconcile: re-adopted a waiting call", "call", c.id, "queue", queue, "enqueued_at", enqueued)
	return true
}

func attemptOf(agentChan string) int {
	i := strings.LastIndex(agentChan, "-a")
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(agentChan[i+2:])
	return n
}
