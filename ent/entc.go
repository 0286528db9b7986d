//go:build ignore

package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"golang.org/x/tools/go/ast/astutil"
	"golang.org/x/tools/imports"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithTemplates(
			entgql.CollectionTemplate,
			entgql.EnumTemplate,
			entgql.NodeTemplate,
			entgql.PaginationTemplate,
			entgql.EdgeTemplate,
		),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	storage, err := withoutClientSchema()
	if err != nil {
		log.Fatal(err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Storage: storage,
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureModifier,
		},
		Hooks: []gen.Hook{useRelay},
	},
		entc.Extensions(ex),
		// The schema's GraphQL annotations exist only in this build: see
		// ent/schema/gqlannot.
		entc.BuildTags("entc"),
	)
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// withoutClientSchema is ent's SQL storage without Client.Schema: the
// server migrates with goose (server/db/migrations), and the field links
// ent/migrate, and through it atlas (~5 MB), into the server. ent ties the
// field and the ent/migrate package to one capability, so this turns it off
// and generates the package anyway, for server/db/newmigration and the
// migration test.
func withoutClientSchema() (*gen.Storage, error) {
	base, err := gen.NewStorage("sql")
	if err != nil {
		return nil, err
	}
	s := *base
	s.SchemaMode &^= gen.Migrate
	var n int
	for i, t := range gen.GraphTemplates {
		if strings.HasPrefix(t.Format, "migrate/") {
			gen.GraphTemplates[i].Skip = nil
			n++
		}
	}
	if n != 2 {
		return nil, fmt.Errorf("found %d of ent's 2 migrate templates", n)
	}
	return &s, nil
}

const entgqlPath = "entgo.io/contrib/entgql"

// useRelay points the generated files that import entgql (the GraphQL
// code) at parley/ent/relay, which has the same names: entgql's templates
// import entgql itself, and that links its code generator into the server.
// It runs after ent has written the files.
func useRelay(next gen.Generator) gen.Generator {
	return gen.GenerateFunc(func(g *gen.Graph) error {
		if err := next.Generate(g); err != nil {
			return err
		}
		relay := g.Config.Package + "/relay"
		schema := filepath.Join(g.Config.Target, "schema")
		return filepath.WalkDir(g.Config.Target, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && (path == schema || path == filepath.Join(g.Config.Target, "relay")):
				return filepath.SkipDir
			case d.IsDir() || !strings.HasSuffix(path, ".go"):
				return nil
			}
			return repoint(path, relay)
		})
	})
}

// repoint rewrites one generated file from entgql.X to relay.X, if it
// imports entgql.
func repoint(path, relay string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return err
	}
	if !ast.IsGenerated(f) {
		return nil
	}
	for _, im := range f.Imports {
		if p, _ := strconv.Unquote(im.Path.Value); p == entgqlPath && im.Name != nil {
			return fmt.Errorf("%s: entgql imported as %s", path, im.Name.Name)
		}
	}
	if !astutil.DeleteImport(fset, f, entgqlPath) {
		return nil
	}
	// AddImport puts it next to the other parley imports.
	astutil.AddImport(fset, f, relay)
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "entgql" {
				id.Name = filepath.Base(relay)
			}
		}
		return true
	})
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, f); err != nil {
		return err
	}
	// goimports, as ent formats its files.
	out, err := imports.Process(path, buf.Bytes(), nil)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
