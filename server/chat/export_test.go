package chat

// Exported for tests.
const (
	AccentFrom = accentFrom
	AccentTo   = accentTo
)
