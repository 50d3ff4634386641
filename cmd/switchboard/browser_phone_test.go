package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"switchboard/acd"
	"switchboard/internal/config"
	"switchboard/internal/testkit"
)

// The desktop's browser phone against real parts: Chromium with a fake microphone registers
// the agent's browser endpoint over a websocket to a SIP server written here (sipgo), whose
// media is a WebRTC peer (pion) standing in for Asterisk. The test offers calls to the
// browser: one the agent answers, holds, resumes, mutes and hangs up, with the RTP packets
// counted on both sides; one that rings out (missed); one the agent rejects; then the SIP
// server goes away and comes back, and the browser re-registers by itself. Any JavaScript
// console error fails the test. Screenshots go to $SCREENSHOT_DIR as phone-*.png.
func TestBrowserPhone(t *testing.T) {
	browser := chromiumPath()
	if browser == "" {
		t.Skip("chromium not found: install it (internal/tools/deps.sh, run by make test, does) to run the browser tests")
	}
	if !sipLibBuilt(t) {
		t.Fatal("the softphone library is not built: run make deps (internal/tools/deps.sh)")
	}
	shots := os.Getenv("SCREENSHOT_DIR")
	if shots == "" {
		shots = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wsAddr := ln.Addr().String()
	whole := t
	far := startSIPPeer(t, ln)
	_, d, _ := demoDaemon(t, func(c *config.Config) {
		c.Softphone = &config.Softphone{WSURL: "ws://" + wsAddr + "/ws", Domain: "pbx.test", Endpoint: config.DefaultSoftphoneEndpoint,
			RingTimeout: 4 * time.Second, Secret: "a test secret of some length"}
	})
	ctx := context.Background()
	base := "http://" + d.addr
	addAccounts(t, d, testAccount{name: "heidi", role: "agent", agent: "1008"})
	if err := d.router.Do(ctx, func(e *acd.Engine) error { return e.Logout("1008") }); err != nil {
		t.Fatal(err)
	}

	alloc, cancel := chromedp.NewExecAllocator(ctx, chromiumFlags(t, browser, 1366, 768,
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true), chromedp.Flag("autoplay-policy", "no-user-gesture-required"))...)
	defer cancel()
	tab, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("chromium does not start: %v", err)
	}
	var serverDown atomic.Bool // the reconnect step stops the SIP server: the browser notes its refusals
	problems := watchConsole(t, tab, func(text string) bool {
		return strings.Contains(text, "/favicon.ico") && strings.Contains(text, "404") || // no icon yet on this branch
			serverDown.Load() && strings.Contains(text, "ws://"+wsAddr) && strings.Contains(text, "ERR_CONNECTION_REFUSED")
	})

	run := func(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			shot(t, tab, shots, "phone-failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(t *testing.T, js string) string {
		t.Helper()
		step, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		v, err := chromedp.Run(step, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// browserRTP is the audio packets the browser's call has received and sent, as the
	// phone card shows them (from the peer connection's statistics, every second).
	browserRTP := func(t *testing.T) (in, out int) {
		t.Helper()
		v := strings.Fields(eval(t, `document.getElementById("sp-media").dataset.in + " " + document.getElementById("sp-media").dataset.out`))
		in, _ = strconv.Atoi(v[0])
		out, _ = strconv.Atoi(v[1])
		return in, out
	}
	step := func(name string, f func(t *testing.T)) {
		if !t.Failed() {
			t.Run(name, f)
		}
	}

	step("the agent works on this browser", func(t *testing.T) {
		run(t, "sign in", chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`input[name=username]`), "heidi"),
			chromedp.SendKeys(css(`input[name=password]`), "a long password"),
			chromedp.Click(css(`button[type=submit]`)),
			chromedp.WaitVisible(css(`#softphone`)),
			chromedp.WaitVisible(css(`#state[data-state="logged_out"]`)))
		run(t, "choose this browser", chromedp.Click(css(`input[name="sp-mode"][value="browser"]`)),
			chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		reg := far.registration()
		if reg.user != "webrtc-1008" || !reg.authorized {
			t.Fatalf("registration %+v: want webrtc-1008 with the password the router derives", reg)
		}
		if ep := eval(t, `document.getElementById("endpoint").value`); ep != "PJSIP/webrtc-1008" {
			t.Fatalf("the phone field shows %q", ep)
		}
		run(t, "log in", chromedp.Click(css(`#login`)), chromedp.WaitVisible(css(`#state[data-state="paused"]`)),
			chromedp.Click(css(`#available`)), chromedp.WaitVisible(css(`#state[data-state="available"]`)))
		if v, _ := d.router.Agent(ctx, "1008"); v.Endpoint != "PJSIP/webrtc-1008" || v.State != acd.Available {
			t.Fatalf("the router has %+v", v)
		}
		run(t, "the phone stays while logged in", chromedp.WaitVisible(css(`input[name="sp-mode"][value="desk"]:disabled`)))
		if n := eval(t, `String(document.getElementById("sp-mic").options.length)`); n == "0" {
			t.Errorf("no microphone to choose from")
		}
		shot(t, tab, shots, "phone-ready")
	})

	var call *farCall
	step("an offer rings and the agent answers", func(t *testing.T) {
		var err error
		// The desk's offered pop says the queue rings 9 s (the site's default here is 4 s): the
		// countdown starts from the queue's.
		eval(t, `String(window.dispatchEvent(new CustomEvent("sb-pop", {detail: {kind: "offered", ring_timeout_s: 9}})))`)
		call, err = far.offer(ctx, "Caller", "+4930111222")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "ringing", chromedp.WaitVisible(css(`#softphone.ringing #sp-offer`)), chromedp.WaitVisible(css(`#sp-countdown`)))
		testkit.Eventually(t, "the title blinks", func() bool { return strings.Contains(eval(t, `document.title`), "☎") })
		if n := eval(t, `document.getElementById("sp-countdown").textContent`); !strings.ContainsAny(n, "6789") {
			t.Errorf("countdown %q, want the queue's 9 s counted down", n)
		}
		testkit.Eventually(t, "the ring tone plays", func() bool {
			return eval(t, `String(!document.getElementById("sp-ring").paused && document.getElementById("sp-ring").currentTime > 0)`) == "true"
		})
		shot(t, tab, shots, "phone-ringing")
		run(t, "answer", chromedp.Click(css(`#sp-answer`)), chromedp.WaitVisible(css(`#sp-incall`)))
		if err := call.answered(ctx); err != nil {
			t.Fatal(err)
		}
		if v := eval(t, `String(document.getElementById("sp-ring").paused)`); v != "true" {
			t.Errorf("the ring tone goes on during the call")
		}
		testkit.Eventually(t, "audio from the browser reaches the far end", func() bool { return call.rx.Load() > 50 })
		testkit.Eventually(t, "audio from the far end reaches the browser", func() bool { in, _ := browserRTP(t); return in > 50 })
		in, out := browserRTP(t)
		t.Logf("answered: the far end received %d RTP packets; the browser received %d and sent %d", call.rx.Load(), in, out)
		if eval(t, `document.title`) != eval(t, `document.querySelector("title").textContent`) && strings.Contains(eval(t, `document.title`), "☎") {
			t.Errorf("the title still blinks on the call")
		}
		shot(t, tab, shots, "phone-on-call")
	})

	step("hold stops the audio both ways and resume restarts it", func(t *testing.T) {
		run(t, "hold", chromedp.Click(css(`#sp-hold`)), chromedp.WaitVisible(css(`#sp-status[data-sp="held"]`)))
		testkit.Eventually(t, "the far end sees the hold (sendonly)", func() bool { return !call.sending.Load() })
		testkit.Eventually(t, "no audio from the browser for a second", func() bool { return call.quietFor() > time.Second })
		in0, _ := browserRTP(t)
		testkit.Eventually(t, "the browser receives nothing while held", func() bool {
			in1, _ := browserRTP(t)
			if in1 != in0 {
				in0 = in1
				return false
			}
			return call.heldFor() > 2500*time.Millisecond // two updates of the card since the far end stopped
		})
		shot(t, tab, shots, "phone-held")
		t.Logf("held: nothing from the browser for %s, nothing to it for %s (browser received %d in all)", call.quietFor().Round(time.Millisecond), call.heldFor().Round(time.Millisecond), in0)
		rx, in := call.rx.Load(), in0
		run(t, "resume", chromedp.Click(css(`#sp-hold`)), chromedp.WaitVisible(css(`#sp-status[data-sp="oncall"]`)))
		testkit.Eventually(t, "the far end sees the resume", func() bool { return call.sending.Load() })
		testkit.Eventually(t, "audio from the browser again", func() bool { return call.rx.Load() > rx+50 })
		testkit.Eventually(t, "audio to the browser again", func() bool { i, _ := browserRTP(t); return i > in+50 })
		i, _ := browserRTP(t)
		t.Logf("resumed: the far end received %d more packets, the browser %d more", call.rx.Load()-rx, i-in)
	})

	step("mute", func(t *testing.T) {
		run(t, "mute", chromedp.Click(css(`#sp-mute`)), chromedp.WaitVisible(css(`#sp-mute[aria-pressed="true"]`)))
		shot(t, tab, shots, "phone-muted")
		run(t, "unmute", chromedp.Click(css(`#sp-mute`)), chromedp.WaitVisible(css(`#sp-mute[aria-pressed="false"]`)))
	})

	step("the agent hangs up: both legs end", func(t *testing.T) {
		run(t, "hang up", chromedp.Click(css(`#sp-hangup`)), chromedp.WaitNotVisible(css(`#sp-incall`)),
			chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		select {
		case <-call.ended:
		case <-time.After(testkit.Patience):
			t.Fatal("no BYE reached the far end")
		}
		testkit.Eventually(t, "the far end's peer connection closed", func() bool {
			return call.pc.ConnectionState() == webrtc.PeerConnectionStateClosed
		})
		testkit.Eventually(t, "no audio from the browser after the hang-up", func() bool { return call.quietFor() > time.Second })
		if n := eval(t, `String(document.getElementById("sp-remote").srcObject)`); n != "null" {
			t.Errorf("the remote audio still plays %s", n)
		}
	})

	step("the caller hangs up", func(t *testing.T) {
		c, err := far.offer(ctx, "", "+4930777888")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "answer", chromedp.WaitVisible(css(`#sp-answer`)), chromedp.Click(css(`#sp-answer`)))
		if err := c.answered(ctx); err != nil {
			t.Fatal(err)
		}
		if who := eval(t, `document.getElementById("sp-peer").textContent`); who != "+4930777888" {
			t.Errorf("the call shows %q", who)
		}
		testkit.Eventually(t, "audio from the browser", func() bool { return c.rx.Load() > 10 })
		if err := c.dialog.Bye(ctx); err != nil {
			t.Fatal(err)
		}
		c.end()
		run(t, "ended", chromedp.WaitNotVisible(css(`#sp-incall`)), chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		testkit.Eventually(t, "no audio from the browser after the caller's BYE", func() bool { return c.quietFor() > time.Second })
		if v := eval(t, `String(document.getElementById("sp-missed").hidden)`); v != "true" {
			t.Errorf("an answered call is shown as missed")
		}
	})

	step("an offer nobody answers is shown as missed", func(t *testing.T) {
		c, err := far.offer(ctx, "Missed Caller", "+4930333444")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "ringing", chromedp.WaitVisible(css(`#softphone.ringing`)))
		if err := c.cancel(); err != nil {
			t.Fatal(err)
		}
		run(t, "missed", chromedp.WaitVisible(css(`#sp-missed`)), chromedp.WaitNotPresent(css(`#softphone.ringing`)))
		if m := eval(t, `document.getElementById("sp-missed").textContent`); !strings.Contains(m, "Missed Caller (+4930333444)") {
			t.Errorf("missed note %q", m)
		}
		if strings.Contains(eval(t, `document.title`), "☎") {
			t.Errorf("the title still blinks after the missed offer")
		}
		shot(t, tab, shots, "phone-missed")
		run(t, "dismiss", chromedp.Click(css(`#sp-missed`)), chromedp.WaitNotVisible(css(`#sp-missed`)))
	})

	step("the agent rejects an offer", func(t *testing.T) {
		c, err := far.offer(ctx, "Rejected Caller", "+4930555666")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "reject", chromedp.WaitVisible(css(`#sp-reject`)), chromedp.Click(css(`#sp-reject`)))
		var rerr *sipgo.ErrDialogResponse
		if err := c.answered(ctx); !errors.As(err, &rerr) || rerr.Res.StatusCode != 486 {
			t.Fatalf("answer to the rejected offer: %v, want 486", err)
		}
		run(t, "cleared", chromedp.WaitNotPresent(css(`#softphone.ringing`)), chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		if v := eval(t, `String(document.getElementById("sp-missed").hidden)`); v != "true" {
			t.Errorf("a rejected offer is shown as missed")
		}
	})

	step("in a background tab an offer raises a notification", func(t *testing.T) {
		if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: base}); err != nil {
			t.Fatal(err)
		}
		// Headless Chromium keeps its only tab visible: the page is told it is hidden, and the
		// real Notification is wrapped to record what the phone shows and closes.
		eval(t, `Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
			window.shown = [];
			window.Notification = class extends Notification {
				constructor(title, opt) {
					super(title, opt);
					const n = {title, body: opt.body, closed: false};
					window.shown.push(n);
					const close = this.close.bind(this);
					this.close = () => { n.closed = true; close(); };
				}
			}; "ok"`)
		c, err := far.offer(ctx, "Background Caller", "+4930999000")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "ringing", chromedp.WaitVisible(css(`#sp-reject`)))
		if got := eval(t, `JSON.stringify(window.shown)`); got != `[{"title":"Incoming call","body":"Background Caller (+4930999000)","closed":false}]` {
			t.Errorf("notifications %s", got)
		}
		run(t, "reject", chromedp.Click(css(`#sp-reject`)), chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		c.answered(ctx)
		if got := eval(t, `JSON.stringify(window.shown.map(n => n.closed))`); got != `[true]` {
			t.Errorf("the notification stays after the offer: %s", got)
		}
		eval(t, `delete document.hidden; "ok"`)
	})

	step("the phone reconnects by itself and says so", func(t *testing.T) {
		regs := far.registrations.Load()
		serverDown.Store(true)
		far.stop()
		run(t, "lost", chromedp.WaitVisible(css(`#sp-status[data-sp="lost"]`)), chromedp.WaitVisible(css(`#sp-error`)))
		shot(t, tab, shots, "phone-reconnecting")
		ln, err := net.Listen("tcp", wsAddr)
		if err != nil {
			t.Fatal(err)
		}
		far = startSIPPeer(whole, ln) // lives on after this step
		serverDown.Store(false)
		run(t, "back", chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)), chromedp.WaitNotVisible(css(`#sp-error`)))
		if far.registrations.Load() == 0 && regs > 0 {
			t.Errorf("ready without registering again")
		}
	})

	step("in Russian", func(t *testing.T) {
		run(t, "switch", chromedp.Navigate(base+"/agent?lang=ru"), chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		c, err := far.offer(ctx, "Звонящий", "+74951234567")
		if err != nil {
			t.Fatal(err)
		}
		run(t, "ringing", chromedp.WaitVisible(css(`#sp-reject`)), chromedp.WaitVisible(css(`#sp-countdown`)))
		text := eval(t, `document.getElementById("softphone").innerText`)
		for _, want := range []string{"Телефон", "Входящий звонок", "Звонящий (+74951234567)", "Ответить", "Отклонить", "Этот браузер", "с на ответ"} {
			if !strings.Contains(text, want) {
				t.Errorf("no %q in %q", want, text)
			}
		}
		shot(t, tab, shots, "phone-ru-ringing")
		run(t, "reject", chromedp.Click(css(`#sp-reject`)), chromedp.WaitVisible(css(`#sp-status[data-sp="ready"]`)))
		c.answered(ctx)
	})

	step("without a microphone the phone says so", func(t *testing.T) {
		// Another Chromium with no fake devices: this machine has no microphone.
		alloc, cancel := chromedp.NewExecAllocator(ctx, chromiumFlags(t, browser, 1366, 768, chromedp.Flag("use-fake-ui-for-media-stream", true))...)
		defer cancel()
		bare, cancel := chromedp.NewContext(alloc)
		defer cancel()
		step, cancel := context.WithTimeout(bare, 30*time.Second)
		defer cancel()
		// Heidi is still logged in on her browser phone: the page takes it up by itself.
		if err := chromedp.Do(step, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(css(`input[name=username]`), "heidi"),
			chromedp.SendKeys(css(`input[name=password]`), "a long password"),
			chromedp.Click(css(`button[type=submit]`)),
			chromedp.WaitVisible(css(`#sp-error`))); err != nil {
			t.Fatal(err)
		}
		msg, err := chromedp.Run(step, chromedp.Text(css(`#sp-error`)))
		if err != nil || !strings.Contains(msg, "no microphone") {
			t.Errorf("error %q (%v), want the missing microphone", msg, err)
		}
		shot(t, bare, shots, "phone-no-microphone")
	})

	for _, p := range problems() {
		t.Errorf("console: %s", p)
	}
}

