package asterisk

import (
	"strings"
	"time"

	sdk "github.com/CyCoreSystems/ari/v5"

	"switchboard/internal/router"
)

// RouterEvent translates an ARI event into the router's terms; nil for the events the router
// does not act on (see router.EventTypes).
func RouterEvent(ev sdk.Event) router.Event {
	switch ev := ev.(type) {
	case *sdk.StasisStart:
		number := ""
		if ev.Channel.Caller != nil {
			number = ev.Channel.Caller.Number
		}
		var created time.Time
		if ts := ev.Channel.Creationtime; ts != nil {
			created = time.Unix(ts.Seconds, int64(ts.Nanos)).UTC()
		}
		return router.StasisStart{Channel: ev.Channel.ID, Number: number, Args: ev.Args, Created: created}
	case *sdk.StasisEnd:
		return router.StasisEnd{Channel: ev.Channel.ID}
	case *sdk.ChannelDestroyed:
		return router.ChannelDestroyed{Channel: ev.Channel.ID, Cause: ev.Cause}
	case *sdk.PlaybackFinished:
		ch, ok := strings.CutPrefix(ev.Playback.TargetURI, "channel:")
		if !ok {
			ch = ""
		}
		return router.PlaybackFinished{ID: ev.Playback.ID, Channel: ch}
	case *sdk.ChannelDtmfReceived:
		return router.DTMF{Channel: ev.Channel.ID, Digit: ev.Digit}
	case *sdk.RecordingStarted:
		return router.RecordingStarted{Name: ev.Recording.Name, Format: ev.Recording.Format}
	case *sdk.RecordingFinished:
		return router.RecordingFinished{Name: ev.Recording.Name, Format: ev.Recording.Format,
			Duration: time.Duration(ev.Recording.Duration)}
	case *sdk.RecordingFailed:
		return router.RecordingFailed{Name: ev.Recording.Name, Cause: ev.Recording.Cause}
	}
	return nil
}
