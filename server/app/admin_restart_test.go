package app_test

import (
	"testing"

	"parley/server/apitest"
	"parley/server/app"
)

// The bootstrap admin (PARLEY_ADMIN_EMAIL, PARLEY_ADMIN_PASSWORD) is made
// only on a first start. Their password changed with changePassword
// survives restarts, whatever PARLEY_ADMIN_PASSWORD then says.
func TestTheBootstrapAdminsPasswordIsNotResetOnRestart(t *testing.T) {
	t.Parallel()
	for _, backend := range apitest.Backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			dbURL := apitest.DatabaseURL(t, backend)
			first := apitest.Start(t, backend, apitest.Options{DatabaseURL: dbURL,
				AdminEmail: "boss@parley.test", AdminPassword: "first-password"})
			first.Admin.MustDo(`mutation { changePassword(currentPassword:"first-password", newPassword:"changed-password") }`, nil, nil)
			first.Stop()

			// Restarts configured with the old password, or a new one: the
			// admin logs in (Start) with the changed one, and not with it.
			const login = `mutation($e:String!,$p:String!){ login(email:$e, password:$p){ token } }`
			for _, configured := range []string{"first-password", "another-password"} {
				again := apitest.Start(t, backend, apitest.Options{DatabaseURL: dbURL,
					AdminEmail: "boss@parley.test", AdminPassword: "changed-password",
					Configure: func(c *app.Config) { c.AdminPassword = configured }})
				again.Anonymous().MustFail("UNAUTHENTICATED", login, Vars{"e": "boss@parley.test", "p": configured})
				var users struct{ Users struct{ TotalCount int } }
				again.Admin.MustDo(`{ users { totalCount } }`, nil, &users)
				if users.Users.TotalCount != 1 {
					t.Fatalf("restart with PARLEY_ADMIN_PASSWORD=%s: %d users, want the one admin", configured, users.Users.TotalCount)
				}
				again.Stop()
			}
		})
	}
}