// sipLibBuilt says whether the binary embeds the SIP library (make deps bundles it).
func sipLibBuilt(t *testing.T) bool {
	_, err := os.Stat(filepath.Join("..", "..", "internal", "web", "jslib", "jssip.min.js"))
	return err == nil
}

// watchConsole collects the tab's console errors and exceptions but those expected says
// are; the returned function lists them.
func watchConsole(t *testing.T, tab context.Context, expected func(text string) bool) func() []string {
	var mu sync.Mutex
	var problems []string
	msgs := chromedp.Console(tab)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !expected(m.String()+" at "+m.URL) {
				mu.Lock()
				problems = append(problems, m.String()+" at "+m.URL)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
}

// sipPeer is the far end: a SIP registrar and caller over websocket, Asterisk's part for
// the browser phone, with a pion peer connection as the media of each call.
type sipPeer struct {
	t             *testing.T
	ua            *sipgo.UserAgent
	srv           *sipgo.Server
	dialogs       *sipgo.DialogUA
	ln            net.Listener
	registrations atomic.Int32

	mu   sync.Mutex
	reg  farRegistration
	call *farCall
}

// farRegistration is the browser phone's latest REGISTER.
type farRegistration struct {
	user       string
	contact    sip.Uri
	source     string // the websocket connection's address
	authorized bool
}

// farCall is one call offered to the browser.
type farCall struct {
	peer     *sipPeer
	pc       *webrtc.PeerConnection
	dialog   *sipgo.DialogClientSession
	waitCtx  context.Context
	stopRing context.CancelFunc
	sending  atomic.Bool  // the far end sends audio (the browser has not put it on hold)
	heldAt   atomic.Int64 // when it stopped sending (unix ns)
	rx       atomic.Int64 // RTP packets from the browser
	lastRx   atomic.Int64 // unix ns
	ended    chan struct{}
	endOnce  sync.Once
}

func (c *farCall) quietFor() time.Duration { return time.Since(time.Unix(0, c.lastRx.Load())) }
func (c *farCall) heldFor() time.Duration  { return time.Since(time.Unix(0, c.heldAt.Load())) }

func startSIPPeer(t *testing.T, ln net.Listener) *sipPeer {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("switchboard-test-pbx"), sipgo.WithUserAgentHostname("pbx.test"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	p2 := &sipPeer{t: t, ua: ua, srv: srv, ln: ln, dialogs: &sipgo.DialogUA{Client: cli, RewriteContact: true,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "pbx", Host: host, Port: p, UriParams: params("transport", "ws")}}}}
	srv.OnRegister(p2.onRegister)
	srv.OnInvite(p2.onReinvite)
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	srv.OnBye(p2.onBye)
	go srv.ServeWS(ln)
	t.Cleanup(p2.stop)
	return p2
}

