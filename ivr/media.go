package ivr

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

// MediaKind is what a Media item says.
type MediaKind string

// Media kinds.
const (
	MediaSound  MediaKind = "sound"  // a sound file by name, in the caller's language
	MediaDigits MediaKind = "digits" // digits said one by one
	MediaNumber MediaKind = "number" // a whole number said as a number
	MediaVar    MediaKind = "var"    // in flows only: the digits collected into a variable, said as digits
)

// Mask replaces sensitive values in every printed form.
const Mask = "[redacted]"

// Media is one item of a prompt. A Sensitive item's Value never appears in its String, GoString,
// JSON or slog forms.
type Media struct {
	Kind      MediaKind
	Value     string
	Sensitive bool
}

// Sound is a sound-file media item.
func Sound(name string) Media { return Media{Kind: MediaSound, Value: name} }

func (m Media) shown() string {
	if m.Sensitive {
		return Mask
	}
	return m.Value
}

func (m Media) String() string { return string(m.Kind) + ":" + m.shown() }

// GoString keeps %#v from printing a sensitive value.
func (m Media) GoString() string { return fmt.Sprintf("ivr.Media{%s}", m) }

// MarshalJSON writes the media with a sensitive value masked.
func (m Media) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"kind": m.Kind, "value": m.shown(), "sensitive": m.Sensitive})
}

// LogValue masks a sensitive value in slog output.
func (m Media) LogValue() slog.Value { return slog.StringValue(m.String()) }

func mediaList(ms []Media) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}
