package app

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

// playgroundHandler serves GraphiQL. TODO: self-hosted assets.
func playgroundHandler() http.Handler { return playground.Handler("Parley", "/query") }

func playgroundAssets() http.Handler { return http.NotFoundHandler() }