func (p *sipPeer) stop() {
	p.ln.Close()
	p.ua.Close()
}

func (p *sipPeer) registration() farRegistration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reg
}

// onRegister accepts the browser phone once it proves the password the router derives from
// the secret (digest authentication, as Asterisk asks).
func (p *sipPeer) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	c := req.Contact()
	if c == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 400, "No Contact", nil))
		return
	}
	user := req.From().Address.User
	if !digestOK(req, user, config.SoftphonePassword("a test secret of some length", user)) {
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", `Digest realm="pbx.test", nonce="`+strconv.FormatInt(time.Now().UnixNano(), 16)+`", algorithm=MD5, qop="auth"`))
		tx.Respond(res)
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.HeaderClone(c))
	res.AppendHeader(sip.NewHeader("Expires", "120"))
	if err := tx.Respond(res); err != nil {
		p.t.Logf("register answer: %v", err)
		return
	}
	p.mu.Lock()
	p.reg = farRegistration{user: user, contact: c.Address, source: req.Source(), authorized: true}
	p.mu.Unlock()
	p.registrations.Add(1)
}

// offer sends an INVITE to the registered browser phone with the far end's SDP offer and
// starts sending audio once the call is answered.
func (p *sipPeer) offer(ctx context.Context, name, number string) (*farCall, error) {
	reg := p.registration()
	if reg.user == "" {
		return nil, errors.New("no browser phone registered")
	}
	call := &farCall{peer: p, ended: make(chan struct{})}
	if err := call.media(); err != nil {
		return nil, err
	}
	req := sip.NewRequest(sip.INVITE, reg.contact)
	req.SetTransport("WS")
	req.SetDestination(reg.source)
	req.AppendHeader(&sip.FromHeader{DisplayName: name, Address: sip.Uri{Scheme: "sip", User: number, Host: "pbx.test"},
		Params: params("tag", sip.GenerateTagN(12))})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: reg.user, Host: "pbx.test"}, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody([]byte(call.pc.LocalDescription().SDP))
	ring, stop := context.WithCancel(ctx)
	call.waitCtx, call.stopRing = ring, stop
	dlg, err := p.dialogs.WriteInvite(ring, req)
	if err != nil {
		stop()
		call.pc.Close()
		return nil, err
	}
	call.dialog = dlg
	p.mu.Lock()
	p.call = call
	p.mu.Unlock()
	return call, nil
}

