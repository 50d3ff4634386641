package router

import "time"

// Event is what Asterisk reported about the application, decoded by the adapter into the
// router's own terms: the router never sees the ARI client's types.
type Event interface{ routerEvent() }

// StasisStart: a channel entered the application with Args (e.g. inbound,<did>).
type StasisStart struct {
	Channel string
	Number  string // the caller number, if any
	Args    []string
	Created time.Time // the channel's creation time on Asterisk's clock; zero if not told
}

// StasisEnd: a channel left the application (it may still be up).
type StasisEnd struct{ Channel string }

// ChannelDestroyed: a channel hung up, with its Q.850 cause (0: none given).
type ChannelDestroyed struct {
	Channel string
	Cause   int
}

// PlaybackFinished: a playback ended; Channel is the channel it played to ("" if another
// kind of target).
type PlaybackFinished struct {
	ID      string
	Channel string
}

// DTMF: a channel sent a key ("0".."9", "*", "#", "A".."D").
type DTMF struct {
	Channel string
	Digit   string
}

// RecordingStarted, RecordingFinished and RecordingFailed report a live recording's life.
type RecordingStarted struct {
	Name   string
	Format string
}

type RecordingFinished struct {
	Name     string
	Format   string
	Duration time.Duration // Asterisk's, whole seconds
}

type RecordingFailed struct {
	Name  string
	Cause string
}

func (StasisStart) routerEvent()       {}
func (StasisEnd) routerEvent()         {}
func (ChannelDestroyed) routerEvent()  {}
func (PlaybackFinished) routerEvent()  {}
func (DTMF) routerEvent()              {}
func (RecordingStarted) routerEvent()  {}
func (RecordingFinished) routerEvent() {}
func (RecordingFailed) routerEvent()   {}

// EventTypes are the ARI events the router acts on; the adapter may skip the others.
func EventTypes() []string {
	return []string{"StasisStart", "StasisEnd", "ChannelDestroyed", "PlaybackFinished", "ChannelDtmfReceived",
		"RecordingStarted", "RecordingFinished", "RecordingFailed"}
}
