package calls

import (
	"testing"
	"time"
)

func TestParseICE(t *testing.T) {
	ice, err := ParseICE(" stun:s.example.com:3478 ,turn:t.example.com:3478?transport=udp,", "secret", "")
	if err != nil || len(ice.URLs) != 2 || ice.TTL != DefaultTURNTTL {
		t.Fatalf("%+v %v", ice, err)
	}
	for _, bad := range [][2]string{{"http://x", ""}, {"stun:", ""}, {"turn:x", "5s"}, {"turn:x", "soon"}} {
		if _, err := ParseICE(bad[0], "", bad[1]); err == nil {
			t.Errorf("ParseICE(%q, ttl %q) accepted", bad[0], bad[1])
		}
	}
	// Without a secret TURN goes without credentials; no URLs, no servers.
	if s := (ICE{URLs: []string{"turn:x"}}).servers("us1", time.Now()); len(s) != 1 || s[0].Username != nil {
		t.Fatalf("%+v", s)
	}
	if s := (ICE{}).servers("us1", time.Now()); s == nil || len(s) != 0 {
		t.Fatalf("%+v", s)
	}
}

func TestTURNCredential(t *testing.T) {
	// As coturn computes it (openssl dgst -sha1 -hmac north -binary | base64).
	user, cred := TURNCredential("north", "us1", time.Unix(1700000000, 0))
	if user != "1700000000:us1" || cred != "rDF028h6yQy5CRNP8pQlI/6yLlM=" {
		t.Fatalf("%s %s", user, cred)
	}
}
