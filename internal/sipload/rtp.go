package sipload

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// MediaStats are the RTP counters shared by every stream of a run.
type MediaStats struct {
	Sent     atomic.Int64 // RTP packets sent (audio and telephone-event)
	Received atomic.Int64 // RTP packets received
	Lost     atomic.Int64 // received-side loss from sequence gaps, added at stream end
	DTMFSent atomic.Int64 // digits sent as RFC 4733 events
	DTMFRecv atomic.Int64 // digits received (distinct events with the E bit)
	Errors   atomic.Int64 // send errors and undecodable packets

	// Interarrival jitter of received audio (RFC 3550 6.4.1), in RTP units
	// (1/8000 s), taken at each stream's end: the largest, and the sum over
	// JitterStreams streams for the mean.
	JitterMax     atomic.Int64
	JitterSum     atomic.Int64
	JitterStreams atomic.Int64
}

// addJitter records one stream's final jitter estimate.
func (m *MediaStats) addJitter(j int64) {
	m.JitterSum.Add(j)
	m.JitterStreams.Add(1)
	for {
		old := m.JitterMax.Load()
		if j <= old || m.JitterMax.CompareAndSwap(old, j) {
			return
		}
	}
}

// StreamMode says what a stream sends.
type StreamMode int

// Stream modes.
const (
	ModePlay StreamMode = iota // send the Audio source
	ModeEcho                   // send back what is received
)

// Stream is one call's RTP session on its own UDP socket. Sending is driven
// by a Pacer tick every 20 ms and uses one preallocated packet buffer.
type Stream struct {
	conn  *net.UDPConn
	stats *MediaStats
	mode  StreamMode

	mu        sync.Mutex // guards everything below; taken by the pacer tick and by setters
	remote    netip.AddrPort
	pt        uint8
	eventPT   int
	hdr       rtp.Header
	clock     uint32 // RTP timestamp of the next 20 ms of media
	clockBase uint32 // RTP timestamp at Start
	buf       [12 + samplesPerPacket]byte
	audio     []byte
	pos       int
	start     time.Time
	presses   []dtmfPress
	tone      *dtmfTone
	toneBuf   dtmfTone
	toneEnd   time.Duration // when the current press (tone and gap) is over
	active    bool

	recvDone chan struct{}
}

// ListenStream opens an RTP socket on ip with an ephemeral even port.
func ListenStream(ip netip.Addr, stats *MediaStats) (*Stream, error) {
	var conn *net.UDPConn
	var err error
	for range 20 {
		conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, err
		}
		if conn.LocalAddr().(*net.UDPAddr).Port%2 == 0 {
			break
		}
		conn.Close()
		conn = nil
	}
	if conn == nil {
		return nil, errors.New("rtp: no even port found")
	}
	s := &Stream{conn: conn, stats: stats, eventPT: -1, recvDone: make(chan struct{})}
	s.hdr = rtp.Header{Version: 2, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32())}
	s.clock = rand.Uint32()
	return s, nil
}

// LocalAddr is the stream's RTP address for the SDP.
func (s *Stream) LocalAddr() netip.AddrPort {
	return s.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Configure sets the far end and codec (again on a re-INVITE) and the media to send.
func (s *Stream) Configure(remote netip.AddrPort, pt uint8, eventPT int, mode StreamMode, audio *Audio) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remote, s.pt, s.eventPT, s.mode = remote, pt, eventPT, mode
	if audio != nil {
		s.audio = audio.payload(pt)
	}
}

// ScheduleDTMF queues the script, timed from Start.
func (s *Stream) ScheduleDTMF(steps []DTMFStep) {
	s.mu.Lock()
	s.presses = append(s.presses, expandDTMF(steps)...)
	s.mu.Unlock()
}

// Start begins receiving and marks the start of media for the DTMF script.
func (s *Stream) Start(now time.Time) {
	s.mu.Lock()
	s.start, s.active, s.clockBase = now, true, s.clock
	s.mu.Unlock()
	go s.receive()
}

// Close stops the stream and adds its loss to the stats.
func (s *Stream) Close() {
	s.mu.Lock()
	s.active = false
	s.mu.Unlock()
	s.conn.Close()
	if s.start.IsZero() {
		return
	}
	<-s.recvDone
}

// tick sends at most one packet: the current DTMF event packet, or audio.
// It allocates nothing.
func (s *Stream) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active || !s.remote.IsValid() {
		return
	}
	elapsed := now.Sub(s.start)
	if s.tone == nil && len(s.presses) > 0 && elapsed >= s.presses[0].at && elapsed >= s.toneEnd {
		if s.eventPT >= 0 {
			s.toneBuf = newDTMFTone(s.presses[0].event, s.clock, DTMFToneLength)
			s.tone = &s.toneBuf
			s.stats.DTMFSent.Add(1)
		}
		s.toneEnd = elapsed + DTMFToneLength + DTMFGap
		s.presses = s.presses[1:]
	}
	var n int
	s.hdr.Marker = false
	// The media clock runs whether or not a packet goes out, and follows
	// wall time: when a pacer tick came late or was skipped, the timestamp
	// jumps to the sampling instant (the sequence number does not).
	clock := s.clock
	if due := s.clockBase + uint32(elapsed/(20*time.Millisecond))*samplesPerPacket; int32(due-clock) > 0 {
		clock = due
	}
	s.clock = clock + samplesPerPacket
	if s.tone != nil {
		marker, done := s.tone.next(s.buf[12:16])
		if done {
			s.tone = nil
		} else {
			s.hdr.Marker, s.hdr.PayloadType, s.hdr.Timestamp = marker, uint8(s.eventPT), s.tone.ts
			n = 16
		}
	}
	if n == 0 {
		if s.mode == ModeEcho || len(s.audio) == 0 {
			return
		}
		if s.pos+samplesPerPacket > len(s.audio) {
			s.pos = 0
		}
		copy(s.buf[12:], s.audio[s.pos:s.pos+samplesPerPacket])
		s.pos += samplesPerPacket
		s.hdr.PayloadType, s.hdr.Timestamp = s.pt, clock
		n = 12 + samplesPerPacket
	}
	if _, err := s.hdr.MarshalTo(s.buf[:12]); err != nil {
		s.stats.Errors.Add(1)
		return
	}
	s.hdr.SequenceNumber++
	if _, err := s.conn.WriteToUDPAddrPort(s.buf[:n], s.remote); err != nil {
		s.stats.Errors.Add(1)
		return
	}
	s.stats.Sent.Add(1)
}

