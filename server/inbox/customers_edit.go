package inbox

import (
	"context"
	"encoding/json"
	"strings"

	"entgo.io/ent/dialect/sql"

	"parley/ent"
	"parley/ent/contact"
	"parley/ent/conversation"
	"parley/ent/customer"
	"parley/ent/customerlink"
	"parley/ent/document"
	"parley/ent/predicate"
	"parley/ent/schema/pulid"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
)

// maxSuggestionsTold bounds the sessions told of a new link suggestion
// when a customer record is written.
const maxSuggestionsTold = 100

// UpdateCustomer replaces a customer record's name, phone numbers and
// e-mail addresses; agents and admins, as CreateCustomer.
func (s *Service) UpdateCustomer(ctx context.Context, v *auth.Viewer, id pulid.ID, in CustomerInput) (_ *ent.Customer, err error) {
	defer apperr.At("inbox.UpdateCustomer", &err)
	if _, err := s.Customer(ctx, v, id); err != nil {
		return nil, err
	}
	name, phones, emails, err := s.customerFields(in)
	if err != nil {
		return nil, err
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		n, err := tx.Customer.Update().Where(customer.ID(id)).SetName(name).SetPhones(phones).SetEmails(emails).
			SetSearchText(searchText(name, phones, emails)).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.Missing("no such customer")
		}
		if err := s.tellSessions(ctx, tx, customer.ID(id)); err != nil {
			return err
		}
		return s.tellSuggested(ctx, tx, phones, emails)
	})
	if err != nil {
		return nil, err
	}
	return s.db.Customer.Get(ctx, id)
}

// DeleteCustomer deletes a customer record and unlinks its contacts. A
// customer with documents (orders, estimates, inquiries) is kept: those are
// business records; merge it into another customer instead (CONFLICT).
func (s *Service) DeleteCustomer(ctx context.Context, v *auth.Viewer, id pulid.ID) (err error) {
	defer apperr.At("inbox.DeleteCustomer", &err)
	if _, err := s.Customer(ctx, v, id); err != nil {
		return err
	}
	return s.history.Write(ctx, func(tx *history.Tx) error {
		if has, err := tx.Document.Query().Where(document.CustomerID(id)).Exist(ctx); err != nil || has {
			if has {
				return apperr.New(apperr.Conflict, "the customer has documents: merge it into another customer instead")
			}
			return err
		}
		// Told before the links go: their sessions lose the customer.
		if err := s.tellSessions(ctx, tx, customer.ID(id)); err != nil {
			return err
		}
		if _, err := tx.CustomerLink.Delete().Where(customerlink.CustomerID(id)).Exec(ctx); err != nil {
			return err
		}
		n, err := tx.Customer.Delete().Where(customer.ID(id)).Exec(ctx)
		if err == nil && n == 0 {
			return apperr.Missing("no such customer")
		}
		return err
	})
}

// MergeCustomers folds the record mergeID into keepID: its phone numbers,
// e-mail addresses, contact links and documents move to the kept one, and
// it is deleted. Sessions of both show the kept customer.
func (s *Service) MergeCustomers(ctx context.Context, v *auth.Viewer, keepID, mergeID pulid.ID) (_ *ent.Customer, err error) {
	defer apperr.At("inbox.MergeCustomers", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	if keepID == mergeID {
		return nil, apperr.BadInput("a customer cannot be merged into itself").With("field", "mergeId")
	}
	if _, err := s.Customer(ctx, v, keepID); err != nil {
		return nil, err
	}
	if _, err := s.Customer(ctx, v, mergeID); err != nil {
		return nil, err
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		// Both rows locked in id order: two merges of the same pair never deadlock.
		both, err := history.ForUpdate(tx, tx.Customer.Query().Where(customer.IDIn(keepID, mergeID)).Order(ent.Asc(customer.FieldID))).All(ctx)
		if err != nil {
			return err
		}
		if len(both) != 2 {
			return apperr.Missing("no such customer")
		}
		keep, gone := both[0], both[1]
		if keep.ID != keepID {
			keep, gone = gone, keep
		}
		phones, emails := keep.Phones, keep.Emails
		for _, p := range gone.Phones {
			phones = appendNew(phones, p)
		}
		for _, e := range gone.Emails {
			emails = appendNew(emails, e)
		}
		if len(phones) > maxContactPoints || len(emails) > maxContactPoints {
			return apperr.New(apperr.LimitExceeded, "together they have more than %d phone numbers or e-mail addresses", maxContactPoints).
				With("max", maxContactPoints)
		}
		if _, err := tx.CustomerLink.Update().Where(customerlink.CustomerID(mergeID)).SetCustomerID(keepID).Save(ctx); err != nil {
			return err
		}
		if _, err := tx.Document.Update().Where(document.CustomerID(mergeID)).SetCustomerID(keepID).Save(ctx); err != nil {
			return err
		}
		if err := tx.Customer.DeleteOneID(mergeID).Exec(ctx); err != nil {
			return err
		}
		if err := tx.Customer.UpdateOneID(keepID).SetPhones(phones).SetEmails(emails).
			SetSearchText(searchText(keep.Name, phones, emails)).Exec(ctx); err != nil {
			return err
		}
		return s.tellSessions(ctx, tx, customer.ID(keepID))
	})
	if err != nil {
		return nil, err
	}
	return s.db.Customer.Get(ctx, keepID)
}

