package live

import (
	"encoding/json"
	"reflect"
	"sync"
)

// textWriter is a connection that writes a frame already encoded (coderConn).
type textWriter interface{ WriteText([]byte) error }

var rawMessage = reflect.TypeFor[json.RawMessage]()

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
