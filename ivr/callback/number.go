package callback

import (
	"errors"
	"fmt"
	"strings"
)

// Number errors: Normalize and Policy.Check wrap exactly one of these.
var (
	ErrEmpty       = errors.New("no number")
	ErrCharacter   = errors.New("number has a character that is not a digit")
	ErrTooShort    = errors.New("number is too short")
	ErrTooLong     = errors.New("number is too long (E.164 allows 15 digits)")
	ErrCountryCode = errors.New("number has no valid country code")
)

// Lengths of an E.164 number in digits, country code included.
const (
	MinDigits = 7
	MaxDigits = 15
)

// maxInput bounds the input Normalize looks at; longer input is ErrTooLong
// whatever it holds.
const maxInput = 64

// Normalize returns number in E.164 form ("+" and digits). defaultCountry is
// the home country calling code ("49", "+44", "1") used for national numbers;
// it may be empty when only international input is expected. See the package
// documentation for the rules.
func Normalize(number, defaultCountry string) (string, error) {
	if len(number) > maxInput {
		return "", fmt.Errorf("callback: normalize: %w", ErrTooLong)
	}
	cc := strings.TrimPrefix(strings.TrimSpace(defaultCountry), "+")
	if cc != "" && !validCountry(cc) {
		return "", fmt.Errorf("callback: normalize: home country %q: %w", cc, ErrCountryCode)
	}
	s := strings.TrimSpace(number)
	intl := false
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		intl, s = true, rest
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == '\t':
			// "(0)" right after an international country code is the trunk prefix written out.
			if c == '(' && strings.HasPrefix(s[i:], "(0)") && (intl || strings.HasPrefix(b.String(), "00")) && b.Len() > 0 {
				i += 2
			}
		default:
			return "", fmt.Errorf("callback: normalize: %w", ErrCharacter)
		}
	}
	d := b.String()
	if d == "" {
		return "", fmt.Errorf("callback: normalize: %w", ErrEmpty)
	}
	switch {
	case intl:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case cc == "1" && strings.HasPrefix(d, "011"):
		d = d[3:]
	case cc == "":
		return "", fmt.Errorf("callback: normalize: national number without a home country: %w", ErrCountryCode)
	case cc == "1" && len(d) == 11 && d[0] == '1':
		// trunk 1 before a ten-digit number
	case cc == "1":
		d = "1" + d
	case d[0] == '0':
		d = cc + d[1:]
	default:
		d = cc + d
	}
	if d == "" || d[0] == '0' {
		return "", fmt.Errorf("callback: normalize: %w", ErrCountryCode)
	}
	if len(d) < MinDigits {
		return "", fmt.Errorf("callback: normalize: %w", ErrTooShort)
	}
	if len(d) > MaxDigits {
		return "", fmt.Errorf("callback: normalize: %w", ErrTooLong)
	}
	return "+" + d, nil
}

// validCountry reports whether cc looks like a country calling code: 1 to 3
// digits, not starting with 0.
func validCountry(cc string) bool {
	if len(cc) == 0 || len(cc) > 3 || cc[0] == '0' {
		return false
	}
	for i := 0; i < len(cc); i++ {
		if cc[i] < '0' || cc[i] > '9' {
			return false
		}
	}
	return true
}

// IsE164 reports whether s is a normalised number: "+", a digit other than
// 0, and MinDigits to MaxDigits digits in all.
func IsE164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	if !ok || len(d) < MinDigits || len(d) > MaxDigits || d[0] == '0' {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// Mask hides all but the last four digits of a number, for logs:
// "+4930123456" becomes "+******3456". Characters other than digits and a
// leading "+" are dropped; a number of four digits or fewer is all stars.
func Mask(number string) string {
	var b strings.Builder
	if strings.HasPrefix(number, "+") {
		b.WriteByte('+')
	}
	n := 0
	for i := 0; i < len(number); i++ {
		if number[i] >= '0' && number[i] <= '9' {
			n++
		}
	}
	seen := 0
	for i := 0; i < len(number); i++ {
		c := number[i]
		if c < '0' || c > '9' {
			continue
		}
		seen++
		if n > 4 && seen > n-4 {
			b.WriteByte(c)
		} else {
			b.WriteByte('*')
		}
	}
	return b.String()
}
