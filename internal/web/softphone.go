package web

import (
	"bytes"
	"embed"
	"encoding/binary"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// jslib holds the softphone's SIP library when internal/tools/deps.sh has bundled it; the
// committed README keeps the embed valid before that.
//
//go:embed jslib
var jslib embed.FS

const sipLibFile = "jslib/jssip.min.js"

// Softphone is where the desktop's browser phone registers (the softphone: section).
type Softphone struct {
	WSURL       string                      // Asterisk's SIP websocket, wss://host:8089/ws
	Domain      string                      // SIP domain of the phones' addresses
	Endpoint    func(agentID string) string // the agent's browser endpoint, e.g. PJSIP/webrtc-1001
	Password    func(endpointName string) string
	RingTimeout time.Duration
	ICEServers  []string
}

// SoftphoneJSON is what GET /api/agent/softphone answers: everything the browser needs to
// register as the agent's browser phone.
type SoftphoneJSON struct {
	Enabled      bool     `json:"enabled"` // false: no softphone: section, desk phones only
	WSURL        string   `json:"ws_url,omitempty"`
	URI          string   `json:"uri,omitempty"`
	AuthUser     string   `json:"auth_user,omitempty"`
	Password     string   `json:"password,omitempty"`
	Endpoint     string   `json:"endpoint,omitempty"`
	RingTimeoutS float64  `json:"ring_timeout_s,omitempty"`
	ICEServers   []string `json:"ice_servers,omitempty"`
}

// apiSoftphone answers the agent's browser phone settings, its SIP password included: only
// to the agent's own signed-in session (never an API token), never cached. Without a
// softphone: section it answers enabled false, so that the page asks without an error.
func (s *server) apiSoftphone(w http.ResponseWriter, r *http.Request) {
	id, ok := myAgent(w, r)
	if !ok {
		return
	}
	sp := s.opt.Softphone
	w.Header().Set("Cache-Control", "no-store")
	if sp == nil {
		writeJSON(w, http.StatusOK, SoftphoneJSON{})
		return
	}
	ep := sp.Endpoint(id)
	name := strings.TrimPrefix(ep, "PJSIP/")
	writeJSON(w, http.StatusOK, SoftphoneJSON{Enabled: true, WSURL: sp.WSURL, URI: "sip:" + name + "@" + sp.Domain, AuthUser: name,
		Password: sp.Password(name), Endpoint: ep, RingTimeoutS: sp.RingTimeout.Seconds(), ICEServers: sp.ICEServers})
}

// serveSIPLib serves the bundled SIP library, or 503 when the build did not bundle it.
func serveSIPLib(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(jslib, sipLibFile)
	if err != nil {
		http.Error(w, "softphone library not built (run make deps)", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	http.ServeContent(w, r, "jssip.js", time.Time{}, bytes.NewReader(b))
}

var ringWAV = sync.OnceValue(func() []byte { return RingTone(8000) })

func serveRingTone(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "max-age=86400")
	http.ServeContent(w, r, "ring.wav", time.Time{}, bytes.NewReader(ringWAV()))
}

// RingTone is the desktop's ring tone as a WAV file (16-bit mono PCM at rate): one cycle
// of a European-style double ring, 425 Hz and 480 Hz mixed, 0.4 s on, 0.2 s off, 0.4 s
// on, 2 s off, with soft edges so that it does not click when the page loops it.
func RingTone(rate int) []byte {
	const cycle, attack = 3.0, 0.01
	n := int(cycle * float64(rate))
	pcm := make([]int16, n)
	on := [][2]float64{{0, 0.4}, {0.6, 1.0}}
	for i := range pcm {
		t := float64(i) / float64(rate)
		for _, b := range on {
			if t < b[0] || t >= b[1] {
				continue
			}
			env := math.Min(1, math.Min(t-b[0], b[1]-t)/attack)
			v := 0.5*math.Sin(2*math.Pi*425*t) + 0.5*math.Sin(2*math.Pi*480*t)
			pcm[i] = int16(v * env * 0.6 * math.MaxInt16)
		}
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, le, struct {
		Size                    uint32
		Format, Channels        uint16
		Rate, ByteRate          uint32
		BlockAlign, BitsPerSamp uint16
	}{16, 1, 1, uint32(rate), uint32(2 * rate), 2, 16})
	b.WriteString("data")
	binary.Write(&b, le, uint32(2*n))
	binary.Write(&b, le, pcm)
	return b.Bytes()
}

// softphoneConnectSrc is what the pages' Content-Security-Policy adds to connect-src for
// the softphone's websocket: its origin, "" without a softphone.
func (s *server) softphoneConnectSrc() string {
	if s.opt.Softphone == nil {
		return ""
	}
	u, err := url.Parse(s.opt.Softphone.WSURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
