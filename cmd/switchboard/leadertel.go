package main

import (
	"context"
	"log/slog"

	"switchboard/internal/router"
)

// leaderTel is the ARI adapter of a router among several: every request that acts on a
// channel, a bridge, a playback or a recording is sent only while the router leads (its
// lease's renew deadline has not passed), so that a router frozen past its lease and resumed
// cannot offer, dial or bridge again before it notices it stepped down. Reads pass.
type leaderTel struct {
	router.Telephony
	leading func() bool
	log     *slog.Logger
}

// refused says whether the router no longer leads, and logs the request it then does not send.
func (t leaderTel) refused(op string) bool {
	if t.leading() {
		return false
	}
	t.log.Warn("ARI request not sent: this router no longer leads", "op", op)
	return true
}

func (t leaderTel) Answer(ctx context.Context, ch string) error {
	if t.refused("Answer") {
		return errNotLeader
	}
	return t.Telephony.Answer(ctx, ch)
}

func (t leaderTel) Hangup(ctx context.Context, ch, reason string) error {
	if t.refused("Hangup") {
		return errNotLeader
	}
	return t.Telephony.Hangup(ctx, ch, reason)
}

func (t leaderTel) Originate(ctx context.Context, o router.Originate) error {
	if t.refused("Originate") {
		return errNotLeader
	}
	return t.Telephony.Originate(ctx, o)
}

func (t leaderTel) SetVar(ctx context.Context, ch, name, value string) error {
	if t.refused("SetVar") {
		return errNotLeader
	}
	return t.Telephony.SetVar(ctx, ch, name, value)
}

func (t leaderTel) Continue(ctx context.Context, ch, dialContext, ext string, prio int) error {
	if t.refused("Continue") {
		return errNotLeader
	}
	return t.Telephony.Continue(ctx, ch, dialContext, ext, prio)
}

func (t leaderTel) CreateBridge(ctx context.Context, id, kind string) error {
	if t.refused("CreateBridge") {
		return errNotLeader
	}
	return t.Telephony.CreateBridge(ctx, id, kind)
}

func (t leaderTel) DeleteBridge(ctx context.Context, id string) error {
	if t.refused("DeleteBridge") {
		return errNotLeader
	}
	return t.Telephony.DeleteBridge(ctx, id)
}

func (t leaderTel) AddChannel(ctx context.Context, b string, ch ...string) error {
	if t.refused("AddChannel") {
		return errNotLeader
	}
	return t.Telephony.AddChannel(ctx, b, ch...)
}

func (t leaderTel) RemoveChannel(ctx context.Context, b, ch string) error {
	if t.refused("RemoveChannel") {
		return errNotLeader
	}
	return t.Telephony.RemoveChannel(ctx, b, ch)
}

func (t leaderTel) BridgeMOH(ctx context.Context, b, class string) error {
	if t.refused("BridgeMOH") {
		return errNotLeader
	}
	return t.Telephony.BridgeMOH(ctx, b, class)
}

func (t leaderTel) Play(ctx context.Context, ch, id string, media []string) error {
	if t.refused("Play") {
		return errNotLeader
	}
	return t.Telephony.Play(ctx, ch, id, media)
}

func (t leaderTel) StopPlayback(ctx context.Context, id string) error {
	if t.refused("StopPlayback") {
		return errNotLeader
	}
	return t.Telephony.StopPlayback(ctx, id)
}

func (t leaderTel) RecordBridge(ctx context.Context, b, name string) error {
	if t.refused("RecordBridge") {
		return errNotLeader
	}
	return t.Telephony.RecordBridge(ctx, b, name)
}

func (t leaderTel) PauseRecording(ctx context.Context, name string) error {
	if t.refused("PauseRecording") {
		return errNotLeader
	}
	return t.Telephony.PauseRecording(ctx, name)
}

func (t leaderTel) ResumeRecording(ctx context.Context, name string) error {
	if t.refused("ResumeRecording") {
		return errNotLeader
	}
	return t.Telephony.ResumeRecording(ctx, name)
}

func (t leaderTel) DeleteRecording(ctx context.Context, name string) error {
	if t.refused("DeleteRecording") {
		return errNotLeader
	}
	return t.Telephony.DeleteRecording(ctx, name)
}
