package transcribe

import (
	"testing"

	"parley/server/apperr"
)

func TestCheckLength(t *testing.T) {
	for _, s := range []float64{0, 3.5, 299.9, 300} {
		if err := CheckLength(s, true); err != nil {
			t.Errorf("%v s: %v", s, err)
		}
	}
	err := CheckLength(300.01, true)
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.LimitExceeded || e.Extensions["limit"] != "transcriptionSeconds" || e.Extensions["max"] != int64(300) {
		t.Fatalf("300.01 s: %#v", err)
	}
	if err := CheckLength(0, false); Reason(err) != UnknownLengthReason || Temporary(err) {
		t.Fatalf("unknown: %v", err)
	}
}
