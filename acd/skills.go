package acd

import (
	"sort"
	"time"
)

// Skill levels run from 1 (some) to 10 (expert).
const (
	MinSkillLevel = 1
	MaxSkillLevel = 10
)

type skillID uint16

// skillLevel is an agent's level in one skill, or a call's minimum level.
type skillLevel struct {
	id    skillID
	level uint8
}

// skillTable interns skill names so that matching compares small integers.
type skillTable struct {
	ids   map[string]skillID
	names []string
}

func (t *skillTable) id(name string) skillID {
	if id, ok := t.ids[name]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = map[string]skillID{}
	}
	id := skillID(len(t.names))
	t.ids[name] = id
	t.names = append(t.names, name)
	return id
}

// levels turns a name → level map into a sorted slice, validating the levels.
func (t *skillTable) levels(m map[string]int) ([]skillLevel, error) {
	out := make([]skillLevel, 0, len(m))
	for name, lvl := range m {
		if name == "" {
			return nil, errorf(EInvalid, "empty skill name")
		}
		if lvl < MinSkillLevel || lvl > MaxSkillLevel {
			return nil, errorf(EInvalid, "skill %q: level %d outside %d-%d", name, lvl, MinSkillLevel, MaxSkillLevel)
		}
		out = append(out, skillLevel{id: t.id(name), level: uint8(lvl)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

func (t *skillTable) toMap(ls []skillLevel) map[string]int {
	if len(ls) == 0 {
		return nil
	}
	m := make(map[string]int, len(ls))
	for _, l := range ls {
		m[t.names[l.id]] = int(l.level)
	}
	return m
}

// mergeReq combines two requirement lists, keeping the higher minimum for a shared skill.
func mergeReq(a, b []skillLevel) []skillLevel {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]skillLevel, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].id < b[j].id):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].id < a[i].id:
			out = append(out, b[j])
			j++
		default:
			l := a[i]
			if b[j].level > l.level {
				l.level = b[j].level
			}
			out = append(out, l)
			i++
			j++
		}
	}
	return out
}

// levelOf returns the agent's level in skill id, 0 when the agent lacks it.
func levelOf(skills []skillLevel, id skillID) uint8 {
	for _, s := range skills {
		if s.id == id {
			return s.level
		}
		if s.id > id {
			return 0
		}
	}
	return 0
}

// ExpansionStep widens a queue's skill requirements once a call has waited After in the
// queue: every minimum level drops by LevelDrop (never below 1) and the Drop skills stop
// being required. Steps accumulate.
type ExpansionStep struct {
	After     time.Duration
	LevelDrop int
	Drop      []string
}

// expansion is an ExpansionStep compiled against the skill table, cumulative.
type expansion struct {
	after time.Duration
	drop  uint8
	gone  []skillID
}

// meets reports whether skills satisfy req at expansion step (0 = none applied).
func meets(skills []skillLevel, req []skillLevel, steps []expansion, step int) bool {
	var drop uint8
	var gone []skillID
	if step > 0 {
		drop = steps[step-1].drop
		gone = steps[step-1].gone
	}
next:
	for _, r := range req {
		for _, g := range gone {
			if g == r.id {
				continue next
			}
		}
		min := uint8(1)
		if r.level > drop+1 {
			min = r.level - drop
		}
		if levelOf(skills, r.id) < min {
			return false
		}
	}
	return true
}

// score sums the agent's levels in the required skills: higher is a better match.
func score(skills []skillLevel, req []skillLevel) int {
	s := 0
	for _, r := range req {
		s += int(levelOf(skills, r.id))
	}
	return s
}
