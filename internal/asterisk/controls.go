package asterisk

import (
	"context"
	"net/http"
	"net/url"

	"switchboard/internal/router"
)

// The agents' call controls and the supervisors' snoops (router.ChannelControls), as
// traces/channel-hold-mute.jsonl and traces/snoop-whisper.jsonl show them: each answers 204
// (a snoop 200) and sends no event of its own.

// Operations of the controls, for switchboard_ari_request_seconds.
const (
	opHold  = "channel_hold"
	opMute  = "channel_mute"
	opMOH   = "channel_moh"
	opDTMF  = "channel_dtmf"
	opSnoop = "channel_snoop"
)

var _ router.ChannelControls = (*REST)(nil)

func chanPath(ch, tail string) string { return "/channels/" + url.PathEscape(ch) + tail }

// Hold and Unhold indicate hold to a channel's device (POST and DELETE /channels/{id}/hold).
func (r *REST) Hold(ctx context.Context, ch string) error {
	return r.send(ctx, http.MethodPost, chanPath(ch, "/hold"), nil, nil, "hold", opHold)
}

func (r *REST) Unhold(ctx context.Context, ch string) error {
	return r.send(ctx, http.MethodDelete, chanPath(ch, "/hold"), nil, nil, "unhold", opHold)
}

// Mute and Unmute mute a channel's audio in direction in, out or both. DELETE needs the
// direction: Asterisk answers 400 without it, whatever its documentation says.
func (r *REST) Mute(ctx context.Context, ch, direction string) error {
	return r.send(ctx, http.MethodPost, chanPath(ch, "/mute"), url.Values{"direction": {direction}}, nil, "mute", opMute)
}

func (r *REST) Unmute(ctx context.Context, ch, direction string) error {
	return r.send(ctx, http.MethodDelete, chanPath(ch, "/mute"), url.Values{"direction": {direction}}, nil, "unmute", opMute)
}

// StartMOH plays music on hold of class to a channel; StopMOH stops it.
func (r *REST) StartMOH(ctx context.Context, ch, class string) error {
	var q url.Values
	if class != "" {
		q = url.Values{"mohClass": {class}}
	}
	return r.send(ctx, http.MethodPost, chanPath(ch, "/moh"), q, nil, "start moh", opMOH)
}

func (r *REST) StopMOH(ctx context.Context, ch string) error {
	return r.send(ctx, http.MethodDelete, chanPath(ch, "/moh"), nil, nil, "stop moh", opMOH)
}

// SendDTMF sends digits to a channel (POST /channels/{id}/dtmf).
func (r *REST) SendDTMF(ctx context.Context, ch, digits string) error {
	return r.send(ctx, http.MethodPost, chanPath(ch, "/dtmf"), url.Values{"dtmf": {digits}}, nil, "send dtmf", opDTMF)
}

// Snoop makes a snoop channel on a channel, entering the application with the snoop's
// arguments (POST /channels/{id}/snoop/{snoopId}).
func (r *REST) Snoop(ctx context.Context, ch string, s router.Snoop) error {
	q := url.Values{"app": {r.opt.App}, "spy": {s.Spy}, "whisper": {s.Whisper}}
	if s.AppArgs != "" {
		q.Set("appArgs", s.AppArgs)
	}
	return r.send(ctx, http.MethodPost, chanPath(ch, "/snoop/"+url.PathEscape(s.ID)), q, nil, "snoop", opSnoop)
}
