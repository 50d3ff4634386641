package ariemu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Media is one item of a playback's media list, e.g. "sound:queue-thereare".
type Media struct {
	URI    string // as given, e.g. "digits:123"
	Scheme string // sound, recording, number, digits, characters, tone
	Value  string // what follows the scheme
}

var errBadMedia = errors.New("bad media uri")

// ParseMediaList splits the media parameter of a play operation as given in
// a query string: a comma separated list; each item is scheme:value. Empty
// items are dropped; an item without a scheme is kept with an empty scheme (it
// fails when played, like in Asterisk).
func ParseMediaList(s string) ([]Media, error) {
	return parseMedia(strings.Split(s, ","))
}

// parseMedia reads the items of a media list. An item is taken whole: a
// JSON string "sound:a,sound:b" is one item, the sound "a,sound:b", which
// fails when played (traces/play-media-list.jsonl).
func parseMedia(items []string) ([]Media, error) {
	var out []Media
	for _, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		scheme, value, ok := strings.Cut(item, ":")
		if !ok {
			out = append(out, Media{URI: item, Value: item})
			continue
		}
		out = append(out, Media{URI: item, Scheme: scheme, Value: value})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty media list: %w", errBadMedia)
	}
	return out, nil
}

// soundLib resolves sound names to files and their durations.
type soundLib struct {
	dir string
	def time.Duration

	mu    sync.Mutex
	cache map[string]time.Duration // path -> duration, negative when missing
}

func newSoundLib(dir string, def time.Duration) *soundLib {
	return &soundLib{dir: dir, def: def, cache: map[string]time.Duration{}}
}

// langInstalled reports whether the folder for lang exists.
func (l *soundLib) langInstalled(lang string) bool {
	fi, err := os.Stat(filepath.Join(l.dir, lang))
	return err == nil && fi.IsDir()
}

// sound returns the duration of a sound in lang, falling back to en as
// Asterisk does. ok is false for an unknown sound.
func (l *soundLib) sound(name, lang string) (time.Duration, bool) {
	// A comma is never in a sound's name: such a name is a media list sent
	// as one JSON string, which Asterisk fails to play even without the
	// sound packages installed here.
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.Contains(name, ",") {
		return 0, false
	}
	if lang == "" {
		lang = "en"
	}
	langs := []string{lang}
	if lang != "en" {
		langs = append(langs, "en")
	}
	anyInstalled := false
	for _, lg := range langs {
		if !l.langInstalled(lg) {
			continue
		}
		anyInstalled = true
		if d, ok := l.file(filepath.Join(l.dir, lg, name+".wav")); ok {
			return d, true
		}
	}
	if !anyInstalled {
		return l.def, true
	}
	return 0, false
}

func (l *soundLib) file(path string) (time.Duration, bool) {
	l.mu.Lock()
	d, ok := l.cache[path]
	l.mu.Unlock()
	if ok {
		return d, d >= 0
	}
	d = -1
	if f, err := os.Open(path); err == nil {
		if dd, err := WAVDuration(f); err == nil {
			d = dd
		}
		_ = f.Close()
	}
	l.mu.Lock()
	l.cache[path] = d
	l.mu.Unlock()
	return d, d >= 0
}

// numberFiles are the sound files Asterisk's English say-number plays for n.
func numberFiles(n int) []string {
	if n < 0 {
		return append([]string{"digits/minus"}, numberFiles(-n)...)
	}
	if n == 0 {
		return []string{"digits/0"}
	}
	var out []string
	for _, big := range []struct {
		v    int
		name string
	}{{1000000000, "digits/billion"}, {1000000, "digits/million"}, {1000, "digits/thousand"}} {
		if n >= big.v {
			out = append(out, numberFiles(n/big.v)...)
			out = append(out, big.name)
			n %= big.v
		}
	}
	if n >= 100 {
		out = append(out, "digits/"+strconv.Itoa(n/100), "digits/hundred")
		n %= 100
	}
	if n >= 20 {
		out = append(out, "digits/"+strconv.Itoa(n/10*10))
		n %= 10
	}
	if n > 0 {
		out = append(out, "digits/"+strconv.Itoa(n))
	}
	return out
}

// digitFiles are the files Asterisk's say-digits plays for s.
func digitFiles(s string) ([]string, bool) {
	var out []string
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			out = append(out, "digits/"+string(r))
		case r == '*':
			out = append(out, "digits/star")
		case r == '#':
			out = append(out, "digits/pound")
		case r == '-':
			out = append(out, "letters/dash")
		default:
			return nil, false
		}
	}
	return out, len(out) > 0
}

// mediaDuration is how long one media item plays; ok false when it fails
// (unknown sound or recording, unsupported scheme). Call with s.mu held.
func (s *Server) mediaDuration(m Media, lang string) (time.Duration, bool) {
	var files []string
	switch m.Scheme {
	case "sound":
		return s.sounds.sound(m.Value, lang)
	case "recording":
		if !validRecordingName(m.Value) {
			return 0, false
		}
		f, err := os.Open(filepath.Join(s.opts.RecordingsDir, m.Value+".wav"))
		if err != nil {
			return 0, false
		}
		defer f.Close()
		d, err := WAVDuration(f)
		return d, err == nil
	case "number":
		n, err := strconv.Atoi(m.Value)
		if err != nil {
			return 0, false
		}
		files = numberFiles(n)
	case "digits":
		var ok bool
		if files, ok = digitFiles(m.Value); !ok {
			return 0, false
		}
	case "characters":
		for _, r := range strings.ToLower(m.Value) {
			if r >= 'a' && r <= 'z' {
				files = append(files, "letters/"+string(r))
			} else if r >= '0' && r <= '9' {
				files = append(files, "digits/"+string(r))
			}
		}
		if len(files) == 0 {
			return 0, false
		}
	default:
		// tone: fails on the traced Asterisk (no indications for the zone);
		// other schemes are unknown.
		return 0, false
	}
	var total time.Duration
	for _, f := range files {
		d, ok := s.sounds.sound(f, lang)
		if !ok {
			return 0, false
		}
		total += d
	}
	return total, true
}
