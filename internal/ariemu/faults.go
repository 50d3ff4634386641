package ariemu

// DropConnections closes every event websocket as a network fault would, leaving calls,
// bridges and the HTTP server up. Clients see the socket close and must reconnect; events
// meanwhile are not queued for them, as with Asterisk.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	return len(conns)
}

// Partition cuts the router off: every event websocket is dropped and new ones are refused
// (503) until Heal. REST keeps working, as when only the websocket's path is broken.
func (s *Server) Partition() {
	s.partitioned.Store(true)
	s.DropConnections()
}

// Heal ends a Partition.
func (s *Server) Heal() { s.partitioned.Store(false) }
