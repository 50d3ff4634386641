package crm

// SegmentRule is what a segment changes in a call's route: a priority boost added to the
// call's own priority and/or a dedicated queue that replaces the route's queue.
type SegmentRule struct {
	PriorityBoost int
	Queue         string // "" keeps the route's queue
}

// SegmentPolicy maps segments to their rules; segments without a rule route as they come.
type SegmentPolicy map[Segment]SegmentRule

// RoutePriorityMax is the highest call priority the engine takes (acd.MaxPriority).
const RoutePriorityMax = 9

// Apply returns the queue and priority a call routed to queue with priority takes when its
// caller is of segment s: the boost added (capped at RoutePriorityMax, never below 0) and the
// dedicated queue, if any, instead of queue. It is pure: the router and the IVR call it on a
// route once the caller is identified.
func (p SegmentPolicy) Apply(s Segment, queue string, priority int) (string, int) {
	r, ok := p[s]
	if !ok {
		return queue, priority
	}
	if r.Queue != "" {
		queue = r.Queue
	}
	priority = min(max(priority+r.PriorityBoost, 0), RoutePriorityMax)
	return queue, priority
}

// Best returns the segment whose rule ranks a caller highest among candidates (the highest
// boost, a dedicated queue breaking ties), so that a caller matched to several customers gets
// the best treatment any of them is entitled to; ok is false without candidates.
func (p SegmentPolicy) Best(candidates []Candidate) (s Segment, ok bool) {
	bestBoost := -1 << 31
	for _, c := range candidates {
		r := p[c.Segment]
		if !ok || r.PriorityBoost > bestBoost || (r.PriorityBoost == bestBoost && r.Queue != "" && p[s].Queue == "") {
			s, bestBoost, ok = c.Segment, r.PriorityBoost, true
		}
	}
	return s, ok
}

// Route applies the best segment among candidates (Best) to a route: what the router or the
// IVR calls once a caller is identified. Without candidates the route is unchanged.
func (p SegmentPolicy) Route(candidates []Candidate, queue string, priority int) (string, int) {
	s, ok := p.Best(candidates)
	if !ok {
		return queue, priority
	}
	return p.Apply(s, queue, priority)
}
