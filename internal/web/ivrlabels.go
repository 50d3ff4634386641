package web

import (
	"net/http"
	"strings"

	"switchboard/acd"
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

// ivrChoices writes the steps of an IVR path where the caller answered (a menu, a language,
// digits collected) with the flow's own labels in lang, as the desktop's ivrPath does: "Main
// menu: Billing → Account". Digits of a sensitive collect node never show; without the flow,
// the node ids and keys.
func ivrChoices(cfg IVR, did string, steps []acd.IVRStep, lang string) string {
	var flow map[string]ivrNodeLabel
	f := cfg.Flows[cfg.DIDs[did]]
	if f != nil {
		flow = ivrLabels(IVR{Flows: map[string]*ivr.Flow{"": f}}, lang)["flows"].(map[string]map[string]ivrNodeLabel)[""]
	}
	var parts []string
	for _, st := range steps {
		if st.Input == "" {
			continue
		}
		name, input := st.Node, st.Input
		if l, ok := flow[st.Node]; ok {
			name = l.Label
			if c, ok := l.Choices[st.Input]; ok {
				input = c
			}
		}
		if f != nil {
			if n := f.Nodes[st.Node]; n != nil && n.Kind == ivr.KindCollect && n.Sensitive {
				input = "****"
			}
		}
		parts = append(parts, name+": "+input)
	}
	return strings.Join(parts, " → ")
}
