package chat

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"parley/ent"
	"parley/ent/message"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
)

// maxSearchTerms bounds the words of one search.
const maxSearchTerms = 8

// Search finds messages whose text (with a voice message's transcript) has every word of the query (as a word
// or the start of one), newest first, in the conversations the viewer may
// read — or only in conversationID. after is the id of the last message of
// the previous page. It never scans conversations the viewer cannot read.
func (s *Service) Search(ctx context.Context, v *auth.Viewer, query string, conversationID *pulid.ID, first int, after *pulid.ID) (msgs []*ent.Message, more bool, total int, err error) {
	defer apperr.At("chat.Search", &err)
	if err := access.Colleague(v); err != nil {
		return nil, false, 0, err
	}
	terms := searchTerms(query)
	if len(terms) == 0 {
		return nil, false, 0, apperr.BadInput("search for at least one word").With("field", "query")
	}
	if len(terms) > maxSearchTerms {
		return nil, false, 0, apperr.BadInput("search for at most %d words", maxSearchTerms).With("field", "query")
	}
	if conversationID != nil {
		if _, err := s.access.Conversation(ctx, v, *conversationID); err != nil {
			return nil, false, 0, err
		}
	}
	args := []any{}
	arg := func(x any) string { args = append(args, x); return fmt.Sprintf("$%d", len(args)) }

	var q strings.Builder
	if s.db.IsPostgres() {
		for i, t := range terms {
			terms[i] = t + ":*"
		}
		// The expression is the index's, word for word, or the index is not used.
		fmt.Fprintf(&q, `SELECT m.id FROM messages m WHERE to_tsvector('simple', translate(lower(coalesce(m.text, '') || ' ' || coalesce((m.transcription::jsonb) ->> 'text', '')), '%s', '%s')) @@ to_tsquery('simple', %s)`,
			accentFrom, accentTo, arg(strings.Join(terms, " & ")))
	} else {
		for i, t := range terms {
			terms[i] = `"` + t + `"*`
		}
		fmt.Fprintf(&q, `SELECT m.message_id FROM messages_fts m WHERE messages_fts MATCH %s`, arg(strings.Join(terms, " AND ")))
	}
	idCol := "m.id"
	if !s.db.IsPostgres() {
		idCol = "m.message_id"
	}
	if conversationID != nil {
		fmt.Fprintf(&q, ` AND m.conversation_id = %s`, arg(string(*conversationID)))
	} else {
		q.WriteString(` AND ` + access.ReadableSQL(v, s.access.Plan.External, "m.conversation_id", arg))
	}
	matching := q.String()
	countArgs := append([]any(nil), args...)
	if err := s.db.SQL.QueryRowContext(ctx, s.db.Rebind(`SELECT count(*) FROM (`+matching+`) found`), countArgs...).Scan(&total); err != nil {
		return nil, false, 0, err
	}
	if after != nil {
		fmt.Fprintf(&q, ` AND %s < %s`, idCol, arg(string(*after)))
	}
	fmt.Fprintf(&q, ` ORDER BY %s DESC LIMIT %d`, idCol, first+1)
	ids, err := s.queryIDs(ctx, q.String(), args...)
	if err != nil {
		return nil, false, 0, err
	}
	if more = len(ids) > first; more {
		ids = ids[:first]
	}
	msgs, err = s.db.Message.Query().Where(message.IDIn(ids...)).Order(ent.Desc(message.FieldID)).All(ctx)
	return msgs, more, total, err
}

func (s *Service) queryIDs(ctx context.Context, q string, args ...any) ([]pulid.ID, error) {
	rows, err := s.db.SQL.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []pulid.ID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, pulid.ID(id))
	}
	return ids, rows.Err()
}

// searchTerms splits a query into words of letters and digits, lower-cased:
// nothing of the query's own syntax reaches the full-text engine.
func searchTerms(query string) []string {
	fields := strings.FieldsFunc(foldAccents(strings.ToLower(query)), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}
