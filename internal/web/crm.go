package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/account"
)

// CRM is what the web side needs of the customer store (internal/store's CRM).
type CRM interface {
	SearchCustomers(ctx context.Context, q crm.CustomerQuery) ([]crm.Customer, error)
	Customer(ctx context.Context, id int64) (*crm.Customer, error)
	CreateCustomer(ctx context.Context, c crm.Customer) (*crm.Customer, error)
	UpdateCustomer(ctx context.Context, id int64, p crm.CustomerPatch) (*crm.Customer, error)
	Tickets(ctx context.Context, q crm.TicketQuery) ([]crm.Ticket, error)
	Ticket(ctx context.Context, id int64) (*crm.Ticket, error)
	CreateTicket(ctx context.Context, t crm.NewTicket) (*crm.Ticket, error)
	UpdateTicket(ctx context.Context, id int64, p crm.TicketPatch) (*crm.Ticket, error)
	LinkCall(ctx context.Context, ticketID int64, callID string) error
	// TicketOfCallCustomer: the ticket is of a customer the call is known to be from.
	TicketOfCallCustomer(ctx context.Context, ticketID int64, callID string) (bool, error)
	// LastInteractions are a customer's n latest calls, newest first (the customer page).
	LastInteractions(ctx context.Context, customerID int64, n int) ([]crm.Interaction, error)
	// CallHandledBy: the call was (or is) the agent's.
	CallHandledBy(ctx context.Context, callID, agent string) (bool, error)
}

// Who may do what: every staff role searches, reads, creates and edits customers, reads tickets
// and opens them. An agent changes only the tickets they own; links only their own calls, and
// only to a ticket of the call's customer (linking grants no right to the ticket); opens
// tickets on their own calls only, and owns what they open unless they leave it to someone
// else by name. Supervisors and admins change and link any ticket.

// crmError answers a CRM error: invalid input 422, a status change the workflow refuses 409,
// a missing row 404, anything else 503 (logged).
func (s *server) crmError(w http.ResponseWriter, err error, what string) {
	s.fail(w, err, failure{messages: map[string]string{acd.ENotFound: notFoundKey(what)}, what: "crm", attrs: []any{"what", what},
		status: http.StatusServiceUnavailable, code: CodeUnavailable, message: "desk.err.crm_unavailable"})
}

// notFoundKey is the catalogue key of "the <what> was not found".
func notFoundKey(what string) string {
	switch what {
	case "call", "customer", "ticket", "user", "token":
		return "desk.err." + what + "_not_found"
	}
	return "desk.err.not_found"
}

// ticketView is t as u may see it: only the recordings u may hear (recordingAccess), since
// their names tell call ids and dates.
func ticketView(u account.User, t *crm.Ticket) *crm.Ticket {
	if t == nil || len(t.Recordings) == 0 {
		return t
	}
	v := *t
	v.Recordings = nil
	for _, r := range t.Recordings {
		if recordingAccess(u, r) {
			v.Recordings = append(v.Recordings, r)
		}
	}
	return &v
}

// writeTicket answers with t as the session may see it.
func writeTicket(w http.ResponseWriter, r *http.Request, status int, t *crm.Ticket) {
	writeJSON(w, status, ticketView(sessionFrom(r.Context()).User, t))
}

// pathID reads the {id} of a route; on failure it has answered.
func pathID(w http.ResponseWriter, r *http.Request, what string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, CodeNotFound, notFoundKey(what))
		return 0, false
	}
	return id, true
}

// pathIDBody reads a changing request on one row: its CSRF token, the route's {id} and the
// JSON body into v; on failure it has answered.
func pathIDBody(w http.ResponseWriter, r *http.Request, what string, v any) (int64, bool) {
	if !csrfOK(w, r) {
		return 0, false
	}
	id, ok := pathID(w, r, what)
	if !ok {
		return 0, false
	}
	return id, decodeJSON(w, r, v)
}