// media builds the far end's peer connection: Opus (and G.711) audio, a sender of 20 ms
// frames while not held, and a counter of the browser's RTP packets.
func (c *farCall) media() error {
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return err
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	c.pc = pc
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "far")
	if err != nil {
		return err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		return err
	}
	go func() { // RTCP
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			c.rx.Add(1)
			c.lastRx.Store(time.Now().UnixNano())
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	c.sending.Store(true)
	go func() {
		silence := []byte{0xf8, 0xff, 0xfe} // an Opus frame of 20 ms silence
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-c.ended:
				return
			case <-tick.C:
				if c.sending.Load() && pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
					track.WriteSample(media.Sample{Data: silence, Duration: 20 * time.Millisecond})
				}
			}
		}
	}()
	return nil
}

// answered waits for the browser's answer and applies it (ACK, remote description).
func (c *farCall) answered(ctx context.Context) error {
	defer c.stopRing()
	if err := c.dialog.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		c.end()
		return err
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(c.dialog.InviteResponse.Body())}); err != nil {
		return fmt.Errorf("the browser's answer: %w", err)
	}
	return c.dialog.Ack(ctx)
}

// cancel gives up ringing: CANCEL, as Asterisk does when the ring timeout passes.
func (c *farCall) cancel() error {
	done := make(chan error, 1)
	go func() { done <- c.dialog.WaitAnswer(c.waitCtx, sipgo.AnswerOptions{}) }()
	c.stopRing()
	err := <-done
	c.end()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (c *farCall) end() {
	c.endOnce.Do(func() {
		close(c.ended)
		c.pc.Close()
		c.dialog.Close()
	})
}

// onReinvite answers the browser's re-INVITE (hold, resume) with the peer's new answer; the
// far end sends only while the browser's offer lets it receive.
func (p *sipPeer) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	call := p.call
	p.mu.Unlock()
	if call == nil || call.dialog == nil || req.To().Params == nil || !req.To().Params.Has("tag") {
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Here", nil))
		return
	}
	offer := string(req.Body())
	if err := call.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		p.t.Errorf("re-INVITE offer: %v", err)
		tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable Here", nil))
		return
	}
	answer, err := call.pc.CreateAnswer(nil)
	if err == nil {
		err = call.pc.SetLocalDescription(answer)
	}
	if err != nil {
		p.t.Errorf("re-INVITE answer: %v", err)
		tx.Respond(sip.NewResponseFromRequest(req, 500, "Server Error", nil))
		return
	}
	mayReceive := !strings.Contains(offer, "a=sendonly") && !strings.Contains(offer, "a=inactive")
	if !mayReceive && call.sending.Load() {
		call.heldAt.Store(time.Now().UnixNano())
	}
	call.sending.Store(mayReceive)
	res := sip.NewResponseFromRequest(req, 200, "OK", []byte(call.pc.LocalDescription().SDP))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(sip.HeaderClone(&p.dialogs.ContactHDR))
	if err := tx.Respond(res); err != nil {
		p.t.Errorf("re-INVITE: %v", err)
	}
}

