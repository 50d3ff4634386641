// Package config loads Switchboard's YAML files (simulation scenarios, and later switchboard.yaml)
// into the types of the packages they configure. Every problem in a file is reported, each with
// its line, as "file:line: reason"; unknown keys and wrong value types are errors.
package config
