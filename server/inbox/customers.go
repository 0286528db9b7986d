package inbox

import (
	"context"
	"fmt"
	"strings"

	"parley/ent"
	"parley/ent/contact"
	"parley/ent/conversation"
	"parley/ent/customer"
	"parley/ent/customerlink"
	"parley/ent/document"
	"parley/ent/schema/pulid"
	"parley/server/access"
	"parley/server/apperr"
	"parley/server/auth"
	"parley/server/history"
	"parley/server/history/events"
)

// CustomerInput is a customer record as an agent enters it.
type CustomerInput struct {
	Name   string
	Phones []string
	Emails []string
}

// CreateCustomer adds a customer record.
func (s *Service) CreateCustomer(ctx context.Context, v *auth.Viewer, in CustomerInput) (_ *ent.Customer, err error) {
	defer apperr.At("inbox.CreateCustomer", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	name, phones, emails, err := s.customerFields(in)
	if err != nil {
		return nil, err
	}
	var c *ent.Customer
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		c, err = tx.Customer.Create().SetID(pulid.MustNew("cu")).SetName(name).SetPhones(phones).SetEmails(emails).
			SetSearchText(searchText(name, phones, emails)).Save(ctx)
		if err != nil {
			return err
		}
		return s.tellSuggested(ctx, tx, phones, emails)
	})
	if err != nil {
		return nil, err
	}
	return c.Unwrap(), nil
}

// customerFields checks and normalises a customer record as entered:
// phone numbers in E.164, e-mail addresses lower-cased, each once.
func (s *Service) customerFields(in CustomerInput) (name string, phones, emails []string, err error) {
	name = strings.TrimSpace(in.Name)
	if name == "" || textLen(name) > 200 {
		return "", nil, nil, apperr.BadInput("a customer's name must be 1 to 200 characters").With("field", "name")
	}
	if len(in.Phones) > maxContactPoints || len(in.Emails) > maxContactPoints {
		return "", nil, nil, apperr.BadInput("a customer has at most %d phone numbers and %d e-mail addresses", maxContactPoints, maxContactPoints)
	}
	phones, emails = []string{}, []string{}
	for _, p := range in.Phones {
		n, ok := NormalizePhone(p, s.Region)
		if !ok {
			return "", nil, nil, apperr.BadInput("a phone number is not one (international form +49 …, or national with PARLEY_DEFAULT_REGION)").With("field", "phones")
		}
		phones = appendNew(phones, n)
	}
	for _, e := range in.Emails {
		e, ok := normalizeEmail(e)
		if !ok {
			return "", nil, nil, apperr.BadInput("an e-mail address is not one").With("field", "emails")
		}
		emails = appendNew(emails, e)
	}
	return name, phones, emails, nil
}

func normalizeEmail(e string) (string, bool) {
	e = strings.ToLower(strings.TrimSpace(e))
	at := strings.IndexByte(e, '@')
	return e, at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t") && textLen(e) <= 320
}

// maxContactPoints bounds a customer's phone numbers and e-mail addresses.
const maxContactPoints = 20

// searchText is what customer search matches: the name, the e-mails and the
// phone numbers as digits, lower-cased.
func searchText(name string, phones, emails []string) string {
	parts := []string{strings.ToLower(name)}
	for _, p := range phones {
		parts = append(parts, digits(p))
	}
	return strings.Join(append(parts, emails...), " ")
}

