package ariemu

import (
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"
)

func (s *Server) ariRoutes() []route {
	var out []route
	out = append(out, s.channelRoutes()...)
	out = append(out, s.snoopRoutes()...)
	out = append(out, s.bridgeRoutes()...)
	out = append(out, s.playbackRoutes()...)
	out = append(out, s.recordingRoutes()...)
	out = append(out, s.applicationRoutes()...)
	out = append(out, s.asteriskRoutes()...)
	out = append(out, s.endpointRoutes()...)
	return out
}

// ApplicationJSON is the ARI Application model.
type ApplicationJSON struct {
	Name             string   `json:"name"`
	ChannelIDs       []string `json:"channel_ids"`
	BridgeIDs        []string `json:"bridge_ids"`
	EndpointIDs      []string `json:"endpoint_ids"`
	DeviceNames      []string `json:"device_names"`
	EventsAllowed    []any    `json:"events_allowed"`
	EventsDisallowed []any    `json:"events_disallowed"`
}

// applicationJSON describes an application's subscriptions. Call with s.mu held.
func (s *Server) applicationJSON(name string) ApplicationJSON {
	a := ApplicationJSON{Name: name, ChannelIDs: []string{}, BridgeIDs: []string{}, EndpointIDs: []string{},
		DeviceNames: []string{}, EventsAllowed: []any{}, EventsDisallowed: []any{}}
	if ap := s.apps[name]; ap != nil {
		a.EventsAllowed, a.EventsDisallowed = filterJSON(ap.filter.allowed), filterJSON(ap.filter.disallowed)
	}
	var chans []*channel
	for _, ch := range s.channels {
		if ch.subs[name] {
			chans = append(chans, ch)
		}
	}
	sort.Slice(chans, func(i, j int) bool { return chans[i].created.Before(chans[j].created) })
	for _, ch := range chans {
		a.ChannelIDs = append(a.ChannelIDs, ch.id)
	}
	var brs []*bridge
	for _, b := range s.bridges {
		if b.subs[name] > 0 {
			brs = append(brs, b)
		}
	}
	sort.Slice(brs, func(i, j int) bool { return brs[i].created.After(brs[j].created) })
	for _, b := range brs {
		a.BridgeIDs = append(a.BridgeIDs, b.id)
	}
	return a
}

// knownApp: registered by a websocket (now or before) and not forgotten.
func (s *Server) knownApp(name string) bool {
	_, ok := s.apps[name]
	return ok
}

func (s *Server) applicationRoutes() []route {
	return []route{
		{"GET", "/applications", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			names := make([]string, 0, len(s.apps))
			for n := range s.apps {
				names = append(names, n)
			}
			sort.Strings(names)
			out := make([]ApplicationJSON, 0, len(names))
			for _, n := range names {
				out = append(out, s.applicationJSON(n))
			}
			return http.StatusOK, out, nil
		})},
		{"GET", "/applications/{applicationName}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			name := r.PathValue("applicationName")
			if !s.knownApp(name) {
				return 0, nil, errf(http.StatusNotFound, "Application not found")
			}
			return http.StatusOK, s.applicationJSON(name), nil
		})},
		{"PUT", "/applications/{applicationName}/eventFilter", http.HandlerFunc(s.handleEventFilter)},
	}
}

// machine is uname -m's name for the architecture.
func machine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

func (s *Server) asteriskRoutes() []route {
	return []route{
		{"GET", "/asterisk/info", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			all := map[string]any{
				"build": map[string]any{"os": "Linux", "kernel": "6.1.0", "options": "", "machine": machine(),
					"date": "2026-11-01 00:00:00 UTC", "user": "root"},
				"system": map[string]any{"version": "22.10.1", "entity_id": s.opts.AsteriskID},
				"config": map[string]any{"name": "", "default_language": "en",
					"setid": map[string]any{"user": "", "group": ""}},
				"status": map[string]any{"startup_time": stamp(s.started), "last_reload_time": stamp(s.started)},
			}
			only := p.Get("only")
			if only == "" {
				return http.StatusOK, all, nil
			}
			out := map[string]any{}
			for _, k := range strings.Split(only, ",") {
				if v, ok := all[k]; ok {
					out[k] = v
				}
			}
			return http.StatusOK, out, nil
		})},
		{"GET", "/asterisk/ping", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			return http.StatusOK, map[string]string{"asterisk_id": s.opts.AsteriskID, "ping": "pong", "timestamp": stamp(time.Now())}, nil
		})},
		{"GET", "/asterisk/variable", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			name := p.Get("variable")
			if name == "" {
				return 0, nil, errf(http.StatusBadRequest, "Variable name is required")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			return http.StatusOK, map[string]string{"value": s.globals[name]}, nil
		})},
		{"POST", "/asterisk/variable", handle(func(r *http.Request, p reqParams) (int, any, *apiError) {
			name := p.Get("variable")
			if name == "" {
				return 0, nil, errf(http.StatusBadRequest, "Variable name is required")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.globals[name] = p.Get("value")
			return http.StatusNoContent, nil, nil
		})},
	}
}

// EndpointJSON is the ARI Endpoint model.
type EndpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

// endpoints lists the inbound trunk and the configured phones. Call with s.mu held.
func (s *Server) endpoints() []EndpointJSON {
	names := []string{"PJSIP/" + s.opts.InboundEndpoint}
	for e := range s.phones {
		names = append(names, e)
	}
	sort.Strings(names[1:])
	out := make([]EndpointJSON, 0, len(names))
	for _, n := range names {
		tech, res, _ := strings.Cut(n, "/")
		e := EndpointJSON{Technology: tech, Resource: res, State: "online", ChannelIDs: []string{}}
		if p, ok := s.phones[n]; ok && p.Behaviour == PhoneUnreachable {
			e.State = "offline"
		}
		prefix := n + "-"
		for _, ch := range s.channels {
			if strings.HasPrefix(ch.name, prefix) {
				e.ChannelIDs = append(e.ChannelIDs, ch.id)
			}
		}
		sort.Strings(e.ChannelIDs)
		out = append(out, e)
	}
	return out
}

func (s *Server) endpointRoutes() []route {
	return []route{
		{"GET", "/endpoints", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			return http.StatusOK, s.endpoints(), nil
		})},
		{"GET", "/endpoints/{tech}/{resource}", handle(func(r *http.Request, _ reqParams) (int, any, *apiError) {
			s.mu.Lock()
			defer s.mu.Unlock()
			for _, e := range s.endpoints() {
				if strings.EqualFold(e.Technology, r.PathValue("tech")) && e.Resource == r.PathValue("resource") {
					return http.StatusOK, e, nil
				}
			}
			return 0, nil, errf(http.StatusNotFound, "Endpoint not found")
		})},
	}
}
