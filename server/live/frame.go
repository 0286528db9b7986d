package live

import (
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// textWriter is a connection that writes a frame already encoded (wsConn).
type textWriter interface{ WriteText([]byte) error }

// framePool holds the buffers frames are put together in: a socket writes
// a frame before Write returns, so the buffer serves the next one.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeData writes a "next" (or legacy "data") message whose payload gqlgen
// has already encoded, as encoding/json would, without encoding the payload
// again: for a shared response (server/fanout) that is most of the cost of
// a delivery left.
func writeData(w textWriter, typ, id string, payload []byte) error {
	bp := framePool.Get().(*[]byte)
	b := append((*bp)[:0], `{"payload":`...)
	b = append(b, payload...)
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, id)
	}
	b = append(b, `,"type":"`...)
	b = append(b, typ...)
	b = append(b, `"}`...)
	err := w.WriteText(b)
	if cap(b) <= 64<<10 {
		*bp = b
		framePool.Put(bp)
	}
	return err
}

// responsePayload is a result's payload as encoding/json would write it
// (but for its HTML escapes, which JSON readers undo): a result with data
// and nothing else, which every delivery of a shared subscription is, is
// put together around the data gqlgen encoded (valid, compact JSON), which
// json.Marshal would scan and copy again for each subscriber.
func responsePayload(resp *graphql.Response) ([]byte, error) {
	if len(resp.Errors) > 0 || resp.Label != "" || resp.Path != nil || resp.HasNext != nil || len(resp.Extensions) > 0 ||
		len(resp.Data) == 0 {
		return json.Marshal(resp)
	}
	b := make([]byte, 0, len(resp.Data)+len(`{"data":}`))
	b = append(b, `{"data":`...)
	b = append(b, resp.Data...)
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string: ids are short and plain, so
// only the others go through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
