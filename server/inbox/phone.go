package inbox

import (
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneInput bounds a phone number as typed, before parsing.
const maxPhoneInput = 40

// NormalizePhone turns a phone number as written into E.164 (+491701234567).
// A national form (0170 1234567) or one with an international call prefix
// (0049 170 1234567) is read in region, the organisation's default
// (PARLEY_DEFAULT_REGION, an ISO 3166 code such as DE); with no region only
// international forms (+49 …) are understood. Possible numbers are taken
// (of a plausible length for their country), not only assigned ones:
// a new range must not be refused by an old table.
func NormalizePhone(p, region string) (string, bool) {
	p = strings.TrimSpace(p)
	if p == "" || len(p) > maxPhoneInput {
		return "", false
	}
	for _, r := range p {
		if !unicode.IsDigit(r) && !strings.ContainsRune("+ -()./", r) {
			return "", false
		}
	}
	if !strings.HasPrefix(p, "+") && region == "" {
		return "", false
	}
	num, err := phonenumbers.Parse(p, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// ValidRegion says whether code is a region phone numbers are read in.
func ValidRegion(code string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(code)) != 0
}
