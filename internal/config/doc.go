// Package config loads Switchboard's YAML files into the types of the packages they configure:
// simulation scenarios (LoadScenario) and the daemon's switchboard.yaml (LoadConfig; every key
// is documented in deploy/switchboard.example.yaml). Every problem in a file is reported, each
// with its line, as "file:line: reason"; unknown keys and wrong value types are errors, and
// references between entries (queues, agents, DIDs, hours) are checked once the whole file is
// read, so forward references are allowed.
//
// Secrets never come from a file: the ARI credentials and DATABASE_URL are read from the
// environment by (*Config).LoadEnv, and keys that would hold them are rejected with a message
// saying where they belong. deploy_test.go keeps deploy/asterisk in step with the example.
package config
