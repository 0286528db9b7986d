package chat_test

import (
	"testing"
	"time"

	"parley/server/apitest"
	"parley/server/browsertest"
)

// TestCallConnectsInBrowsers runs two headless Chromium pages, Ann's and
// Bob's, with fake camera and microphone: Ann calls, Bob answers, and
// their RTCPeerConnections exchange offer, answer and ICE candidates
// through Parley only (sendCallSignal, CALL_SIGNAL events). On loopback no
// STUN is needed. See testdata/call.cjs.
func TestCallConnectsInBrowsers(t *testing.T) {
	browsertest.Require(t)
	env := apitest.Start(t, "sqlite", apitest.Options{})
	ann, bob := env.NewUser("MEMBER", "Ann"), env.NewUser("MEMBER", "Bob")
	conv := directChat(t, ann, bob.ID)

	rep := browsertest.Run(t, "testdata/call.cjs", browsertest.Options{
		URL: env.URL, Timeout: 90 * time.Second,
		Params: map[string]string{"annToken": ann.Token, "bobToken": bob.Token, "conversation": conv},
		Args: []string{"--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
			// Loopback candidates, unobfuscated: the machine may have no other interface.
			"--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"},
	})
	type stats struct{ Bytes, Frames int64 }
	var got map[string]struct {
		State        string
		First, Later stats
	}
	rep.Decode(t, &got)
	t.Logf("inbound media: %s", rep.Result)
	for _, who := range []string{"ann", "bob"} {
		g := got[who]
		if g.State != "connected" || g.Later.Bytes <= g.First.Bytes || g.Later.Frames == 0 {
			t.Errorf("%s's side: %+v, want connected with inbound bytes growing and frames decoded", who, g)
		}
	}
	if len(rep.PageErrors) > 0 || len(rep.ConsoleErrors) > 0 {
		t.Errorf("page errors %q, console errors %q", rep.PageErrors, rep.ConsoleErrors)
	}
}
