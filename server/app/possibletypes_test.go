package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"parley/server/apitest"
)

func TestPossibleTypesAreServedFromTheSchema(t *testing.T) {
	env := apitest.Start(t, "sqlite", apitest.Options{})
	resp, err := http.Get(env.URL + "/possible-types.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var types map[string][]string
	if err := json.Unmarshal(body, &types); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if got := types["Conversation"]; !slices.Equal(got, []string{"Chat", "Session"}) {
		t.Errorf("Conversation: %v", got)
	}
	for _, want := range []string{"Attachment", "Call", "CannedResponse", "Channel", "Chat", "Customer", "Document", "Message", "Session", "User"} {
		if !slices.Contains(types["Node"], want) {
			t.Errorf("Node lacks %s: %v", want, types["Node"])
		}
	}
	if len(types) != 2 {
		t.Errorf("only the schema's interfaces (and unions): %v", types)
	}
	if r, err := http.Post(env.URL+"/possible-types.json", "application/json", nil); err != nil || r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %v %v", r.StatusCode, err)
	}
}
