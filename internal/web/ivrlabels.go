package web

import (
	"net/http"

	"switchboard/ivr"
)

// IVR is the configuration's IVR as the pages name it: which flow each DID runs, and the flows.
type IVR struct {
	DIDs  map[string]string // DID → flow name
	Flows map[string]*ivr.Flow
}

// ivrNodeLabel is one node of a flow as people read it: its label, and its choices' (a
// menu's: the label of the node a key leads to; a language node's: the language's name).
type ivrNodeLabel struct {
	Label   string            `json:"label"`
	Choices map[string]string `json:"choices,omitempty"`
}

// ivrLabels is every flow's labels in lang, for the IVR paths the pages show.
func ivrLabels(cfg IVR, lang string) map[string]any {
	flows := map[string]map[string]ivrNodeLabel{}
	for name, f := range cfg.Flows {
		nodes := map[string]ivrNodeLabel{}
		label := func(id string) string {
			if n := f.Nodes[id]; n != nil && n.LabelIn(lang) != "" {
				return n.LabelIn(lang)
			}
			return id
		}
		for id, n := range f.Nodes {
			l := ivrNodeLabel{Label: label(id)}
			switch n.Kind {
			case ivr.KindMenu:
				l.Choices = map[string]string{}
				for key, to := range n.Choices {
					l.Choices[key] = label(to)
				}
			case ivr.KindLanguage:
				l.Choices = map[string]string{}
				for key, lg := range n.Languages {
					l.Choices[key] = lg.Code
					if name, ok := langNames[lg.Code]; ok {
						l.Choices[key] = name
					}
				}
			}
			nodes[id] = l
		}
		flows[name] = nodes
	}
	dids := map[string]string{}
	for d, f := range cfg.DIDs {
		dids[d] = f
	}
	return map[string]any{"dids": dids, "flows": flows}
}

// ivrLabelsAPI: GET /api/ivr/labels, the flows' labels in the reader's language.
func (s *server) ivrLabelsAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, ivrLabels(s.opt.IVR(), langOf(r)))
}
