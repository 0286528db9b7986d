package demo

import entchannel "parley/ent/channel"

// Channel is one demo channel as it is created.
type Channel struct {
	Kind           entchannel.Kind
	Name, PageName string
	// ExternalID is the provider's id of the number, page or account: a
	// webhook on the bare /webhooks/{kind} is routed by it.
	ExternalID string
	// Credentials are made up: nothing reaches a real account with them,
	// but a webhook signed with them is taken, so one can be replayed.
	Credentials map[string]string
}

// WhatsAppCustomer is the wa_id of the demo's WhatsApp customer (Dmitri).
const WhatsAppCustomer = "15550143"

// Channels are the demo's channels, one of each kind.
var Channels = []Channel{
	{Kind: entchannel.KindSMS, Name: "Support SMS", PageName: "+1 555 555 0100", ExternalID: "+15555550100",
		Credentials: map[string]string{"accountSid": "AC5ef8732a3c49700934481addd5ce1659", "authToken": "9f86d081884c7d659a2feaa0c55ad015"}},
	{Kind: entchannel.KindWHATSAPP, Name: "WhatsApp", PageName: "+1 555 555 0101", ExternalID: "109876543210987",
		Credentials: meta("whatsapp")},
	{Kind: entchannel.KindMESSENGER, Name: "Facebook page", PageName: "Parley Furniture", ExternalID: "102938475610293",
		Credentials: meta("messenger")},
	{Kind: entchannel.KindINSTAGRAM, Name: "Instagram", PageName: "@parley.furniture", ExternalID: "17841400000000001",
		Credentials: meta("instagram")},
	{Kind: entchannel.KindLIVE_CHAT, Name: "Website chat", PageName: "parley.example"},
}

// meta is a Meta channel's credentials, named after its kind.
func meta(kind string) map[string]string {
	return map[string]string{
		"accessToken": "EAAG-demo-" + kind,
		"appSecret":   "demo-app-secret-" + kind,
		"verifyToken": "demo-verify-" + kind,
	}
}
