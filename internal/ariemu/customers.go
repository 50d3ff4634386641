package ariemu

import (
	"net/http"
	"strings"
)

// Customers are the far ends of outbound calls to phone numbers: the callbacks the router
// dials through a trunk. SetCustomer gives a number a behaviour; an originate whose endpoint
// dials a configured number ("PJSIP/+4930123456@trunk", "PJSIP/trunk/sip:+4930123456@host",
// "PJSIP/+4930123456") plays it, and its record has kind customer and the dialed number, so
// tests count the calls each customer received. On the wire nothing differs from an agent
// phone: Asterisk reports an outbound originate the same way whatever the endpoint is.

// KindCustomer is the record kind of an originate to a configured customer number.
const KindCustomer = "customer"

// SetCustomer configures how the callee at number behaves when it is dialed.
func (s *Server) SetCustomer(number string, p Phone) {
	if p.Behaviour == "" {
		p.Behaviour = PhoneAnswer
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.customers == nil {
		s.customers = map[string]Phone{}
	}
	s.customers[number] = p
}

// DialedNumber is the number an endpoint's resource dials: the user part of
// "+4930123@trunk", of "trunk/sip:+4930123@host", or the resource itself.
func DialedNumber(resource string) string {
	if i := strings.LastIndex(resource, "/"); i >= 0 {
		resource = resource[i+1:]
	}
	resource = strings.TrimPrefix(strings.TrimPrefix(resource, "sip:"), "tel:")
	if i := strings.IndexByte(resource, '@'); i >= 0 {
		resource = resource[:i]
	}
	return resource
}

// customerFor returns the customer the resource dials, if one is configured. Call with s.mu held.
func (s *Server) customerFor(resource string) (string, Phone, bool) {
	n := DialedNumber(resource)
	p, ok := s.customers[n]
	return n, p, ok
}

// CustomerCalls returns the records of the calls made to number, oldest first.
func (s *Server) CustomerCalls(number string) []CallRecord {
	var out []CallRecord
	for _, r := range s.Calls() {
		if r.Kind == KindCustomer && r.Number == number {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) customerRoute() route {
	return route{"PUT", "/control/customers/{number}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := DecodePhoneRequest(r.Body)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetCustomer(r.PathValue("number"), p)
		noContent(w)
	})}
}
