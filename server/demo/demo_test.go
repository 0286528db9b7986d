package demo_test

import (
	"testing"

	"parley/server/apitest"
)

// The demo is seeded through the real services and shows in the API.
func TestDemoSeed(t *testing.T) {
	apitest.Run(t, func(t *testing.T, env *apitest.Env) {
		for i := 0; i < 2; i++ { // a second run adds nothing
			if _, err := env.App.SeedDemo(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		alex := env.Login("alex@demo.parley", "parley-demo")
		var out struct {
			Chats    struct{ TotalCount int }
			Sessions struct{ TotalCount int }
			Channels []struct{ Kind string }
			Badges   struct{ Total int }
		}
		alex.MustDo(`{ chats { totalCount } sessions { totalCount } channels { kind } badges { total } }`, nil, &out)
		if out.Chats.TotalCount != 2 || out.Sessions.TotalCount != 4 || len(out.Channels) != 5 || out.Badges.Total == 0 {
			t.Fatalf("demo as Alex: %+v", out)
		}
	})
}
