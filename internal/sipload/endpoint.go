package sipload

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// endpoint is one SIP UDP socket with its sipgo user agent, server (for
// requests from the far end) and client (for ours), all on the same port.
type endpoint struct {
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	dua     *sipgo.DialogUA
	conn    net.PacketConn
	addr    netip.AddrPort
	contact sip.ContactHeader
}

// countingHandler counts the SIP messages sipgo's transport could not parse
// (garbage, oversized or truncated datagrams, wrong Content-Length) and
// passes other records to the next handler. sipgo drops such messages and
// logs "failed to parse"; this makes them a counter instead of a log flood.
type countingHandler struct {
	next  slog.Handler
	stats *Stats
}

func (h countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "failed to parse" || r.Message == "Server tx failed to handle request" {
		h.stats.Malformed.Add(1)
		return nil
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h countingHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return countingHandler{next: h.next.WithAttrs(a), stats: h.stats}
}

func (h countingHandler) WithGroup(n string) slog.Handler {
	return countingHandler{next: h.next.WithGroup(n), stats: h.stats}
}

// newEndpoint listens on listen (UDP host:port, port 0 for any) and serves
// requests with the handlers set by register before it starts serving.
func newEndpoint(listen string, stats *Stats, log *slog.Logger, register func(*endpoint)) (*endpoint, error) {
	conn, err := net.ListenPacket("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen sip %s: %w", listen, err)
	}
	if uc, ok := conn.(*net.UDPConn); ok {
		// Bursts of hundreds of calls a second overflow the default buffer
		// (about 200 KiB) while the reader parses; the kernel caps this at
		// net.core.rmem_max.
		_ = uc.SetReadBuffer(4 << 20)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	slog := slog.New(countingHandler{next: log.Handler(), stats: stats})
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("sbload"),
		sipgo.WithUserAgentHostname(addr.Addr().String()),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(slog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(slog),
			// Responses with no transaction left: mostly 2xx retransmissions
			// from a far end that is slow to see our ACK, or late duplicates.
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) { stats.Stray.Add(1) })),
	)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(slog))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("sip server: %w", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(slog),
		sipgo.WithClientHostname(addr.Addr().String()), sipgo.WithClientPort(int(addr.Port())),
		sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, fmt.Errorf("sip client: %w", err)
	}
	ep := &endpoint{ua: ua, srv: srv, cli: cli, conn: conn, addr: addr}
	ep.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "sbload", Host: addr.Addr().String(), Port: int(addr.Port())}}
	ep.dua = &sipgo.DialogUA{Client: cli, ContactHDR: ep.contact}
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	register(ep)
	go func() { _ = srv.ServeUDP(conn) }()
	// Requests go out from this socket only once the transport holds it;
	// sending before that makes sipgo bind a second socket to the same port.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if c, err := ua.TransportLayer().GetConnection("udp", addr.String()); err == nil && c != nil {
			c.TryClose()
			break
		}
		if time.Now().After(deadline) {
			ep.close()
			return nil, fmt.Errorf("sip transport did not start on %s", addr)
		}
	}
	return ep, nil
}

func (ep *endpoint) close() {
	ep.conn.Close()
	ep.ua.Close()
}
