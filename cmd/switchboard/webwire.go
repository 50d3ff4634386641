package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"switchboard/internal/account"
	"switchboard/internal/config"
	"switchboard/internal/router"
	"switchboard/internal/screenpop"
	"switchboard/internal/store"
	"switchboard/internal/web"
)

// The store is what the web side keeps its accounts, callbacks, recordings, reports and
// customer records in.
var (
	_ web.Users      = (*store.Store)(nil)
	_ web.Accounts   = (*store.Store)(nil)
	_ web.Reports    = (*store.Store)(nil)
	_ web.Recordings = (*store.Store)(nil)
	_ web.Callbacks  = (*store.Store)(nil)
	_ web.CRM        = (*store.CRM)(nil)
	_ web.Pops       = screenpop.Feed{}
	_ web.Desk       = webDesk{}
	_ web.Profiles   = (*store.Store)(nil)
)

// webOptions wires the web side to the running daemon: its health checks, the store, the
// router, the screen pop and the http: section of cfg.
func (d *daemon) webOptions(cfg *config.Config, metricsToken string) web.Options {
	return web.Options{
		Checks: []web.Check{
			{Name: "ari", OK: d.ariConnected},
			{Name: "reconciled", OK: d.reconciled},
			{Name: "store", OK: d.journal.Healthy},
		},
		Metrics:          promhttp.HandlerFor(d.metrics, promhttp.HandlerOpts{}),
		MetricsToken:     metricsToken,
		Users:            d.store,
		Live:             d.live,
		Recordings:       d.store,
		CRM:              d.crm,
		Callbacks:        d.store,
		Accounts:         d.store,
		KPIs:             ticketKPIs(d.crm, d.crmLive.Load),
		Reports:          d.store,
		RecordCall:       d.recordOnDemand,
		Secure:           d.router,
		Pops:             screenpop.Feed{Hub: d.pops},
		Desk:             webDesk{d.desk},
		Desktop:          deskRouter{d.router, d.store, cfg.DeskLogin == config.DeskLoginAvailable},
		Controls:         router.ControlsOf(d.router),
		Monitoring:       d.monitoring(),
		ShowMonitored:    cfg.ShowMonitored,
		AgentDay:         d.store.AgentDay,
		CallbacksPending: d.callbacks.Pending,
		Callers:          d.callers,
		Profiles:         d.store,
		IVR:              ivrOf(cfg),
		TimeZone:         cfg.TimeZone,
		Logger:           d.log,
		Limits:           webLimits(cfg.HTTP),
		PublicURL:        cfg.HTTP.PublicURL,
		TrustedProxies:   cfg.HTTP.TrustedProxies,
		Softphone:        webSoftphone(cfg.Softphone),
	}
}

// ivrOf is the IVR of cfg as the pages name it (the labels of IVR paths): the flows, and the
// flow of each DID.
func ivrOf(cfg *config.Config) func() web.IVR {
	v := web.IVR{DIDs: map[string]string{}, Flows: cfg.Flows}
	for _, d := range cfg.DIDs {
		if d.Flow != "" {
			v.DIDs[d.Number] = d.Flow
		}
	}
	return func() web.IVR { return v }
}

// webSoftphone is the desktop's browser phone as the softphone: section describes it; nil
// without the section.
func webSoftphone(sp *config.Softphone) *web.Softphone {
	if sp == nil {
		return nil
	}
	secret := sp.Secret
	return &web.Softphone{WSURL: sp.WSURL, Domain: sp.Domain, Endpoint: sp.AgentEndpoint, RingTimeout: sp.RingTimeout, ICEServers: sp.ICEServers,
		Password: func(name string) string { return config.SoftphonePassword(secret, name) }}
}

// monitoring is the supervisors' monitoring on the router, audited in the store: the web
// side audits each start and change of mode, the router each session's end with how long
// it lasted.
func (d *daemon) monitoring() web.Monitoring {
	k := router.ControlsOf(d.router)
	k.OnMonitorEnded(func(ctx context.Context, e router.MonitorEnded) {
		entry := account.AuditEntry{At: e.Ended, Actor: e.Supervisor, Action: "monitor.end", Object: e.Agent,
			Detail: fmt.Sprintf("%s %s %s %s", e.ID, e.Call, e.Mode, e.Ended.Sub(e.Started).Round(time.Second))}
		if err := d.store.Audit(ctx, entry); err != nil {
			d.log.Error("audit", "action", entry.Action, "object", entry.Object, "err", err)
		}
	})
	return monitoring{k, d.store}
}

type monitoring struct {
	*router.Controls
	account.Auditor
}

// reconciled: the router has matched its calls with Asterisk's at least once.
func (d *daemon) reconciled() bool { return d.router.Reconciliations() > 0 }

// live is the wallboard's picture: the router's latest statistics.
func (d *daemon) live() web.Live {
	s := d.router.Snapshot()
	live := web.Live{At: s.At, Queues: s.Queues, Agents: s.Agents}
	for _, n := range s.Nodes {
		live.Nodes = append(live.Nodes, web.NodeStatus{Name: n.Name, Ready: n.Ready, Calls: &n.Calls, Agents: &n.Agents})
	}
	return live
}

// recordOnDemand starts recording an agent's call when its queue's policy allows it.
func (d *daemon) recordOnDemand(ctx context.Context, agent, call string) error {
	return d.router.RecordOnDemand(ctx, call, agent, func(queue string) bool { return (*d.policies.Load())[queue].OnRequest() })
}

// webLimits takes the web server's limits from the configuration's http: section.
func webLimits(h config.HTTP) web.Limits {
	return web.Limits{ReadHeaderTimeout: h.ReadHeaderTimeout, ReadTimeout: h.ReadTimeout, WriteTimeout: h.WriteTimeout,
		IdleTimeout: h.IdleTimeout, StreamWriteTimeout: h.StreamWriteTimeout,
		StreamsPerSession: h.StreamsPerSession, StreamsPerUser: h.StreamsPerUser}
}

// webDesk is the screen-pop desk as the web side's.
type webDesk struct{ desk *screenpop.Desk }

func (d webDesk) Codes() []string { return d.desk.Codes() }

func (d webDesk) Wrapup(ctx context.Context, agent, callID string, w web.Wrapup) error {
	return d.desk.Wrapup(ctx, agent, callID, screenpop.Wrapup(w))
}

func (d webDesk) ScheduleCallback(ctx context.Context, agent, callID, number string, at time.Time) (web.ScheduledCallback, error) {
	s, err := d.desk.ScheduleCallback(ctx, agent, callID, number, at)
	return web.ScheduledCallback(s), err
}
