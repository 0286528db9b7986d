package schema

import "entgo.io/ent/dialect"

// jsonText stores JSON fields as PostgreSQL `text` rather than ent's default
// `jsonb`: the server runs lib/pq with binary_parameters (one round trip per
// statement), which sends []byte parameters in binary form, and jsonb's
// binary form is not the JSON text ent writes (`json` would take it, but has
// no equality operator for the SELECT DISTINCT of ent's edge queries).
// Nothing queries inside these columns, so jsonb's operators are not missed.
var jsonText = map[string]string{dialect.Postgres: "text"}
