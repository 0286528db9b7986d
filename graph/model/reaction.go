package model

import "parley/ent"

// Reaction is one emoji on a message, summed over who put it there.
type Reaction struct {
	Emoji       string
	Count       int
	ReactedByMe bool
	Users       []*ent.User
	ByCustomer  bool
}
