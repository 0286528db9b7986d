package calls

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/ent/schema/pulid"
)

// ICE is where RTCPeerConnections find each other: STUN and TURN URLs
// (PARLEY_ICE_SERVERS) and, for TURN, coturn's shared secret
// (PARLEY_TURN_SECRET, coturn's static-auth-secret) from which each
// participant gets a credential valid for TTL (PARLEY_TURN_TTL).
type ICE struct {
	URLs   []string
	Secret string
	TTL    time.Duration
}

// DefaultTURNTTL is how long a TURN credential lasts unless configured.
const DefaultTURNTTL = time.Hour

// IceServer is one RTCIceServer.
type IceServer struct {
	URLs                 []string
	Username, Credential *string
}

// ParseICE reads PARLEY_ICE_SERVERS (comma-separated stun:, turn: and
// turns: URLs), PARLEY_TURN_SECRET and PARLEY_TURN_TTL (a Go duration).
func ParseICE(servers, secret, ttl string) (ICE, error) {
	ice := ICE{Secret: secret, TTL: DefaultTURNTTL}
	for _, u := range strings.Split(servers, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		scheme, rest, _ := strings.Cut(u, ":")
		if (scheme != "stun" && scheme != "turn" && scheme != "turns") || rest == "" || len(u) > 512 {
			return ice, fmt.Errorf("PARLEY_ICE_SERVERS: every entry is a stun:, turn: or turns: URL such as turn:turn.example.com:3478?transport=udp")
		}
		ice.URLs = append(ice.URLs, u)
	}
	if ttl != "" {
		d, err := time.ParseDuration(ttl)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			return ice, fmt.Errorf("PARLEY_TURN_TTL must be a duration from 1m to 168h, such as 1h")
		}
		ice.TTL = d
	}
	return ice, nil
}

// servers lists the ICE servers for one user at now: the STUN URLs as one
// server, the TURN URLs as another with a credential coturn's REST API
// scheme accepts (username "<unix expiry>:<user id>", credential
// base64(HMAC-SHA1(secret, username))).
func (ice ICE) servers(userID pulid.ID, now time.Time) []IceServer {
	var stun, turn []string
	for _, u := range ice.URLs {
		if strings.HasPrefix(u, "stun:") {
			stun = append(stun, u)
		} else {
			turn = append(turn, u)
		}
	}
	out := []IceServer{}
	if len(stun) > 0 {
		out = append(out, IceServer{URLs: stun})
	}
	if len(turn) > 0 {
		s := IceServer{URLs: turn}
		if ice.Secret != "" {
			user, cred := TURNCredential(ice.Secret, userID, now.Add(ice.TTL))
			s.Username, s.Credential = &user, &cred
		}
		out = append(out, s)
	}
	return out
}

// TURNCredential is the username and password coturn (use-auth-secret)
// accepts until expires.
func TURNCredential(secret string, userID pulid.ID, expires time.Time) (username, credential string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + string(userID)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
