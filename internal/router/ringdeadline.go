package router

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// errOriginateLate is why an offer whose originate Asterisk had not answered by the ring
// deadline was withdrawn.
var errOriginateLate = errors.New("originate not answered by the ring deadline")

// withdrawUnrung withdraws the offers due by now whose originate Asterisk has not answered
// yet: their phone may never have rung, so the engine's ring timeout, which would pause the
// agent "no answer", must not fire for them. As for a failed originate, the caller keeps its
// place and offers pause a while (Asterisk is slow); the agent leg is hung up after its
// originate, in case Asterisk makes it after all.
func (r *Router) withdrawUnrung() {
	now := r.clock.Now()
	var due []*call
	for _, c := range r.calls {
		if c.offer.offerChan != "" && !c.offer.rung && !c.offer.deadline.After(now) {
			due = append(due, c)
		}
	}
	slices.SortFunc(due, func(a, b *call) int { return strings.Compare(a.id, b.id) })
	for _, c := range due {
		ch := c.offer.offerChan
		r.u.lnk.originateFailed(c, ch, c.offer.offerAgent, errOriginateLate)
		c.offers.do(func(ctx context.Context) { _ = ignoreGone(r.tel.Hangup(ctx, ch, "normal")) })
	}
}
