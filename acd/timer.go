package acd

import "time"

// timer is an entry in the engine's deadline heap. Each call and each agent owns one: a
// call's fires at its offer deadline or its next expansion/overflow instant, an agent's at
// the end of its wrap-up.
type timer struct {
	at    time.Time
	index int // position in the heap, -1 when not scheduled
	call  *call
	agent *agent
}

type timerHeap []*timer

func (h timerHeap) less(i, j int) bool { return h[i].at.Before(h[j].at) }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// schedule sets t to fire at `at`, adding it or moving it.
func (h *timerHeap) schedule(t *timer, at time.Time) {
	t.at = at
	if t.index >= 0 && t.index < len(*h) && (*h)[t.index] == t {
		h.down(t.index)
		h.up(t.index)
		return
	}
	t.index = len(*h)
	*h = append(*h, t)
	h.up(t.index)
}

// cancel removes t if scheduled.
func (h *timerHeap) cancel(t *timer) {
	i := t.index
	if i < 0 || i >= len(*h) || (*h)[i] != t {
		t.index = -1
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	if i != last {
		h.down(i)
		h.up(i)
	}
	t.index = -1
}

func (h timerHeap) peek() *timer {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}
