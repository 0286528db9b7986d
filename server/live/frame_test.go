package live

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

type captured struct{ frames [][]byte }

func (c *captured) WriteText(b []byte) error {
	c.frames = append(c.frames, append([]byte(nil), b...))
	return nil
}

// A frame put together by writeData reads as encoding/json's encoding of
// gqlgen's message, whatever the id.
func TestWriteDataEncodesAsEncodingJSON(t *testing.T) {
	type message struct {
		Payload json.RawMessage `json:"payload,omitempty"`
		ID      string          `json:"id,omitempty"`
		Type    string          `json:"type"`
	}
	payload := json.RawMessage(`{"data":{"messageAdded":{"id":"ms1","text":"<b>\"hi\" \u2028</b>"}}}`)
	for _, id := range []string{"1", "", "a-b_c.9", `quote"back\slash`, "<script>", "tab\there", "ünïcode", "\u2028"} {
		for _, typ := range []string{"next", "data"} {
			var c captured
			if err := writeData(&c, typ, id, payload); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(message{Payload: payload, ID: id, Type: typ})
			var got, exp any
			if err := json.Unmarshal(c.frames[0], &got); err != nil {
				t.Fatalf("id %q: %s is not JSON: %v", id, c.frames[0], err)
			}
			_ = json.Unmarshal(want, &exp)
			if !reflect.DeepEqual(got, exp) {
				t.Fatalf("id %q: %s, want %s", id, c.frames[0], want)
			}
		}
	}
}

func FuzzWriteData(f *testing.F) {
	f.Add("1")
	f.Add(`"\`)
	f.Fuzz(func(t *testing.T, id string) {
		var c captured
		_ = writeData(&c, "next", id, json.RawMessage(`{"data":null}`))
		var m struct{ ID string }
		var want string // as encoding/json has it: invalid UTF-8 becomes U+FFFD
		q, _ := json.Marshal(id)
		_ = json.Unmarshal(q, &want)
		if err := json.Unmarshal(c.frames[0], &m); err != nil || m.ID != want {
			t.Fatalf("id %q: %s (%v)", id, c.frames[0], err)
		}
	})
}

// A result's payload reads as json.Marshal's: put together around the data
// when there is nothing else, marshalled otherwise.
func TestResponsePayloadReadsAsEncodingJSON(t *testing.T) {
	yes := true
	for _, resp := range []*graphql.Response{
		{Data: json.RawMessage(`{"messageAdded":{"id":"ms1","text":"<b>\"hi\" & \u2028</b>"}}`)},
		{Data: json.RawMessage(`null`)},
		{},
		{Data: json.RawMessage(`{"a":1}`), Errors: gqlerror.List{{Message: "no"}}},
		{Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"x": 1}},
		{Data: json.RawMessage(`{"a":1}`), HasNext: &yes, Label: "l"},
	} {
		sameJSON(t, resp)
	}
}

func FuzzResponsePayload(f *testing.F) {
	f.Add(`{"messageAdded":{"id":"ms1","text":"hi"}}`)
	f.Add(`[1,"<",null,{"\u00e9":true}]`)
	f.Fuzz(func(t *testing.T, data string) {
		var v any
		if json.Unmarshal([]byte(data), &v) != nil {
			return // gqlgen's data is JSON
		}
		compact, _ := json.Marshal(v)
		sameJSON(t, &graphql.Response{Data: compact})
	})
}

func sameJSON(t *testing.T, resp *graphql.Response) {
	t.Helper()
	got, err := responsePayload(resp)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(resp)
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s is not JSON: %v", got, err)
	}
	_ = json.Unmarshal(want, &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s, want %s", got, want)
	}
}
