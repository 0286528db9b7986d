package whatsapp

import (
	"strconv"
	"strings"

	"parley/server/channel/meta"
)

// meanings are what the WhatsApp errors agents meet most mean, for a failed
// send and a failed status alike (Meta keys on the code; titles are being
// deprecated).
var meanings = map[int]string{
	131047: "more than 24 hours since the customer last wrote; send a template",
	131026: "the message could not be delivered (the number may not be on WhatsApp, or the customer must accept new terms)",
	131051: "WhatsApp does not support this type of message",
	131052: "WhatsApp could not download the customer's file",
	131053: "WhatsApp could not take the file (its type or size is not accepted)",
	130472: "the customer is part of a Meta experiment and did not receive the message",
	131030: "the number is not on the test number's allowed list",
	131031: "the WhatsApp business account is locked",
	131049: "WhatsApp held the message back to keep engagement healthy; try again later or another way",
	131050: "the customer stopped marketing messages",
	131021: "the sender and the recipient are the same number",
	131008: "a required parameter is missing",
	131009: "a parameter value is not valid",
	132000: "the template's parameters do not match it",
	132001: "the template does not exist in this language, or is not approved",
	132005: "the template's text is too long once filled in",
	132007: "the template breaks WhatsApp's format rules",
	132012: "the template's parameters are not in the expected format",
	132015: "the template is paused for low quality",
	132016: "the template is disabled",
	368:    "the account is restricted for breaking WhatsApp's policies",
	130497: "the business account may not message customers in this country",
}

// explain is what meta.Classify says of a refused send.
func explain(e *meta.Error) string { return meanings[e.Code] }

// maxReason bounds a failure's reason.
const maxReason = 200

// failureReason is the reason of a FAILED status: the code and what it
// means, or WhatsApp's title (or message) for it, bounded.
func failureReason(errs []statusError) string {
	if len(errs) == 0 {
		return "WhatsApp could not deliver the message"
	}
	e := errs[0]
	what := meanings[int(e.Code)]
	if what == "" {
		what = strings.TrimSpace(e.Title)
	}
	if what == "" {
		what = strings.TrimSpace(e.Message)
	}
	if what == "" {
		what = "the message could not be delivered"
	}
	return bound("WhatsApp error "+strconv.Itoa(int(e.Code))+": "+what, maxReason)
}

// bound cuts s to at most n runes, marking the cut, and drops bytes that
// are not UTF-8.
func bound(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
