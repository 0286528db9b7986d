package graph

import (
	"context"

	"parley/ent"
	"parley/ent/schema/pulid"
	"parley/graph/model"
	"parley/server/apperr"
)

// node resolves a global ID with the same authorisation as the type's own
// query. Anything the caller may not see reads as null, exactly like an ID
// that does not exist.
func (r *Resolver) node(ctx context.Context, id pulid.ID) (ent.Noder, error) {
	v := viewer(ctx)
	var (
		n   ent.Noder
		err error
	)
	switch id.Prefix() {
	case "us":
		n, err = nilIfErr(r.Directory.Get(ctx, v, id))
	case "ch", "se":
		c, cerr := r.Access.Conversation(ctx, v, id)
		if cerr == nil {
			return model.Checked(model.Wrap(c)).(ent.Noder), nil // the caller's member row loads if asked for
		}
		err = cerr
	case "ms":
		n, err = nilIfErr(r.Access.Message(ctx, v, id))
	case "cn":
		n, err = nilIfErr(r.Inbox.Channel(ctx, v, id))
	case "cu":
		n, err = nilIfErr(r.Inbox.Customer(ctx, v, id))
	case "dc":
		n, err = nilIfErr(r.Inbox.Document(ctx, v, id))
	case "cr":
		n, err = nilIfErr(r.Inbox.Canned(ctx, v, id))
	case "ca":
		n, err = nilIfErr(r.Calls.Call(ctx, v, id))
	case "at":
		n, err = nilIfErr(r.ChatService.Attachment(ctx, v, id))
	default:
		return nil, nil
	}
	if code := apperr.CodeOf(err); err != nil && (code == apperr.NotFound || code == apperr.Forbidden) {
		return nil, nil
	}
	return n, err
}

// nilIfErr turns a typed result into a Noder, keeping a nil pointer an untyped nil.
func nilIfErr[T interface {
	comparable
	ent.Noder
}](x T, err error) (ent.Noder, error) {
	var zero T
	if err != nil || x == zero {
		return nil, err
	}
	return x, nil
}
