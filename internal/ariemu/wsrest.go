package ariemu

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// REST over the event websocket (Asterisk 22.4 and later), as traces/rest-over-websocket.jsonl
// shows it: the application sends {"type":"RESTRequest","request_id","transaction_id","method",
// "uri"} with uri relative to /ari and no leading slash, the query in the uri or in
// query_strings, a body in message_body (a string) with its content_type. Each is answered on
// the same websocket with a RESTResponse carrying status_code, reason_phrase, the uri without
// its query and, when there is a body, content_type and message_body (a JSON string). Requests
// of one websocket run one after the other; the events a request causes are sent before its
// answer.

// restRequest is a RESTRequest message.
type restRequest struct {
	Type          string `json:"type"`
	TransactionID string `json:"transaction_id"`
	RequestID     string `json:"request_id"`
	Method        string `json:"method"`
	URI           string `json:"uri"`
	ContentType   string `json:"content_type"`
	MessageBody   string `json:"message_body"`
	QueryStrings  []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"query_strings"`
}

// restResponse is a RESTResponse message, fields in Asterisk's order.
type restResponse struct {
	Type          string `json:"type"`
	TransactionID string `json:"transaction_id"`
	RequestID     string `json:"request_id"`
	StatusCode    int    `json:"status_code"`
	ReasonPhrase  string `json:"reason_phrase"`
	URI           string `json:"uri"`
	ContentType   string `json:"content_type,omitempty"`
	MessageBody   string `json:"message_body,omitempty"`
	Application   string `json:"application"`
	Timestamp     string `json:"timestamp"`
	AsteriskID    string `json:"asterisk_id"`
}

// wsRequest carries out one message the application sent on its websocket and queues the
// answer on c. Messages that are not JSON are ignored, as Asterisk logs and drops them.
func (s *Server) wsRequest(ctx context.Context, c *wsConn, appName string, msg []byte) {
	var req restRequest
	if err := json.Unmarshal(msg, &req); err != nil {
		s.log.Warn("websocket message is not json", "err", err)
		return
	}
	resp := restResponse{Type: "RESTResponse", TransactionID: req.TransactionID, RequestID: req.RequestID,
		Application: appName, AsteriskID: s.opts.AsteriskID}
	bad := func(status int, reason, message string) {
		resp.StatusCode, resp.ReasonPhrase = status, reason
		resp.ContentType = "application/json"
		b, _ := json.Marshal(errorBody{Message: message})
		resp.MessageBody = string(b)
	}
	path, query, _ := strings.Cut(req.URI, "?")
	switch {
	case req.Type != "RESTRequest":
		bad(http.StatusBadRequest, "Bad request", "Unknown request type.")
	case strings.HasPrefix(req.URI, "/"):
		resp.URI = path
		bad(http.StatusMethodNotAllowed, "Method Not Allowed", "Invalid method")
	case req.MessageBody != "" && req.ContentType == "":
		resp.URI = path
		bad(http.StatusBadRequest, "Bad request", "No 'content_type' for 'message_body'.")
	default:
		resp.URI = path
		s.serveWSRequest(ctx, req, path, query, &resp)
	}
	resp.Timestamp = stamp(time.Now())
	b, err := json.Marshal(resp)
	if err != nil {
		s.log.Error("marshal RESTResponse", "err", err)
		return
	}
	c.enqueue(b)
}

// serveWSRequest runs a RESTRequest through the ARI routes.
func (s *Server) serveWSRequest(ctx context.Context, req restRequest, path, query string, resp *restResponse) {
	q := query
	for _, qs := range req.QueryStrings {
		if q != "" {
			q += "&"
		}
		q += url.QueryEscape(qs.Name) + "=" + url.QueryEscape(qs.Value)
	}
	var body []byte
	switch {
	case req.MessageBody == "":
	case strings.HasPrefix(req.ContentType, "application/x-www-form-urlencoded"):
		// A form body is more parameters, like the query string.
		if q != "" {
			q += "&"
		}
		q += req.MessageBody
	default:
		body = []byte(req.MessageBody)
	}
	u := "/ari/" + path
	if q != "" {
		u += "?" + q
	}
	hr, err := http.NewRequestWithContext(context.WithValue(ctx, wsRequestKey{}, true), req.Method, u, bytes.NewReader(body))
	if err != nil {
		resp.StatusCode, resp.ReasonPhrase = http.StatusBadRequest, "Bad request"
		return
	}
	if s.opts.Username != "" {
		hr.SetBasicAuth(s.opts.Username, s.opts.Password) // the websocket was authenticated
	}
	w := &bufferedResponse{header: http.Header{}}
	s.mux.ServeHTTP(w, hr)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	resp.StatusCode, resp.ReasonPhrase = w.status, http.StatusText(w.status)
	if w.body.Len() > 0 {
		resp.ContentType = w.header.Get("Content-Type")
		resp.MessageBody = w.body.String()
	}
}

// bufferedResponse keeps an answer in memory.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
