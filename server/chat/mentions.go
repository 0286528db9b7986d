package chat

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/ent"
	"parley/ent/conversation"
	"parley/ent/member"
	"parley/ent/schema/pulid"
	"parley/ent/user"
)

// mentionsIn finds the members a text @mentions. A mention is "@" followed
// by a member's name, extension or the local part of their e-mail — the
// longest that matches, ignoring case, ending at a word boundary — or
// "@all" in a group. The author is never mentioned.
func (s *Service) mentionsIn(ctx context.Context, conv *ent.Conversation, author pulid.ID, text string) ([]pulid.ID, error) {
	if !strings.Contains(text, "@") {
		return nil, nil
	}
	members, err := s.db.User.Query().
		Where(user.HasMembershipsWith(member.ConversationID(conv.ID))).
		Select(user.FieldID, user.FieldName, user.FieldEmail, user.FieldExtension).All(ctx)
	if err != nil {
		return nil, err
	}
	return findMentions(text, members, author, conv.Kind == conversation.KindGROUP), nil
}

type handle struct {
	text string // lower-cased
	ids  []pulid.ID
}

func findMentions(text string, members []*ent.User, author pulid.ID, group bool) []pulid.ID {
	var handles []handle
	add := func(h string, ids ...pulid.ID) {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			handles = append(handles, handle{text: h, ids: ids})
		}
	}
	var everyone []pulid.ID
	for _, u := range members {
		add(u.Name, u.ID)
		if u.Extension != nil {
			add(*u.Extension, u.ID)
		}
		local, _, _ := strings.Cut(u.Email, "@")
		add(local, u.ID)
		everyone = append(everyone, u.ID)
	}
	if group {
		add("all", everyone...)
	}
	// Longest first, so "@Ann Lee" wins over "@Ann".
	sort.SliceStable(handles, func(i, j int) bool { return len(handles[i].text) > len(handles[j].text) })

	lower := strings.ToLower(text)
	found := map[pulid.ID]bool{}
	for i := 0; i < len(lower); i++ {
		if lower[i] != '@' || (i > 0 && isWordByte(lower, i)) {
			continue
		}
		rest := lower[i+1:]
		for _, h := range handles {
			if strings.HasPrefix(rest, h.text) && atBoundary(rest, len(h.text)) {
				for _, id := range h.ids {
					found[id] = true
				}
				break
			}
		}
	}
	delete(found, author)
	out := make([]pulid.ID, 0, len(found))
	for id := range found {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// isWordByte reports whether the character before position i is a letter or
// digit (then "@" is inside a word, like an e-mail address, not a mention).
func isWordByte(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// atBoundary reports whether a match of n bytes ends a word.
func atBoundary(s string, n int) bool {
	if n >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[n:])
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}
