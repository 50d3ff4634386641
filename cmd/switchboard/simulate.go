package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"switchboard/acd/sim"
	"switchboard/internal/config"
)

func simulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "scenario file (YAML)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	plan := fs.Float64("plan", 0, "find the fewest agents (scaling every group) meeting this service-level goal on every queue, e.g. 0.8")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: switchboard simulate -f scenario.yaml [--json] [--plan 0.8]")
		return 2
	}
	sc, err := loadScenario(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *plan > 0 {
		return planStaffing(sc, *plan, *asJSON, stdout, stderr)
	}
	res, err := runSim(sc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	printResult(stdout, res)
	return 0
}

func loadScenario(path string) (sim.Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return sim.Scenario{}, err
	}
	defer f.Close()
	return config.LoadScenario(f, path)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func printResult(w io.Writer, res sim.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "queue\toffered\tanswered\tabandoned\tservice level\tASA s\tAHT s\tabandon rate\tmax wait s\t")
	for _, name := range sortedKeys(res.Queues) {
		q := res.Queues[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3f\t%.1f\t%.1f\t%.3f\t%.0f\t\n", name, q.Offered, q.Answered, q.Abandoned,
			q.ServiceLevel, q.ASA, q.AHT, q.AbandonRate, q.MaxWait)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nagents: %d, occupancy %.3f\n\n", res.Agents.Count, res.Agents.Occupancy)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "estimator\tRASE\tmean abs error s\tbias s\tsamples\t")
	for _, name := range sortedKeys(res.EWT) {
		e := res.EWT[name]
		fmt.Fprintf(tw, "%s\t%.4f\t%.1f\t%+.1f\t%d\t\n", name, e.RASE, e.MAE, e.Bias, e.Samples)
	}
	tw.Flush()
}

// planStaffing scales every agent group by the same factor and finds the smallest total
// meeting the goal on every queue, by bisection over simulated runs.
func planStaffing(sc sim.Scenario, goal float64, asJSON bool, stdout, stderr io.Writer) int {
	if goal >= 1 {
		fmt.Fprintln(stderr, "switchboard: --plan goal must be below 1")
		return 2
	}
	base := 0
	for _, g := range sc.Agents {
		base += g.Count
	}
	meets := func(total int) (bool, sim.Result, error) {
		s := sc
		s.Agents = append([]sim.AgentGroup(nil), sc.Agents...)
		left := total
		for i := range s.Agents {
			n := int(float64(sc.Agents[i].Count)*float64(total)/float64(base) + 0.5)
			if i == len(s.Agents)-1 || n > left {
				n = left
			}
			if n < 1 {
				n = 1
			}
			s.Agents[i].Count = n
			left -= n
		}
		res, err := runSim(s)
		if err != nil {
			return false, res, err
		}
		for _, q := range res.Queues {
			if q.ServiceLevel < goal {
				return false, res, nil
			}
		}
		return true, res, nil
	}
	lo, hi := 0, base
	for {
		ok, _, err := meets(hi)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if ok {
			break
		}
		lo = hi
		hi *= 2
		if hi > 100000 {
			fmt.Fprintln(stderr, errors.New("switchboard: no staffing up to 100000 agents meets the goal"))
			return 1
		}
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		ok, _, err := meets(mid)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	_, res, _ := meets(hi)
	if asJSON {
		_ = json.NewEncoder(stdout).Encode(map[string]any{"agents": hi, "goal": goal, "result": res})
		return 0
	}
	fmt.Fprintf(stdout, "%d agents meet a service level of %.0f%% on every queue:\n\n", hi, goal*100)
	printResult(stdout, res)
	return 0
}

// runSim is the one place the command runs the simulator.
func runSim(sc sim.Scenario) (sim.Result, error) { return sim.Run(sc) }
