package app

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
)

// PossibleTypesPath serves, for Apollo Client's possibleTypes (and other
// normalised caches), which object types implement each interface and
// make up each union.
const PossibleTypesPath = "/possible-types.json"

// possibleTypes is {"Conversation": ["Chat", "Session"], "Node": [...]},
// from the executable schema, each list sorted.
func possibleTypes(s *ast.Schema) []byte {
	out := map[string][]string{}
	for name, def := range s.Types {
		if def.BuiltIn || (def.Kind != ast.Interface && def.Kind != ast.Union) {
			continue
		}
		names := []string{}
		for _, t := range s.GetPossibleTypes(def) {
			names = append(names, t.Name)
		}
		slices.Sort(names)
		out[name] = names
	}
	b, _ := json.Marshal(out) // a map of string lists always encodes
	return b
}

// possibleTypesHandler serves the document built once at start.
func possibleTypesHandler(s *ast.Schema) http.HandlerFunc {
	body := possibleTypes(s)
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	}
}
