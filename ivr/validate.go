package ivr

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ValidationError is one problem of a flow, located by node (and line, when the flow came from
// a file).
type ValidationError struct {
	Node   string // "" for the flow itself
	Field  string // e.g. "choices.1", "" for the node as a whole
	Line   int
	Reason string
}

func (e *ValidationError) Error() string {
	var where []string
	if e.Node != "" {
		where = append(where, "node "+e.Node)
	}
	if e.Field != "" {
		where = append(where, e.Field)
	}
	if len(where) == 0 {
		return e.Reason
	}
	return strings.Join(where, ": ") + ": " + e.Reason
}

var (
	dtmfPattern   = regexp.MustCompile(`^[0-9*#A-D]$`)
	digitsPattern = regexp.MustCompile(`^[0-9*#]{1,64}$`)
	numberPattern = regexp.MustCompile(`^-?[0-9]{1,15}$`)
	phonePattern  = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
	soundPattern  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_/.-]{0,127}$`)
)

// Validate checks a flow as a whole and returns every problem (nil when it is sound):
//
//   - fields: what each kind needs is set, values are within the package limits;
//   - dangling references: every node named (Start, Fallback, edges) exists;
//   - unreachable nodes: every node is reachable from Start;
//   - exits: from every node a terminal node (route, transfer, hangup, or a callback offer,
//     whose accept branch ends the session) is reachable;
//   - loops without exit: the silent edges (those taken without the caller choosing a digit:
//     a prompt's end, a timeout's or a wrong entry's fallback, hours, lookup and set outcomes,
//     a callback offer to a caller without a number) form no cycle, so every cycle consumes a
//     digit the caller chose, and a caller who does nothing always reaches a terminal node.
func Validate(f *Flow) []error {
	v := &validator{f: f}
	v.check()
	return v.errs
}

type validator struct {
	f    *Flow
	errs []error
	vars map[string]bool
}

func (v *validator) errorf(n *Node, field, format string, args ...any) {
	e := &ValidationError{Field: field, Line: v.f.Line, Reason: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Node, e.Line = n.ID, n.Line
	}
	v.errs = append(v.errs, e)
}

// ordered returns the nodes by line, then id.
func (v *validator) ordered() []*Node {
	var ns []*Node
	for _, id := range sortedKeys(v.f.Nodes) {
		if n := v.f.Nodes[id]; n != nil {
			ns = append(ns, n)
		}
	}
	slices.SortStableFunc(ns, func(a, b *Node) int { return a.Line - b.Line })
	return ns
}

func (v *validator) check() {
	f := v.f
	if f == nil {
		v.errs = append(v.errs, &ValidationError{Reason: "no flow"})
		return
	}
	if len(f.Nodes) == 0 {
		v.errorf(nil, "nodes", "a flow needs at least one node")
		return
	}
	for _, id := range sortedKeys(f.Nodes) {
		if n := f.Nodes[id]; n == nil {
			v.errorf(nil, "nodes."+id, "empty node")
		} else if n.ID != id {
			v.errorf(n, "id", "node filed under %q", id)
		}
	}
	v.vars = map[string]bool{}
	for _, n := range v.ordered() {
		if n.Kind == KindCollect {
			v.vars[n.varName()] = true
		}
	}
	switch {
	case f.Start == "":
		v.errorf(nil, "start", "missing start node")
	case f.Nodes[f.Start] == nil:
		v.errorf(nil, "start", "unknown node %q", f.Start)
	}
	if f.Fallback != "" {
		if n := f.Nodes[f.Fallback]; n == nil {
			v.errorf(nil, "fallback", "unknown node %q", f.Fallback)
		} else if !n.Terminal() {
			v.errorf(nil, "fallback", "node %q is a %s node; the flow's fallback must be a route, transfer or hangup node", f.Fallback, n.Kind)
		}
	}
	for _, n := range v.ordered() {
		v.node(n)
	}
	if f.Nodes[f.Start] == nil || slices.Contains(slices.Collect(maps.Values(f.Nodes)), nil) {
		return
	}
	v.graph()
}

func (v *validator) node(n *Node) {
	need := func(field, value string) {
		if value == "" {
			v.errorf(n, field, "missing %s", field)
		}
	}
	prompt := func() {
		if len(n.Prompt) == 0 {
			v.errorf(n, "prompt", "missing prompt")
		}
	}
	v.media(n, "prompt", n.Prompt)
	v.media(n, "invalid", n.Invalid)
	v.media(n, "no_input", n.NoInput)
	v.media(n, "message", n.Message)
	v.media(n, "number_prompt", n.NumberPrompt)
	v.media(n, "number_refused", n.NumberRefused)
	input := false
	switch n.Kind {
	case KindPlay:
		prompt()
		need("next", n.Next)
	case KindMenu:
		prompt()
		input = true
		if len(n.Choices) == 0 {
			v.errorf(n, "choices", "a menu needs at least one choice")
		}
		for _, d := range sortedKeys(n.Choices) {
			if !dtmfPattern.MatchString(d) {
				v.errorf(n, "choices."+d, "%q is not a key (0-9, *, #, A-D)", d)
			}
		}
		need("fallback", n.Fallback)
	case KindCollect:
		prompt()
		input = true
		if n.MinDigits < 1 || n.MinDigits > MaxDigits {
			v.errorf(n, "min_digits", "must be between 1 and %d, got %d", MaxDigits, n.MinDigits)
		}
		if n.MaxDigits < 1 || n.MaxDigits > MaxDigits {
			v.errorf(n, "max_digits", "must be between 1 and %d, got %d", MaxDigits, n.MaxDigits)
		} else if n.MaxDigits < n.MinDigits {
			v.errorf(n, "max_digits", "%d is below min_digits %d", n.MaxDigits, n.MinDigits)
		}
		switch n.Terminator {
		case "", "#", "*", "none":
		default:
			v.errorf(n, "terminator", "want \"#\", \"*\" or \"none\", got %q", n.Terminator)
		}
		if n.InterDigit < 0 || n.InterDigit > MaxTimeout {
			v.errorf(n, "inter_digit", "must be between 0 and %s, got %s", MaxTimeout, n.InterDigit)
		}
		need("next", n.Next)
		need("fallback", n.Fallback)
	case KindLanguage:
		prompt()
		input = true
		if len(n.Languages) == 0 {
			v.errorf(n, "languages", "a language node needs at least one language")
		}
		for _, d := range sortedKeys(n.Languages) {
			l := n.Languages[d]
			switch {
			case !dtmfPattern.MatchString(d):
				v.errorf(n, "languages."+d, "%q is not a key (0-9, *, #, A-D)", d)
			case l.Code == "":
				v.errorf(n, "languages."+d, "missing language code")
			case l.Level < 0 || l.Level > 10:
				v.errorf(n, "languages."+d, "skill level must be between 1 and 10, got %d", l.Level)
			}
		}
		need("next", n.Next)
	case KindHours:
		if n.Calendar == nil {
			v.errorf(n, "hours", "missing calendar")
		}
		need("open", n.Open)
		need("closed", n.Closed)
	case KindLookup:
		switch n.By {
		case ByCaller:
		case ByVar:
			if !v.vars[n.Var] {
				v.errorf(n, "var", "no collect node fills %q", n.Var)
			}
		default:
			v.errorf(n, "by", "want %q or %q, got %q", ByCaller, ByVar, n.By)
		}
		if n.LookupTimeout < 0 || n.LookupTimeout > MaxTimeout {
			v.errorf(n, "timeout", "must be between 0 and %s, got %s", MaxTimeout, n.LookupTimeout)
		}
		need("found", n.Found)
		need("not_found", n.NotFound)
	case KindSet:
		need("next", n.Next)
		v.routing(n)
	case KindRoute:
		need("queue", n.Queue)
		v.routing(n)
	case KindCallback:
		prompt()
		input = true
		need("queue", n.Queue)
		need("decline_next", n.DeclineNode)
		v.routing(n)
		for _, k := range [][2]string{{"accept", n.accept()}, {"decline", n.decline()}} {
			if !dtmfPattern.MatchString(k[1]) {
				v.errorf(n, k[0], "%q is not a key (0-9, *, #, A-D)", k[1])
			}
		}
		if n.accept() == n.decline() {
			v.errorf(n, "decline", "same key as accept")
		}
		if n.Other != "" {
			switch {
			case !dtmfPattern.MatchString(n.Other):
				v.errorf(n, "other", "%q is not a key (0-9, *, #, A-D)", n.Other)
			case n.Other == n.accept() || n.Other == n.decline():
				v.errorf(n, "other", "same key as accept or decline")
			}
			if len(n.NumberPrompt) == 0 {
				v.errorf(n, "number_prompt", "missing number_prompt (the caller is asked for another number)")
			}
			if err := n.Numbers.Validate(); err != nil {
				v.errorf(n, "numbers", "%v", err)
			}
		}
	case KindInfo:
		need("field", n.Field)
		need("next", n.Next)
		switch n.SayAs {
		case "", MediaDigits, MediaNumber, MediaSound:
		default:
			v.errorf(n, "say_as", "want digits, number or sound, got %q", n.SayAs)
		}
	case KindTransfer:
		if !phonePattern.MatchString(n.Number) {
			v.errorf(n, "number", "%q is not a number (digits, with an optional leading +)", n.Number)
		}
	case KindHangup:
	case KindSurvey:
		prompt()
		input = true
		need("next", n.Next)
	default:
		v.errorf(n, "kind", "unknown kind %q", n.Kind)
		return
	}
	if input {
		if n.Timeout < 0 || n.Timeout > MaxTimeout {
			v.errorf(n, "timeout", "must be between 0 and %s, got %s", MaxTimeout, n.Timeout)
		}
		if n.Retries < 0 || n.Retries > MaxRetries {
			v.errorf(n, "retries", "must be between 0 and %d, got %d", MaxRetries, n.Retries)
		}
	}
	for _, e := range n.edges() {
		if v.f.Nodes[e.to] == nil {
			v.errorf(n, e.field, "unknown node %q", e.to)
		}
	}
}

func (v *validator) routing(n *Node) {
	if n.Priority != nil && (*n.Priority < 0 || *n.Priority > 9) {
		v.errorf(n, "priority", "must be between 0 and 9, got %d", *n.Priority)
	}
	for _, s := range sortedKeys(n.Skills) {
		if l := n.Skills[s]; l < 1 || l > 10 {
			v.errorf(n, "skills."+s, "level must be between 1 and 10, got %d", l)
		}
	}
}

func (v *validator) media(n *Node, field string, ms []Media) {
	for i, m := range ms {
		at := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case m.Kind == MediaSound && !soundPattern.MatchString(m.Value):
			v.errorf(n, at, "%q is not a sound name", m.Value)
		case m.Kind == MediaDigits && !digitsPattern.MatchString(m.Value):
			v.errorf(n, at, "%q is not digits", m.Value)
		case m.Kind == MediaNumber && !numberPattern.MatchString(m.Value):
			v.errorf(n, at, "%q is not a whole number", m.Value)
		case m.Kind == MediaVar && !v.vars[m.Value]:
			v.errorf(n, at, "no collect node fills %q", m.Value)
		case m.Kind != MediaSound && m.Kind != MediaDigits && m.Kind != MediaNumber && m.Kind != MediaVar:
			v.errorf(n, at, "unknown media kind %q", m.Kind)
		}
	}
}

// graph checks reachability, exits and silent loops; edges to unknown nodes (reported
// already) are left out.
func (v *validator) graph() {
	f := v.f
	edges := func(id string) []edge {
		var es []edge
		for _, e := range f.Nodes[id].edges() {
			if f.Nodes[e.to] != nil {
				es = append(es, e)
			}
		}
		return es
	}
	reach := map[string]bool{}
	stack := []string{f.Start}
	if f.Nodes[f.Fallback] != nil {
		stack = append(stack, f.Fallback)
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reach[id] {
			continue
		}
		reach[id] = true
		for _, e := range edges(id) {
			stack = append(stack, e.to)
		}
	}
	// Nodes that can end the session, and every node from which one is reachable.
	exits := map[string]bool{}
	for id, n := range f.Nodes {
		// A node with an edge to an unknown node (reported already) counts as an exit: its
		// fix decides where it leads.
		if n.Terminal() || n.Kind == KindCallback || len(edges(id)) < len(n.edges()) {
			exits[id] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for id := range f.Nodes {
			if exits[id] {
				continue
			}
			for _, e := range edges(id) {
				if exits[e.to] {
					exits[id], changed = true, true
					break
				}
			}
		}
	}
	for _, n := range v.ordered() {
		switch {
		case !reach[n.ID]:
			v.errorf(n, "", "unreachable from the start node %q", f.Start)
		case !exits[n.ID]:
			v.errorf(n, "", "loop with no exit: no route, transfer, hangup or callback node can be reached from here")
		}
	}
	// Silent cycles, by depth-first search over silent edges.
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var path []string
	reported := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		color[id] = grey
		path = append(path, id)
		for _, e := range edges(id) {
			if !e.silent {
				continue
			}
			switch color[e.to] {
			case white:
				visit(e.to)
			case grey:
				i := slices.Index(path, e.to)
				cycle := append(slices.Clone(path[i:]), e.to)
				if !reported[e.to] {
					for _, c := range cycle {
						reported[c] = true
					}
					v.errorf(f.Nodes[e.to], "", "loop with no exit for a caller who presses nothing: %s", strings.Join(cycle, " → "))
				}
			}
		}
		path = path[:len(path)-1]
		color[id] = black
	}
	for _, n := range v.ordered() {
		if color[n.ID] == white {
			visit(n.ID)
		}
	}
}
