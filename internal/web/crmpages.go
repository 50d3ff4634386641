package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"switchboard/acd"
	"switchboard/crm"
	"switchboard/internal/account"
	"switchboard/recording"
)

// The customer and ticket pages: /customers searches the records, /customers/{id} shows one
// customer with contacts, tickets, calls and the recordings the reader may hear, /tickets
// lists and filters tickets. Changes go through the JSON API (crm.go) and its rules, from
// crm.js: a ticket's status (the workflow's next steps) and owner, to those who may change it.

// customersPage: GET /customers?q=&phone=&account=
func (s *server) customersPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	q := r.URL.Query()
	data := map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Q": q, "Title": T(langOf(r), "crm.customers.title")}
	if q.Get("q") != "" || q.Get("phone") != "" || q.Get("account") != "" {
		list, err := s.opt.CRM.SearchCustomers(r.Context(), crm.CustomerQuery{Q: q.Get("q"), Phone: q.Get("phone"), Account: q.Get("account"), Limit: 100})
		switch {
		case coreCode(err) == acd.EInvalid:
			data["Error"] = T(langOf(r), "crm.badsearch")
		case err != nil:
			s.opt.Logger.Error("customer search", "err", err)
			data["Error"] = T(langOf(r), "crm.unavailable")
		}
		data["Customers"], data["Searched"] = list, true
	}
	s.render(w, r, "customers.html", data)
}

// ticketRow is a ticket as a page shows it: the statuses it may go to, and whether the reader
// may change it.
type ticketRow struct {
	crm.Ticket
	Next      []crm.Status
	MayChange bool
}

// ticketRows adds to each ticket what u may do with it.
func ticketRows(u account.User, list []crm.Ticket) []ticketRow {
	out := make([]ticketRow, 0, len(list))
	for _, t := range list {
		row := ticketRow{Ticket: t, MayChange: u.Role != "agent" || (u.AgentID != "" && t.Owner == u.AgentID)}
		for _, to := range crm.Statuses {
			if crm.CheckTransition(t.Status, to) == nil {
				row.Next = append(row.Next, to)
			}
		}
		out = append(out, row)
	}
	return out
}

// workflow is the ticket workflow as JSON for crm.js: each status and those it may go to.
var workflow = func() string {
	m := map[crm.Status][]crm.Status{}
	for _, from := range crm.Statuses {
		for _, to := range crm.Statuses {
			if crm.CheckTransition(from, to) == nil {
				m[from] = append(m[from], to)
			}
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}()

// customerPage: GET /customers/{id}
func (s *server) customerPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	lang := langOf(r)
	data := map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Statuses": crm.Statuses, "Workflow": workflow,
		"Title": T(lang, "crm.customer.title"), "Names": s.agentNames(r.Context())}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var c *crm.Customer
	if err == nil && id > 0 {
		c, err = s.opt.CRM.Customer(r.Context(), id)
	} else {
		err = nil
	}
	if c == nil {
		code := http.StatusNotFound
		data["Error"] = T(lang, "crm.customer.notfound")
		if err != nil && !isNotFound(err) && coreCode(err) != acd.EInvalid {
			s.opt.Logger.Error("customer page", "err", err)
			code, data["Error"] = http.StatusServiceUnavailable, T(lang, "crm.unavailable")
		}
		s.renderStatus(w, r, code, "customer.html", data)
		return
	}
	data["Customer"] = c
	data["DialOn"] = s.opt.Controls != nil && sess.User.AgentID != "" // an agent calls the customer (dial.js)
	tickets, err := s.opt.CRM.Tickets(r.Context(), crm.TicketQuery{CustomerID: id, Limit: 100})
	if err == nil {
		data["Tickets"] = ticketRows(sess.User, tickets)
		var calls []crm.Interaction
		if calls, err = s.opt.CRM.LastInteractions(r.Context(), id, 20); err == nil {
			data["Calls"] = calls
		}
	}
	if err != nil {
		s.opt.Logger.Error("customer page", "customer", id, "err", err)
		data["Error"] = T(lang, "crm.unavailable")
	}
	if s.opt.Recordings != nil {
		if f, ok := recordingScope(sess.User); ok {
			f.Customer = strconv.FormatInt(id, 10)
			recs, _, err := s.opt.Recordings.SearchRecordings(r.Context(), f, 20, "")
			if err != nil {
				s.opt.Logger.Error("customer page recordings", "customer", id, "err", err)
			}
			data["Recordings"], data["RecordingsOn"] = recs, true
		}
	}
	s.render(w, r, "customer.html", data)
}

// recordingScope is the query of every recording u may hear; ok false: none.
func recordingScope(u account.User) (f recording.Query, ok bool) {
	switch u.Role {
	case "admin":
		return f, true
	case "supervisor":
		f.Queues = append([]string{}, u.Queues...)
		return f, true
	case "agent":
		f.Agent = u.AgentID
		return f, u.AgentID != ""
	}
	return f, false
}

// ticketsPage: GET /tickets?status=&customer_id=
func (s *server) ticketsPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	lang := langOf(r)
	q := r.URL.Query()
	data := map[string]any{"User": sess.User, "CSRF": sess.CSRF, "Q": q, "Statuses": crm.Statuses, "Workflow": workflow,
		"Title": T(lang, "crm.tickets.title"), "Names": s.agentNames(r.Context())}
	tq := crm.TicketQuery{Status: crm.Status(q.Get("status")), Limit: 200}
	if v := q.Get("customer_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			data["Error"] = T(lang, "crm.tickets.badcustomer")
			s.renderStatus(w, r, http.StatusBadRequest, "tickets.html", data)
			return
		}
		tq.CustomerID = id
		if c, err := s.opt.CRM.Customer(r.Context(), id); err == nil {
			data["Customer"] = c
		}
	}
	if tq.Status != "" && !tq.Status.Valid() {
		data["Error"] = T(lang, "crm.tickets.badstatus")
		s.renderStatus(w, r, http.StatusBadRequest, "tickets.html", data)
		return
	}
	list, err := s.opt.CRM.Tickets(r.Context(), tq)
	if err != nil {
		s.opt.Logger.Error("tickets page", "err", err)
		data["Error"] = T(lang, "crm.unavailable")
		s.renderStatus(w, r, http.StatusServiceUnavailable, "tickets.html", data)
		return
	}
	rows := ticketRows(sess.User, list)
	if q.Get("mine") != "" && sess.User.AgentID != "" {
		mine := rows[:0]
		for _, t := range rows {
			if t.Owner == sess.User.AgentID {
				mine = append(mine, t)
			}
		}
		rows = mine
	}
	data["Tickets"] = rows
	s.render(w, r, "tickets.html", data)
}
