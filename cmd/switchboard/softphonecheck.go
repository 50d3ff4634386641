package main

import (
	"fmt"
	"io"

	"switchboard/internal/config"
)

// checkAsterisk reports whether the Asterisk configuration in dir serves cfg's browser
// phones (check-config -asterisk), printing each mismatch.
func checkAsterisk(cfg *config.Config, dir string, stderr io.Writer) bool {
	errs := append(config.CheckSoftphoneAsterisk(cfg, dir), config.CheckNodesAsterisk(cfg, dir)...)
	for _, err := range errs {
		fmt.Fprintln(stderr, err)
	}
	return len(errs) == 0
}
