// Command switchboard is the Switchboard contact-center router. Its subcommands:
//
//	switchboard demo [-listen 127.0.0.1:8080] [-rate 0.2]   the product on its embedded default
//	switchboard serve -c switchboard.yaml                  the router against Asterisk
//	switchboard check-config -c switchboard.yaml           validate a configuration file
//	switchboard simulate -f scenario.yaml [--json] [--plan 0.8]
//
// simulate runs the discrete-event simulator over the routing engine and prints service
// figures and how well each wait estimator did; --plan searches the smallest staffing that
// meets a service-level goal.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: switchboard <command> [flags]

commands:
  demo           run everything on the embedded default: database, ARI emulator, traffic, HTTP
  serve          run the router against Asterisk (switchboard serve -c switchboard.yaml)
  check-config   validate a configuration file and print each error with its line
  user           create or update an account (password on standard input)
  simulate       run a traffic scenario through the engine (switchboard simulate -h)
  loadtest   drive the router over ARI against the emulator and report (switchboard loadtest -h)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "simulate":
		return simulate(args[1:], stdout, stderr)
	case "demo":
		return demoCmd(args[1:], stdout, stderr)
	case "serve":
		return serveCmd(args[1:], stdout, stderr)
	case "check-config":
		return checkConfig(args[1:], stdout, stderr)
	case "user":
		return userCmd(args[1:], os.Stdin, stdout, stderr)
	case "loadtest":
		return loadtest(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "switchboard: unknown command %q\n%s", args[0], usage)
		return 2
	}
}
