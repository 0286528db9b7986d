package app

import (
	"context"

	"parley/server/demo"
)

// SeedDemo fills the database with the demo organisation (once) and returns
// the logins to print.
func (a *App) SeedDemo(ctx context.Context) (string, error) {
	return demo.Seed(ctx, demo.Deps{DB: a.DB.Client, Auth: a.Auth, Users: a.Users, Chat: a.Chat, Inbox: a.Inbox})
}