// CustomersQuery returns the customers matching a search by name, phone or e-mail.
func (s *Service) CustomersQuery(v *auth.Viewer, search string) (_ *ent.CustomerQuery, err error) {
	defer apperr.At("inbox.CustomersQuery", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	q := s.db.Customer.Query()
	term := strings.ToLower(strings.TrimSpace(search))
	if term == "" {
		return q, nil
	}
	match := customer.SearchTextContains(term)
	// "+1 (555) 010-99" finds the number however it was written, and a
	// whole number in national form (0170 1234567) as its E.164 digits.
	if d := digits(term); len(d) >= 3 && strings.Trim(term, "0123456789+ -()./") == "" {
		match = customer.Or(match, customer.SearchTextContains(d))
		if e164, ok := NormalizePhone(term, s.Region); ok && digits(e164) != d {
			match = customer.Or(match, customer.SearchTextContains(digits(e164)))
		}
	}
	return q.Where(match), nil
}

// Customer returns a customer record.
func (s *Service) Customer(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Customer, err error) {
	defer apperr.At("inbox.Customer", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	c, err := s.db.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such customer")
	}
	return c, err
}

// LinkCustomer ties a session's contact (and so every later session of that
// contact on the channel) to a customer record.
func (s *Service) LinkCustomer(ctx context.Context, v *auth.Viewer, sessionID, customerID pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("inbox.LinkCustomer", &err)
	conv, err := s.access.AgentSession(ctx, v, sessionID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Customer(ctx, v, customerID); err != nil {
		return nil, err
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if err := s.link(ctx, tx, v, *conv.ContactID, customerID); err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, conv))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

func (s *Service) link(ctx context.Context, tx *history.Tx, v *auth.Viewer, contactID, customerID pulid.ID) error {
	return tx.CustomerLink.Create().SetContactID(contactID).SetCustomerID(customerID).SetLinkedByID(v.UserID).
		OnConflictColumns(customerlink.FieldContactID).UpdateNewValues().Exec(ctx)
}

// UnlinkCustomer removes a session's customer link.
func (s *Service) UnlinkCustomer(ctx context.Context, v *auth.Viewer, sessionID pulid.ID) (_ *ent.Conversation, err error) {
	defer apperr.At("inbox.UnlinkCustomer", &err)
	conv, err := s.access.AgentSession(ctx, v, sessionID)
	if err != nil {
		return nil, err
	}
	err = s.history.Write(ctx, func(tx *history.Tx) error {
		if _, err := tx.CustomerLink.Delete().Where(customerlink.ContactID(*conv.ContactID)).Exec(ctx); err != nil {
			return err
		}
		tx.Emit(history.ConversationEvent(events.ConversationUpdated, conv))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// SessionCustomer is the customer a session is linked to (never shown to a visitor).
func (s *Service) SessionCustomer(ctx context.Context, v *auth.Viewer, conv *ent.Conversation) (_ *ent.Customer, err error) {
	defer apperr.At("inbox.SessionCustomer", &err)
	if v.IsVisitor() || conv.ContactID == nil {
		return nil, nil
	}
	c, err := s.db.Customer.Query().Where(customer.HasLinksWith(customerlink.ContactID(*conv.ContactID))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// CustomerSessions lists every session with the customer, on every channel,
// that the viewer may see, newest first.
func (s *Service) CustomerSessions(ctx context.Context, v *auth.Viewer, c *ent.Customer) (_ []*ent.Conversation, err error) {
	defer apperr.At("inbox.CustomerSessions", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	return s.db.Conversation.Query().Where(access.VisibleSessions(v),
		conversation.HasContactWith(contact.HasLinkWith(customerlink.CustomerID(c.ID)))).
		Order(ent.Desc(conversation.FieldLastMessageAt)).All(ctx)
}

// DocumentInput is an order, estimate or inquiry to record.
type DocumentInput struct {
	CustomerID pulid.ID
	Kind       document.Kind
	Title      string
	SessionID  *pulid.ID
}

var documentPrefix = map[document.Kind]string{document.KindORDER: "ORD", document.KindESTIMATE: "EST", document.KindINQUIRY: "INQ"}

// CreateDocument records a document for a customer, numbered per kind
// (ORD-000001, EST-000001, …), optionally from the session it came up in.
func (s *Service) CreateDocument(ctx context.Context, v *auth.Viewer, in DocumentInput) (_ *ent.Document, err error) {
	defer apperr.At("inbox.CreateDocument", &err)
	if _, err := s.Customer(ctx, v, in.CustomerID); err != nil {
		return nil, err
	}
	if err := document.KindValidator(in.Kind); err != nil {
		return nil, apperr.BadInput("unknown document kind").With("field", "kind")
	}
	title := strings.TrimSpace(in.Title)
	if title == "" || textLen(title) > 300 {
		return nil, apperr.BadInput("a document's title must be 1 to 300 characters").With("field", "title")
	}
	if in.SessionID != nil {
		conv, err := s.access.Session(ctx, v, *in.SessionID)
		if err != nil {
			return nil, err
		}
		linked, err := s.SessionCustomer(ctx, v, conv)
		if err != nil {
			return nil, err
		}
		if linked == nil || linked.ID != in.CustomerID {
			return nil, apperr.BadInput("the session is not linked to this customer: link it first").With("field", "sessionId")
		}
	}
	// Documents of a kind are numbered one at a time: SQLite has one writer,
	// PostgreSQL takes a lock per kind until commit. The unique (kind, seq)
	// index stays the guarantee; a refusal takes the next number.
	for attempt := 0; ; attempt++ {
		var doc *ent.Document
		err := s.history.Write(ctx, func(tx *history.Tx) error {
			if s.db.IsPostgres() {
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "parley.documents."+string(in.Kind)); err != nil {
					return err
				}
			}
			last, err := tx.Document.Query().Where(document.KindEQ(in.Kind)).Order(ent.Desc(document.FieldSeq)).First(ctx)
			seq := 1
			if err == nil {
				seq = last.Seq + 1
			} else if !ent.IsNotFound(err) {
				return err
			}
			doc, err = tx.Document.Create().SetID(pulid.MustNew("dc")).SetKind(in.Kind).SetSeq(seq).
				SetNumber(fmt.Sprintf("%s-%06d", documentPrefix[in.Kind], seq)).SetTitle(title).
				SetCustomerID(in.CustomerID).SetNillableSessionID(in.SessionID).SetCreatedByID(v.UserID).Save(ctx)
			return err
		})
		if ent.IsConstraintError(err) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return doc.Unwrap(), nil
	}
}

// Document returns a document record.
func (s *Service) Document(ctx context.Context, v *auth.Viewer, id pulid.ID) (_ *ent.Document, err error) {
	defer apperr.At("inbox.Document", &err)
	if err := s.access.Agent(v); err != nil {
		return nil, err
	}
	d, err := s.db.Document.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Missing("no such document")
	}
	return d, err
}

// CustomerDocuments lists a customer's documents, newest first.
func (s *Service) CustomerDocuments(ctx context.Context, c *ent.Customer) (_ []*ent.Document, err error) {
	defer apperr.At("inbox.CustomerDocuments", &err)
	return s.db.Document.Query().Where(document.CustomerID(c.ID)).Order(ent.Desc(document.FieldCreatedAt), ent.Desc(document.FieldID)).All(ctx)
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func appendNew(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
