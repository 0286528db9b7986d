// Command newmigration writes the next versioned migration for both
// dialects from the difference between the ent schema and the migrations
// already in server/db/migrations. Run it after changing ent/schema:
//
//	go run ./server/db/newmigration add_something
//
// SQLite is diffed against an in-memory database; PostgreSQL against a
// scratch database created on PARLEY_DEV_POSTGRES (default: the local server).
package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"parley/ent/migrate"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: go run ./server/db/newmigration NAME")
	}
	name := os.Args[1]
	ctx := context.Background()

	lite, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	lite.SetMaxOpenConns(1)
	if err := diff(ctx, lite, dialect.SQLite, "server/db/migrations/sqlite", name); err != nil {
		log.Fatalf("sqlite: %v", err)
	}

	admin := os.Getenv("PARLEY_DEV_POSTGRES")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	adminDB, err := sql.Open("postgres", admin)
	if err != nil {
		log.Fatal(err)
	}
	scratch := fmt.Sprintf("parley_migrate_%d", time.Now().UnixNano())
	if _, err := adminDB.ExecContext(ctx, "CREATE DATABASE "+scratch); err != nil {
		log.Fatalf("postgres: creating the scratch database: %v", err)
	}
	defer adminDB.ExecContext(ctx, "DROP DATABASE "+scratch)
	pg, err := sql.Open("postgres", strings.Replace(admin, "/postgres?", "/"+scratch+"?", 1))
	if err != nil {
		log.Fatal(err)
	}
	err = diff(ctx, pg, dialect.Postgres, "server/db/migrations/postgres", name)
	pg.Close()
	if err != nil {
		log.Fatalf("postgres: %v", err)
	}
}

// diff replays the directory on the clean dev database and writes what is missing.
func diff(ctx context.Context, db *sql.DB, dia, path, name string) error {
	dir, err := sqltool.NewGooseDir(path)
	if err != nil {
		return err
	}
	return migrate.NewSchema(entsql.OpenDB(dia, db)).NamedDiff(ctx, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dia),
		schema.WithFormatter(sqltool.GooseFormatter),
		schema.WithDropIndex(true),
		schema.WithDropColumn(true),
	)
}

var _ atlas.Dir = (*sqltool.GooseDir)(nil)