// crmGet answers a GET of the route's {id} with what get reads.
func crmGet[T any](s *server, w http.ResponseWriter, r *http.Request, what string, get func(context.Context, int64) (T, error)) {
	id, ok := pathID(w, r, what)
	if !ok {
		return
	}
	v, err := get(r.Context(), id)
	if err != nil {
		s.crmError(w, err, what)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// queryLimit reads ?limit= (1..500, default 50); on failure it has answered.
func queryLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.limit")
		return 0, false
	}
	return n, true
}

// searchCustomers: GET /api/customers?q=&phone=&account=&limit=
func (s *server) searchCustomers(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryLimit(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	list, err := s.opt.CRM.SearchCustomers(r.Context(), crm.CustomerQuery{Q: q.Get("q"), Phone: q.Get("phone"), Account: q.Get("account"), Limit: limit})
	if err != nil {
		s.crmError(w, err, "customer")
		return
	}
	if list == nil {
		list = []crm.Customer{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": list})
}

// createCustomer: POST /api/customers {"name","segment","language","phones","accounts","notes"}
func (s *server) createCustomer(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var body struct {
		Name     string   `json:"name"`
		Segment  string   `json:"segment"`
		Language string   `json:"language"`
		Phones   []string `json:"phones"`
		Accounts []string `json:"accounts"`
		Notes    string   `json:"notes"`
	}
	if !decodeJSON(w, r, &body) {
		return
	}
	c, err := s.opt.CRM.CreateCustomer(r.Context(), crm.Customer{Name: body.Name, Segment: crm.Segment(body.Segment),
		Language: body.Language, Phones: body.Phones, Accounts: body.Accounts, Notes: body.Notes})
	if err != nil {
		s.crmError(w, err, "customer")
		return
	}
	s.opt.Logger.Info("customer created", "customer", c.ID, "user", sessionFrom(r.Context()).User.Username)
	writeJSON(w, http.StatusCreated, c)
}

// getCustomer: GET /api/customers/{id}
func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) {
	crmGet(s, w, r, "customer", s.opt.CRM.Customer)
}

// updateCustomer: PATCH /api/customers/{id} (crm.CustomerPatch's fields)
func (s *server) updateCustomer(w http.ResponseWriter, r *http.Request) {
	var p crm.CustomerPatch
	id, ok := pathIDBody(w, r, "customer", &p)
	if !ok {
		return
	}
	c, err := s.opt.CRM.UpdateCustomer(r.Context(), id, p)
	if err != nil {
		s.crmError(w, err, "customer")
		return
	}
	s.opt.Logger.Info("customer updated", "customer", id, "user", sessionFrom(r.Context()).User.Username)
	writeJSON(w, http.StatusOK, c)
}

// listTickets: GET /api/tickets?customer_id=&status=&call_id=&limit=
func (s *server) listTickets(w http.ResponseWriter, r *http.Request) {
	limit, ok := queryLimit(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	tq := crm.TicketQuery{Status: crm.Status(q.Get("status")), CallID: q.Get("call_id"), Limit: limit}
	if v := q.Get("customer_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.customer_id")
			return
		}
		tq.CustomerID = id
	}
	if tq.Status != "" && !tq.Status.Valid() {
		writeError(w, http.StatusBadRequest, CodeInvalid, "desk.err.ticket_status")
		return
	}
	list, err := s.opt.CRM.Tickets(r.Context(), tq)
	if err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	u := sessionFrom(r.Context()).User
	views := make([]*crm.Ticket, 0, len(list))
	for i := range list {
		views = append(views, ticketView(u, &list[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": views})
}

// ownCall checks that an agent links only their own calls; on refusal it has answered.
func (s *server) ownCall(w http.ResponseWriter, r *http.Request, callID string) bool {
	u := sessionFrom(r.Context()).User
	if u.Role != "agent" || callID == "" {
		return true
	}
	mine, err := s.opt.CRM.CallHandledBy(r.Context(), callID, u.AgentID)
	if err != nil {
		s.crmError(w, err, "call")
		return false
	}
	if !mine {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_your_call")
		return false
	}
	return true
}

// createTicket: POST /api/tickets {"customer_id","subject","priority","call_id","owner"}
func (s *server) createTicket(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(w, r) {
		return
	}
	var t crm.NewTicket
	if !decodeJSON(w, r, &t) {
		return
	}
	u := sessionFrom(r.Context()).User
	if u.Role == "agent" && t.Owner == "" {
		t.Owner = u.AgentID
	}
	if err := crm.CheckCallID(t.CallID, true); err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	if !s.ownCall(w, r, t.CallID) {
		return
	}
	tk, err := s.opt.CRM.CreateTicket(r.Context(), t)
	if err != nil {
		s.crmError(w, err, "customer")
		return
	}
	s.opt.Logger.Info("ticket created", "ticket", tk.ID, "customer", tk.CustomerID, "user", u.Username)
	writeTicket(w, r, http.StatusCreated, tk)
}

// getTicket: GET /api/tickets/{id}, with its calls and those of their recordings the session
// may hear.
func (s *server) getTicket(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "ticket")
	if !ok {
		return
	}
	t, err := s.opt.CRM.Ticket(r.Context(), id)
	if err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	writeTicket(w, r, http.StatusOK, t)
}

// mayChangeTicket: supervisors and admins always; an agent a ticket they own. On refusal it
// has answered.
func (s *server) mayChangeTicket(w http.ResponseWriter, r *http.Request, id int64) bool {
	u := sessionFrom(r.Context()).User
	if u.Role != "agent" {
		return true
	}
	t, err := s.opt.CRM.Ticket(r.Context(), id)
	if err != nil {
		s.crmError(w, err, "ticket")
		return false
	}
	if u.AgentID == "" || t.Owner != u.AgentID {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.not_your_ticket")
		return false
	}
	return true
}

// errNotCustomers refuses an agent's link of a call to a ticket of another customer.
var errNotCustomers = errors.New("the ticket is not of this call's customer: open a new ticket on the call instead")

// agentMayLink checks that an agent links callID only to a ticket of the call's customer; its
// error is errNotCustomers when not, a not-found error when the ticket does not exist.
// Supervisors and admins may link any.
func (s *server) agentMayLink(ctx context.Context, u account.User, ticketID int64, callID string) error {
	if u.Role != "agent" {
		return nil
	}
	ok, err := s.opt.CRM.TicketOfCallCustomer(ctx, ticketID, callID)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := s.opt.CRM.Ticket(ctx, ticketID); err != nil {
			return err
		}
		return errNotCustomers
	}
	return nil
}

// updateTicket: PATCH /api/tickets/{id} {"status","priority","owner","subject"}
func (s *server) updateTicket(w http.ResponseWriter, r *http.Request) {
	var p crm.TicketPatch
	id, ok := pathIDBody(w, r, "ticket", &p)
	if !ok {
		return
	}
	if !s.mayChangeTicket(w, r, id) {
		return
	}
	t, err := s.opt.CRM.UpdateTicket(r.Context(), id, p)
	if err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	s.opt.Logger.Info("ticket updated", "ticket", id, "status", t.Status, "user", sessionFrom(r.Context()).User.Username)
	writeTicket(w, r, http.StatusOK, t)
}

// linkTicketCall: POST /api/tickets/{id}/calls {"call_id"}; an agent links their own calls to
// tickets of the call's customer.
func (s *server) linkTicketCall(w http.ResponseWriter, r *http.Request) {
	var body struct {
		CallID string `json:"call_id"`
	}
	id, ok := pathIDBody(w, r, "ticket", &body)
	if !ok {
		return
	}
	if err := crm.CheckCallID(body.CallID, false); err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	if !s.ownCall(w, r, body.CallID) {
		return
	}
	if err := s.agentMayLink(r.Context(), sessionFrom(r.Context()).User, id, body.CallID); errors.Is(err, errNotCustomers) {
		writeError(w, http.StatusForbidden, CodeForbidden, "desk.err.ticket_other_customer")
		return
	} else if err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	if err := s.opt.CRM.LinkCall(r.Context(), id, body.CallID); err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	t, err := s.opt.CRM.Ticket(r.Context(), id)
	if err != nil {
		s.crmError(w, err, "ticket")
		return
	}
	writeTicket(w, r, http.StatusOK, t)
}
