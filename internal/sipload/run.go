package sipload

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Run plays a scenario: phones listen first, callers place calls for the
// scenario's duration (or, with phones only, the phones serve for it), and
// progress is called every interval. It returns the final summary.
func Run(ctx context.Context, sc *Scenario, stats *Stats, log *slog.Logger, progress func(Summary), interval time.Duration, pacerShards int, opts ...RunOption) (Summary, error) {
	var ro runOptions
	for _, o := range opts {
		o(&ro)
	}
	start := time.Now()
	pacer := NewPacer(pacerShards)
	pacerDone := make(chan struct{})
	go pacer.Run(pacerDone)
	defer close(pacerDone)

	var phone *Phone
	phoneCtx, stopPhones := context.WithCancel(ctx)
	defer stopPhones()
	phoneDone := make(chan struct{})
	if sc.Phones != nil {
		audio, err := LoadAudio(sc.Phones.Audio)
		if err != nil {
			return Summary{}, fmt.Errorf("phones.audio: %w", err)
		}
		phone, err = NewPhone(sc.Phones, stats, pacer, audio, log)
		if err != nil {
			return Summary{}, err
		}
		if err := phone.Listen(phoneCtx); err != nil {
			return Summary{}, err
		}
		defer phone.Close()
		go func() {
			_ = phone.Run(phoneCtx)
			close(phoneDone)
		}()
	} else {
		close(phoneDone)
	}

	if interval > 0 && progress != nil {
		t := time.NewTicker(interval)
		defer t.Stop()
		done := make(chan struct{})
		defer close(done)
		go func() {
			for {
				select {
				case <-t.C:
					progress(stats.Snapshot(time.Since(start)))
				case <-done:
					return
				}
			}
		}()
	}

	if sc.Callers != nil {
		audio, err := LoadAudio(sc.Callers.Audio)
		if err != nil {
			return Summary{}, fmt.Errorf("callers.audio: %w", err)
		}
		caller, err := NewCaller(sc.Callers, stats, pacer, audio, log)
		if err != nil {
			return Summary{}, err
		}
		stopTold := make(chan struct{})
		if ro.hangup != nil {
			go func() {
				for {
					select {
					case <-ro.hangup:
						log.Info("hanging up the calls in progress on request", "calls", caller.HangupAll())
					case <-stopTold:
						return
					}
				}
			}()
		}
		caller.Run(ctx, time.Duration(sc.Duration))
		close(stopTold)
		caller.Close()
	} else {
		t := time.NewTimer(time.Duration(sc.Duration))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	stopPhones()
	<-phoneDone
	return stats.Snapshot(time.Since(start)), nil
}

// RunOption changes how Run runs.
type RunOption func(*runOptions)

type runOptions struct {
	hangup <-chan struct{}
}

// WithHangup makes every receive on c hang up the callers' calls in progress.
func WithHangup(c <-chan struct{}) RunOption { return func(o *runOptions) { o.hangup = c } }
