package logx

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "took", 7247332*time.Nanosecond, "ms", 1500*time.Microsecond)
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, `"took_ms":7.247`) || !strings.Contains(got, `"ms":1.5`) {
		t.Errorf("logged %s", got)
	}
	buf.Reset()
	log, _ = New(&buf, "", "text")
	log.Info("a line")
	if !strings.Contains(buf.String(), `msg="a line"`) {
		t.Errorf("text format: %s", buf.String())
	}
	for _, bad := range [][2]string{{"loud", ""}, {"", "xml"}} {
		if _, err := New(&buf, bad[0], bad[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestRequestFields(t *testing.T) {
	r := &Request{}
	ctx := WithRequest(context.Background(), r)
	NoteOperation(ctx, "Me")
	NoteUser(ctx, "u1")
	NoteCode(ctx, "UNAUTHENTICATED")
	NoteCode(ctx, "UNAUTHENTICATED")
	NoteCode(context.Background(), "IGNORED") // no request: no effect, no panic
	if op, user, codes := r.Fields(); op != "Me" || user != "u1" || len(codes) != 1 {
		t.Errorf("fields %q %q %q", op, user, codes)
	}
}
