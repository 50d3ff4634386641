package callback_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"switchboard/ivr/callback"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, cc string
		want   string
		err    error
	}{
		{"+49 30 1234567", "49", "+49301234567", nil},
		{"+49 (0)30 1234-567", "49", "+49301234567", nil},
		{"0049 30 1234567", "44", "+49301234567", nil},
		{"0049 (0)30 1234567", "44", "+49301234567", nil},
		{"030 1234567", "49", "+49301234567", nil},
		{"030/1234567", "+49", "+49301234567", nil},
		{"(030) 123.45.67", "49", "+49301234567", nil},
		{"301234567", "49", "+49301234567", nil},
		{"020 7946 0018", "44", "+442079460018", nil},
		{"  +44 20 7946 0018  ", "", "+442079460018", nil},
		{"(212) 555-0142", "1", "+12125550142", nil},
		{"1 212 555 0142", "1", "+12125550142", nil},
		{"011 44 20 7946 0018", "1", "+442079460018", nil},
		{"+683 4002", "", "+6834002", nil},
		{"", "49", "", callback.ErrEmpty},
		{"  - ( ) ", "49", "", callback.ErrEmpty},
		{"+", "49", "", callback.ErrEmpty},
		{"anonymous", "49", "", callback.ErrCharacter},
		{"+49 30 12345*67", "49", "", callback.ErrCharacter},
		{"+49+301234567", "49", "", callback.ErrCharacter},
		{"0301234567#", "49", "", callback.ErrCharacter},
		{"030 1234567 ext 12", "49", "", callback.ErrCharacter},
		{"+0 30 1234567", "49", "", callback.ErrCountryCode},
		{"000 30 1234567", "49", "", callback.ErrCountryCode},
		{"030 1234567", "", "", callback.ErrCountryCode},
		{"030 1234567", "049", "", callback.ErrCountryCode},
		{"030 1234567", "1234", "", callback.ErrCountryCode},
		{"+49 12", "49", "", callback.ErrTooShort},
		{"112", "49", "", callback.ErrTooShort},
		{"+49 301234567890123", "49", "", callback.ErrTooLong},
		{strings.Repeat("1", 100), "49", "", callback.ErrTooLong},
	}
	for _, tt := range tests {
		got, err := callback.Normalize(tt.in, tt.cc)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q, %v", tt.in, tt.cc, got, err, tt.want, tt.err)
		}
	}
}

func TestErrorsDoNotEchoTheNumber(t *testing.T) {
	for _, in := range []string{"+49 30 12345*67", "+49 301234567890123", "+0301234567"} {
		_, err := callback.Normalize(in, "49")
		if err == nil || strings.Contains(err.Error(), "1234") {
			t.Errorf("Normalize(%q) error %v: want an error without the number", in, err)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"+49301234567": "+*******4567",
		"+49 30 1234":  "+****1234",
		"1234":         "****",
		"":             "",
		"+1":           "+*",
	} {
		if got := callback.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+49 30 1234567", "0049 (0)30 1234567", "030/1234567", "(212) 555-0142", "011 44 20 7946 0018", "+0", "anonymous", ""} {
		f.Add(s, "49")
		f.Add(s, "1")
	}
	f.Fuzz(func(t *testing.T, in, cc string) {
		got, err := callback.Normalize(in, cc)
		if err != nil {
			if got != "" {
				t.Fatalf("Normalize(%q, %q) = %q with error %v", in, cc, got, err)
			}
			if utf8.ValidString(in) && len(in) >= 7 && strings.Contains(err.Error(), in) {
				t.Fatalf("error %q echoes the input", err)
			}
			return
		}
		if !callback.IsE164(got) {
			t.Fatalf("Normalize(%q, %q) = %q: not E.164", in, cc, got)
		}
		// Normalising a normalised number changes nothing, whatever the home country.
		for _, cc2 := range []string{cc, "", "1", "44"} {
			again, err := callback.Normalize(got, cc2)
			if err != nil || again != got {
				t.Fatalf("Normalize(%q, %q) = %q, %v; want it unchanged", got, cc2, again, err)
			}
		}
	})
}
