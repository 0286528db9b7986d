package db_test

import (
	"testing"

	"parley/server/apitest"
	"parley/server/db"
)

// onEachDatabase runs test once on a fresh SQLite database and once on a
// fresh PostgreSQL one, as subtests named by the backend.
func onEachDatabase(t *testing.T, test func(t *testing.T, backend string, d *db.DB)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			d, err := db.Open(apitest.DatabaseURL(t, backend))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			test(t, backend, d)
		})
	}
}