// tellSessions tells the agents of every session linked to the customers
// selected that the session changed (its customer did).
func (s *Service) tellSessions(ctx context.Context, tx *history.Tx, which predicate.Customer) error {
	convs, err := tx.Conversation.Query().Where(conversation.KindEQ(conversation.KindEXTERNAL),
		conversation.HasContactWith(contact.HasLinkWith(customerlink.HasCustomerWith(which)))).All(ctx)
	if err != nil {
		return err
	}
	for _, c := range convs {
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, c))
	}
	return nil
}

// tellSuggested tells the agents of sessions whose unlinked contact has one
// of these phone numbers or e-mail addresses: they now suggest a customer.
func (s *Service) tellSuggested(ctx context.Context, tx *history.Tx, phones, emails []string) error {
	if len(phones) == 0 && len(emails) == 0 {
		return nil
	}
	convs, err := tx.Conversation.Query().Where(conversation.KindEQ(conversation.KindEXTERNAL),
		conversation.HasContactWith(contact.Not(contact.HasLink()),
			contact.Or(contact.PhoneIn(phones...), contact.EmailIn(emails...)))).
		Limit(maxSuggestionsTold).All(ctx)
	if err != nil {
		return err
	}
	for _, c := range convs {
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, c))
	}
	return nil
}

// SuggestedCustomer is the customer record a session's unlinked contact
// seems to be: the first (oldest) whose phone numbers or e-mail addresses
// hold the contact's. Nil when linked, when nothing matches, and for anyone
// but agents and admins.
func (s *Service) SuggestedCustomer(ctx context.Context, v *auth.Viewer, conv *ent.Conversation) (_ *ent.Customer, err error) {
	defer apperr.At("inbox.SuggestedCustomer", &err)
	if v.IsVisitor() || conv.ContactID == nil || s.access.Agent(v) != nil {
		return nil, nil
	}
	ct, err := s.db.Contact.Query().Where(contact.ID(*conv.ContactID)).WithLink().Only(ctx)
	if err != nil {
		return nil, err
	}
	if ct.Edges.Link != nil {
		return nil, nil
	}
	var match []predicate.Customer
	if ct.Phone != nil {
		if p, ok := NormalizePhone(*ct.Phone, s.Region); ok {
			match = append(match, listHolds(customer.FieldPhones, p))
		}
	}
	if ct.Email != nil {
		if e, ok := normalizeEmail(*ct.Email); ok {
			match = append(match, listHolds(customer.FieldEmails, e))
		}
	}
	if len(match) == 0 {
		return nil, nil
	}
	c, err := s.db.Customer.Query().Where(customer.Or(match...)).Order(ent.Asc(customer.FieldCreatedAt), ent.Asc(customer.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// listHolds matches a JSON list of strings column holding v exactly: its
// JSON form, quotes included, LIKE's wildcards escaped. The column is cast
// to text: SQLite keeps JSON as a blob, which LIKE does not search.
func listHolds(col, v string) predicate.Customer {
	quoted, _ := json.Marshal(v)
	pattern := "%" + likeEscaper.Replace(string(quoted)) + "%"
	return predicate.Customer(func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("CAST(").WriteString(s.C(col)).WriteString(" AS TEXT) LIKE ").Arg(pattern).WriteString(` ESCAPE '\'`)
		}))
	})
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)
