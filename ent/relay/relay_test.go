package relay

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"parley/ent/schema/pulid"
)

// The tests hold this package to entgql's behaviour (a test-only import,
// which does not reach the server): cursors already handed out must still
// decode, and pages must select the same rows.

var cursorValues = []any{nil, int64(42), int64(-7), "Zoë", "", 3.5, true}

func TestCursorWireFormIsEntgqls(t *testing.T) {
	for _, v := range cursorValues {
		ours := Cursor[pulid.ID]{ID: "us01HZX3", Value: v}
		theirs := entgql.Cursor[pulid.ID]{ID: "us01HZX3", Value: v}
		var a, b bytes.Buffer
		ours.MarshalGQL(&a)
		theirs.MarshalGQL(&b)
		if a.String() != b.String() {
			t.Fatalf("value %#v: cursor %s, entgql writes %s", v, a.String(), b.String())
		}
		s := a.String()
		s = s[1 : len(s)-1]
		var back Cursor[pulid.ID]
		var backTheirs entgql.Cursor[pulid.ID]
		if err := back.UnmarshalGQL(s); err != nil {
			t.Fatal(err)
		}
		if err := backTheirs.UnmarshalGQL(s); err != nil {
			t.Fatal(err)
		}
		if back.ID != backTheirs.ID || !reflect.DeepEqual(back.Value, backTheirs.Value) {
			t.Fatalf("value %#v: read back as %#v, entgql reads %#v", v, back, backTheirs)
		}
	}
}

func TestCursorRejectsGarbage(t *testing.T) {
	for _, v := range []any{"", "not base64!", "AAAA", 12} {
		var c Cursor[pulid.ID]
		var theirs entgql.Cursor[pulid.ID]
		err, errTheirs := c.UnmarshalGQL(v), theirs.UnmarshalGQL(v)
		if (err == nil) != (errTheirs == nil) {
			t.Errorf("%#v: error %v, entgql's %v", v, err, errTheirs)
		}
	}
}

func TestCursorsPredicateIsEntgqls(t *testing.T) {
	for _, d := range []OrderDirection{OrderDirectionAsc, OrderDirectionDesc} {
		for _, after := range []any{nil, "skip", int64(5)} {
			for _, before := range []any{nil, "skip", "m"} {
				var a, b *Cursor[pulid.ID]
				var ta, tb *entgql.Cursor[pulid.ID]
				if after != "skip" {
					a, ta = &Cursor[pulid.ID]{ID: "a1", Value: after}, &entgql.Cursor[pulid.ID]{ID: "a1", Value: after}
				}
				if before != "skip" {
					b, tb = &Cursor[pulid.ID]{ID: "b1", Value: before}, &entgql.Cursor[pulid.ID]{ID: "b1", Value: before}
				}
				for _, name := range []string{dialect.SQLite, dialect.Postgres} {
					got := selectWith(name, CursorsPredicate(a, b, "id", "seq", d))
					want := selectWith(name, entgql.CursorsPredicate(ta, tb, "id", "seq", entgql.OrderDirection(d)))
					if got != want {
						t.Errorf("%s %s after %v before %v:\n got %s\nwant %s", name, d, after, before, got, want)
					}
				}
			}
		}
	}
}

func selectWith(name string, ps []func(*sql.Selector)) string {
	s := sql.Dialect(name).Select("*").From(sql.Table("messages"))
	for _, p := range ps {
		p(s)
	}
	q, args := s.Query()
	return fmt.Sprint(q, args)
}

func TestOrderDirection(t *testing.T) {
	for _, d := range []OrderDirection{OrderDirectionAsc, OrderDirectionDesc, "", "up"} {
		theirs := entgql.OrderDirection(d)
		if (d.Validate() == nil) != (theirs.Validate() == nil) || string(d.Reverse()) != string(theirs.Reverse()) {
			t.Errorf("%q: differs from entgql", d)
		}
		var a, b bytes.Buffer
		d.MarshalGQL(&a)
		theirs.MarshalGQL(&b)
		if a.String() != b.String() {
			t.Errorf("%q: marshals as %s, entgql %s", d, a.String(), b.String())
		}
	}
}

func TestErrNodeNotFound(t *testing.T) {
	got, want := ErrNodeNotFound("us1"), entgql.ErrNodeNotFound("us1")
	if got.Message != want.Message || !reflect.DeepEqual(got.Extensions, want.Extensions) {
		t.Fatalf("%#v, entgql %#v", got, want)
	}
}
