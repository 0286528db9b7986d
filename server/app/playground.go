package app

import (
	"net/http"
	"strings"

	"parley/server/playground"
)

// playgroundHandler serves GraphiQL for the API at /query. Its files are
// built into the binary (playgroundAssets), so it works offline. The login
// it suggests is the demo's with --demo, else the bootstrap admin's e-mail
// (never a real password: the README's "change-me" is a placeholder).
func (a *App) playgroundHandler() http.Handler {
	email, password := "admin@example.com", "change-me"
	if a.cfg.AdminEmail != "" {
		email = a.cfg.AdminEmail
	}
	if a.cfg.Demo {
		email, password = "alex@demo.parley", "parley-demo"
	}
	query := strings.NewReplacer("admin@example.com", email, "change-me", password).Replace(defaultPlaygroundQuery)
	return playground.Handler("/query", playground.Options{
		Title:          "Parley GraphQL playground",
		DefaultQuery:   query,
		DefaultHeaders: "{\n  \"Authorization\": \"Bearer <token from login>\"\n}",
	})
}

// playgroundAssets serves the playground's scripts and styles.
func playgroundAssets() http.Handler { return playground.Assets() }

// Lines fit GraphiQL's editor at half of a laptop screen.
const defaultPlaygroundQuery = `# Parley's GraphQL playground
#
# 1. Run Login below and copy the token.
# 2. In Headers (below), replace the
#    placeholder with that token. It is sent
#    with queries and mutations, and in the
#    WebSocket connection_init of subscriptions.
# 3. Docs (book icon, top left): the whole API.

mutation Login {
  login(
    email: "admin@example.com"
    password: "change-me"
  ) {
    token
    user { id name }
  }
}
`
