package meta

import (
	"encoding/json"
	"os"
	"testing"
)

// Every official and fixture vector verifies, over the raw bytes; a body
// re-serialised (as a JSON decoder and encoder would) does not.
func TestSignatureVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/signatures.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []struct {
			ID           string `json:"id"`
			Secret       string `json:"app_secret"`
			Body         string `json:"body"`
			BodyFile     string `json:"body_file"`
			Header       string `json:"expected_header_x_hub_signature_256"`
			Wrong        string `json:"wrong_header_if_reserialized_utf8"`
			Reserialized string `json:"reserialized_utf8_body"`
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 20 {
		t.Fatalf("only %d vectors", len(file.Vectors))
	}
	for _, v := range file.Vectors {
		body := []byte(v.Body)
		if v.BodyFile != "" {
			if body, err = os.ReadFile("testdata/" + v.BodyFile); err != nil {
				t.Fatal(err)
			}
		}
		if got := Signature(v.Secret, body); got != v.Header {
			t.Errorf("%s: signature %s, want %s", v.ID, got, v.Header)
		}
		if !Valid(v.Secret, body, v.Header) {
			t.Errorf("%s: the vector does not verify", v.ID)
		}
		if Valid(v.Secret+"x", body, v.Header) || Valid(v.Secret, append(body, ' '), v.Header) || Valid("", body, v.Header) {
			t.Errorf("%s: a wrong secret or body verifies", v.ID)
		}
		if v.Reserialized != "" && (Valid(v.Secret, []byte(v.Reserialized), v.Header) || Signature(v.Secret, []byte(v.Reserialized)) != v.Wrong) {
			t.Errorf("%s: a re-serialised body verifies", v.ID)
		}
	}
	if Valid("TEST_APP_SECRET", []byte("test"), "") || Valid("TEST_APP_SECRET", []byte("test"), "sha1=44bbe8cb5111303a241fc3f303d8d997cbf0308f") {
		t.Error("a missing or SHA-1 signature verifies")
	}
}