// receive counts packets, loss and received DTMF, echoing in ModeEcho.
func (s *Stream) receive() {
	defer close(s.recvDone)
	buf := make([]byte, 1500)
	out := make([]byte, 1500)
	var h rtp.Header
	var received int64
	var base, maxSeq uint32
	var cycles uint32
	first := true
	var lastEndTS uint32
	haveEnd := false
	// RFC 3550 A.8: jitter in timestamp units, kept scaled by 16.
	var jitter, lastTransit int64
	haveTransit := false
	epoch := time.Now()
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		arrival := int64(time.Since(epoch) * 8000 / time.Second)
		hl, err := h.Unmarshal(buf[:n])
		if err != nil || h.Version != 2 {
			s.stats.Errors.Add(1)
			continue
		}
		received++
		s.stats.Received.Add(1)
		seq := uint32(h.SequenceNumber)
		if first {
			base, maxSeq, first = seq, seq, false
		} else if d := uint16(seq - maxSeq); d < 0x8000 {
			if seq < maxSeq&0xFFFF {
				cycles += 1 << 16
			}
			maxSeq = seq
		}
		s.mu.Lock()
		eventPT, mode, remote := s.eventPT, s.mode, s.remote
		s.mu.Unlock()
		if int(h.PayloadType) != eventPT { // events repeat one timestamp: not for jitter
			transit := arrival - int64(h.Timestamp)
			if haveTransit {
				d := transit - lastTransit
				if d < 0 {
					d = -d
				}
				if d < 8000*60 { // a timestamp jump (new source) is not jitter
					jitter += d - (jitter+8)>>4
				}
			}
			lastTransit, haveTransit = transit, true
		}
		if int(h.PayloadType) == eventPT && n-hl >= 4 && buf[hl+1]&0x80 != 0 {
			if !haveEnd || h.Timestamp != lastEndTS {
				s.stats.DTMFRecv.Add(1)
				lastEndTS, haveEnd = h.Timestamp, true
			}
		}
		if mode == ModeEcho {
			if !remote.IsValid() {
				remote = from
			}
			s.mu.Lock()
			eh := s.hdr
			eh.PayloadType, eh.Marker = h.PayloadType, h.Marker
			eh.Timestamp = h.Timestamp
			s.hdr.SequenceNumber++
			s.mu.Unlock()
			if m, err := eh.MarshalTo(out); err == nil {
				m += copy(out[m:], buf[hl:n])
				if _, err := s.conn.WriteToUDPAddrPort(out[:m], remote); err == nil {
					s.stats.Sent.Add(1)
				}
			}
		}
	}
	if haveTransit {
		s.stats.addJitter(jitter >> 4)
	}
	if !first {
		expected := int64(cycles+maxSeq-base) + 1
		if lost := expected - received; lost > 0 {
			s.stats.Lost.Add(lost)
		}
	}
}

// Pacer drives every stream's tick every 20 ms from a few goroutines instead
// of one timer per call.
type Pacer struct {
	shards []*pacerShard
	next   atomic.Uint32
}

type pacerShard struct {
	mu      sync.Mutex
	streams map[*Stream]struct{}
	list    []*Stream
}

// NewPacer returns a pacer with n shards; Run drives them.
func NewPacer(n int) *Pacer {
	if n < 1 {
		n = 1
	}
	p := &Pacer{}
	for range n {
		p.shards = append(p.shards, &pacerShard{streams: map[*Stream]struct{}{}})
	}
	return p
}

func (p *Pacer) shard(s *Stream) *pacerShard {
	return p.shards[uint32(s.hdr.SSRC)%uint32(len(p.shards))]
}

// Add starts pacing s.
func (p *Pacer) Add(s *Stream) {
	sh := p.shard(s)
	sh.mu.Lock()
	sh.streams[s] = struct{}{}
	sh.mu.Unlock()
}

// Remove stops pacing s.
func (p *Pacer) Remove(s *Stream) {
	sh := p.shard(s)
	sh.mu.Lock()
	delete(sh.streams, s)
	sh.mu.Unlock()
}

// Run ticks every shard until done is closed.
func (p *Pacer) Run(done <-chan struct{}) {
	var wg sync.WaitGroup
	for _, sh := range p.shards {
		wg.Go(func() { sh.run(done) })
	}
	wg.Wait()
}

func (sh *pacerShard) run(done <-chan struct{}) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			sh.mu.Lock()
			sh.list = sh.list[:0]
			for s := range sh.streams {
				sh.list = append(sh.list, s)
			}
			sh.mu.Unlock()
			for _, s := range sh.list {
				s.tick(now)
			}
		}
	}
}