func (p *sipPeer) onBye(req *sip.Request, tx sip.ServerTransaction) {
	p.mu.Lock()
	call := p.call
	p.mu.Unlock()
	if call == nil || call.dialog == nil {
		tx.Respond(sip.NewResponseFromRequest(req, 481, "Call Does Not Exist", nil))
		return
	}
	if err := call.dialog.ReadBye(req, tx); err != nil {
		p.t.Errorf("BYE: %v", err)
	}
	call.end()
}

// digestOK checks the REGISTER's digest answer (RFC 2617 MD5, qop auth) against password.
func digestOK(req *sip.Request, user, password string) bool {
	h := req.GetHeader("Authorization")
	if h == nil {
		return false
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || cred.Username != user {
		return false
	}
	want, err := digest.Digest(&digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm, QOP: []string{cred.QOP}},
		digest.Options{Method: "REGISTER", URI: cred.URI, Username: user, Password: password, Cnonce: cred.Cnonce, Count: cred.Nc})
	return err == nil && want.Response == cred.Response
}

// params is a SIP header's or URI's parameters.
func params(kv ...string) sip.HeaderParams {
	p := sip.NewParams()
	for i := 0; i+1 < len(kv); i += 2 {
		p.Add(kv[i], kv[i+1])
	}
	return p
}
