package inbox

import (
	"unicode/utf8"

	"parley/ent/channel"
	"parley/ent/conversation"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
)

func channelID(id pulid.ID) predicate.Channel { return channel.ID(id) }

// textLen counts characters as people do: code points, so an emoji is one.
func textLen(s string) int { return utf8.RuneCountInString(s) }

func conversationOf(channelID, contactID pulid.ID) predicate.Conversation {
	return conversation.And(conversation.ChannelID(channelID), conversation.ContactID(contactID))
}

// deref is the string p points to, or "".
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
