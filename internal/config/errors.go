package config

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a configuration file, located by line (1-based).
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e Error) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Errors is every problem found in one file, in line order. It prints one error per line.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted orders errors by line, keeping the order they were found in within a line.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}

// err returns es as an error, or nil when there are none (never a typed nil).
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}
