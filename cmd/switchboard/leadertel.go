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

// leaderControls is leaderTel with the call controls' requests (router.ChannelControls),
// fenced the same way; newLeaderTel gives it when the adapter has them.
type leaderControls struct {
	leaderTel
	ctl router.ChannelControls
}

// newLeaderTel fences tel behind leading, keeping its call controls when it has them.
func newLeaderTel(tel router.Telephony, leading func() bool, log *slog.Logger) router.Telephony {
	lt := leaderTel{tel, leading, log}
	if ctl, ok := tel.(router.ChannelControls); ok {
		return leaderControls{lt, ctl}
	}
	return lt
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

func (t leaderTel) HoldChannel(ctx context.Context, bridge, ch, class string) error {
	if t.refused("HoldChannel") {
		return errNotLeader
	}
	return t.Telephony.HoldChannel(ctx, bridge, ch, class)
}

func (t leaderControls) Hold(ctx context.Context, chanID string) error {
	if t.refused("Hold") {
		return errNotLeader
	}
	return t.ctl.Hold(ctx, chanID)
}

func (t leaderControls) Unhold(ctx context.Context, chanID string) error {
	if t.refused("Unhold") {
		return errNotLeader
	}
	return t.ctl.Unhold(ctx, chanID)
}

func (t leaderControls) Mute(ctx context.Context, chanID, direction string) error {
	if t.refused("Mute") {
		return errNotLeader
	}
	return t.ctl.Mute(ctx, chanID, direction)
}

func (t leaderControls) Unmute(ctx context.Context, chanID, direction string) error {
	if t.refused("Unmute") {
		return errNotLeader
	}
	return t.ctl.Unmute(ctx, chanID, direction)
}

func (t leaderControls) StartMOH(ctx context.Context, chanID, class string) error {
	if t.refused("StartMOH") {
		return errNotLeader
	}
	return t.ctl.StartMOH(ctx, chanID, class)
}

func (t leaderControls) StopMOH(ctx context.Context, chanID string) error {
	if t.refused("StopMOH") {
		return errNotLeader
	}
	return t.ctl.StopMOH(ctx, chanID)
}

func (t leaderControls) SendDTMF(ctx context.Context, chanID, digits string) error {
	if t.refused("SendDTMF") {
		return errNotLeader
	}
	return t.ctl.SendDTMF(ctx, chanID, digits)
}

func (t leaderControls) Snoop(ctx context.Context, chanID string, s router.Snoop) error {
	if t.refused("Snoop") {
		return errNotLeader
	}
	return t.ctl.Snoop(ctx, chanID, s)
}
