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
	"path/filepath"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	atlasschema "ariga.io/atlas/sql/schema"
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
		log.Fatal("usage: go run ./server/db/newmigration NAME   (or: rehash)")
	}
	name := os.Args[1]
	if name == "rehash" {
		// After editing a hand-written migration: update atlas.sum.
		for _, p := range []string{"server/db/migrations/sqlite", "server/db/migrations/postgres"} {
			dir, err := sqltool.NewGooseDir(p)
			if err != nil {
				log.Fatal(err)
			}
			sum, err := dir.Checksum()
			if err != nil {
				log.Fatal(err)
			}
			if err := atlas.WriteSumFile(dir, sum); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	ctx := context.Background()

	lite, err := sql.Open("sqlite", "file:dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		log.Fatal(err)
	}
	lite.SetMaxOpenConns(1)
	if err := diff(ctx, lite, dialect.SQLite, "server/db/migrations/sqlite", name); err != nil {
		log.Fatalf("sqlite: %v", err)
	}
	warnOfRebuilds("server/db/migrations/sqlite", name)

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
		schema.WithDiffHook(keepHandWritten),
	)
}

// keepHandWritten keeps the diff from dropping what hand-written migrations
// add and ent does not model: the full-text search objects.
func keepHandWritten(next schema.Differ) schema.Differ {
	return schema.DiffFunc(func(current, desired *atlasschema.Schema) ([]atlasschema.Change, error) {
		changes, err := next.Diff(current, desired)
		if err != nil {
			return nil, err
		}
		var kept []atlasschema.Change
		for _, c := range changes {
			switch c := c.(type) {
			case *atlasschema.DropTable:
				if strings.HasPrefix(c.T.Name, "messages_fts") {
					continue
				}
			case *atlasschema.ModifyTable:
				var inner []atlasschema.Change
				for _, ic := range c.Changes {
					if di, ok := ic.(*atlasschema.DropIndex); ok && di.I.Name == "message_text_search" {
						continue
					}
					inner = append(inner, ic)
				}
				if len(inner) == 0 {
					continue
				}
				c.Changes = inner
			}
			kept = append(kept, c)
		}
		return kept, nil
	})
}

// warnOfRebuilds says when the new SQLite migration rebuilds a table: goose
// runs it in a transaction, where its PRAGMA foreign_keys = off does
// nothing, so dropping the old table runs the foreign keys' actions and
// empties (or refuses to drop) what refers to it. Write such a migration by
// hand (ALTER TABLE … ADD COLUMN, as 20261201153002 does);
// TestUpgradesKeepTheRows catches it otherwise.
func warnOfRebuilds(dir, name string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*_"+name+".sql"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), "PRAGMA foreign_keys = off") {
			log.Printf("WARNING: %s rebuilds a table, which inside goose's transaction runs its foreign keys' actions (rows that cascade from it are deleted): rewrite it by hand with ALTER TABLE", f)
		}
	}
}
