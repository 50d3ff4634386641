package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"switchboard/internal/config"
)

func loadConfigFile(path string) (*config.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return config.LoadConfig(f, path)
}

// checkConfig validates a configuration file and prints every problem with its line.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "switchboard.yaml", "configuration file")
	asterisk := fs.String("asterisk", "", "Asterisk's configuration folder (e.g. /etc/asterisk): check the browser phones' endpoints and TLS there")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfigFile(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if _, err := routerConfig(cfg); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *asterisk != "" && !checkAsterisk(cfg, *asterisk, stderr) {
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok (%d queues, %d agents, %d DIDs)\n", *file, len(cfg.Queues), len(cfg.Agents), len(cfg.DIDs))
	return 0
}

// serveCmd runs the router against a real Asterisk until SIGINT or SIGTERM; SIGHUP reloads
// the configuration file without dropping a call. With -ha it is one of several routers
// sharing the database, leading while it holds the lease (ha.go).
func serveCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("c", "switchboard.yaml", "configuration file")
	var ha haFlags
	fs.BoolVar(&ha.on, "ha", false, "one of several routers on one database: lead while holding the lease, else stand by")
	fs.StringVar(&ha.name, "name", "", "with -ha: this router's name, unique among the routers (default host-pid)")
	fs.DurationVar(&ha.lease, "lease", 3*time.Second, "with -ha: the leader lease's length; renewed every third of it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfigFile(*file)
	if err == nil {
		err = cfg.LoadEnv(os.Getenv)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	token := os.Getenv("SWITCHBOARD_METRICS_TOKEN")
	if token == "" {
		log.Warn("SWITCHBOARD_METRICS_TOKEN is not set: /metrics refuses every request")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Taken before start-up, so that an early SIGHUP waits instead of ending the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	s := serveSession{cfg: cfg, log: log, token: token, file: *file, hup: hup}
	if ha.on {
		return serveHA(ctx, s, ha)
	}
	d, err := startDaemon(ctx, cfg, daemonOptions{Logger: log, MetricsToken: token})
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer d.close()
	return s.loop(ctx, d, nil)
}

// serveSession is what serve runs the daemon with.
type serveSession struct {
	cfg   *config.Config
	log   *slog.Logger
	token string
	file  string
	hup   chan os.Signal
}

// loop runs until a signal ends it (0), the daemon fails (1) or the lease is lost
// (exitSteppedDown); SIGHUP reloads the configuration file.
func (s serveSession) loop(ctx context.Context, d *daemon, lost <-chan error) int {
	log := s.log
	log.Info("switchboard serving", "http", d.addr, "ari", s.cfg.ARI.URL, "node", s.cfg.Node)
	for {
		select {
		case <-ctx.Done():
			log.Info("stopping")
			return 0
		case err := <-d.runErrs:
			log.Error("stopped", "err", err)
			return 1
		case <-lost:
			return exitSteppedDown
		case <-s.hup:
			next, err := loadConfigFile(s.file)
			if err == nil {
				err = next.LoadEnv(os.Getenv)
			}
			if err == nil {
				err = d.reload(ctx, next)
			}
			if err != nil {
				log.Error("reload refused; the running configuration stays", "err", err)
				continue
			}
			log.Info("configuration reloaded", "file", s.file)
		}
	}
}
