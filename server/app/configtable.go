package app

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"text/tabwriter"
)

// Setting is one environment variable of the configuration: README.md's
// configuration table lists the same ones (a test holds them together),
// and --help prints them.
type Setting struct {
	Env, Default, Meaning string
}

// Settings is the configuration table.
var Settings = []Setting{
	{"PARLEY_ADDR", ":8080", "where the server listens"},
	{"DATABASE_URL", "sqlite://parley.db", "sqlite://FILE (embedded) or postgres://..."},
	{"PARLEY_DATA_DIR", "./data", "attachments, when stored on local disk"},
	{"PARLEY_ADMIN_EMAIL", "none", "on start, create this admin if no user exists yet"},
	{"PARLEY_ADMIN_PASSWORD", "none", "the password of that admin, on the first start only (later: changePassword)"},
	{"PARLEY_PLAN", "ENTERPRISE", "the organisation's plan: STANDARD, ENTERPRISE or ULTIMATE"},
	{"PARLEY_CORS_ORIGINS", "none: same origin only", "comma-separated origins whose pages may use the API from a browser; * for every origin"},
	{"PARLEY_PUBLIC_URL", "from PARLEY_ADDR (:8080 is http://localhost:8080)", "how the server names itself in the URLs it hands out and the webhook URLs providers call"},
	{"PARLEY_TWILIO_API_URL", "https://api.twilio.com", "Twilio's REST API, where SMS replies are posted"},
	{"PARLEY_META_GRAPH_URL", "https://graph.facebook.com/v23.0", "the Graph API of WhatsApp, Messenger and Instagram"},
	{"PARLEY_STORAGE_URL", "none: local disk, PARLEY_DATA_DIR/files", "a gocloud.dev bucket URL for attachments (s3://, file://, mem://)"},
	{"PARLEY_FILE_URL_SECRET", "generated once, kept in the database", "signs attachment download URLs (at least 32 characters)"},
	{"PARLEY_TRUSTED_PROXIES", "none", "addresses or prefixes of the load balancers whose X-Forwarded-For is believed"},
	{"PARLEY_MAX_BODY_BYTES", "1048576", "the largest JSON request body on /query (at least 1024)"},
	{"PARLEY_DEFAULT_REGION", "none: international numbers only", "the region (ISO 3166: DE, US, GB) phone numbers in national form are read in: 0170 1234567 is +49 170 1234567 with DE"},
	{"PARLEY_BCRYPT_COST", "10", "password hashing cost, 4-31 (a load-testing knob)"},
	{"PARLEY_TRANSCRIBE_URL", "none", "an OpenAI-compatible transcription endpoint; unset, the local engine if installed"},
	{"PARLEY_TRANSCRIBE_KEY", "none", "that endpoint's bearer key"},
	{"PARLEY_TRANSCRIBE_MODEL", "whisper-1", "the transcription model asked for"},
	{"PARLEY_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"PARLEY_LOG_FORMAT", "json", "json lines, or text for a terminal"},
	{"PARLEY_DEBUG_ADDR", "none", "a loopback address (127.0.0.1:6060) serving net/http/pprof at /debug/pprof/; never the public port"},
	{"PARLEY_ICE_SERVERS", "none: loopback and LAN calls only", "comma-separated stun:, turn: and turns: URLs that Call.iceServers hands a call's participants"},
	{"PARLEY_TURN_SECRET", "none", "coturn's static-auth-secret: TURN credentials valid for PARLEY_TURN_TTL are derived from it"},
	{"PARLEY_TURN_TTL", "1h", "how long a TURN credential lasts (1m to 168h)"},
	{"PARLEY_METRICS_ADDR", "none", "where Prometheus metrics are served: unset (none), on the main port at /metrics; else that address"},
}

// PrintSettings writes the configuration table, for --help.
func PrintSettings(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SETTING\tDEFAULT\tMEANING")
	for _, s := range Settings {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Env, s.Default, s.Meaning)
	}
	_ = tw.Flush()
}

// Version is the module version and VCS commit the binary was built from
// ("devel" and "unknown" when the build did not record them, as go run).
func Version() string {
	version, commit, modified := "devel", "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += " (modified)"
	}
	return strings.Join([]string{"parley", version, "commit", commit}, " ")
}
