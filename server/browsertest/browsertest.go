// Package browsertest lets a Go test drive a real browser: it runs a Node.js
// script with Playwright (playwright-core, installed in this folder by
// `npm ci`) against the system's headless Chromium and a running server.
//
// Without node, playwright-core or Chromium the test is skipped and says
// what is missing; with PARLEY_REQUIRE_BROWSER=1 (CI) it fails instead.
// .ci/browser-deps installs both.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options configure one Run.
type Options struct {
	// URL is the server under test (BROWSERTEST_URL); requests to any other
	// host are refused and fail the run.
	URL string
	// Params reach the script as t.params (JSON).
	Params any
	// Timeout bounds the script; 60s if zero.
	Timeout time.Duration
	// Args are extra Chromium flags (--use-fake-device-for-media-stream).
	Args []string
}

// Report is what the script's run produced.
type Report struct {
	OK            bool            `json:"ok"`
	Result        json.RawMessage `json:"result"` // what the script returned
	Error         string          `json:"error"`
	External      []string        `json:"external"` // refused requests off the machine
	ConsoleErrors []string        `json:"consoleErrors"`
	PageErrors    []string        `json:"pageErrors"` // uncaught exceptions in the page
	Screenshots   []string        `json:"screenshots"`
}

// Decode unmarshals the script's result into v, failing the test if it cannot.
func (r *Report) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Result, v); err != nil {
		t.Fatalf("browser script result %s: %v", r.Result, err)
	}
}

// Run runs script (a CommonJS file, see harness.cjs) and returns its report,
// failing the test if the script failed. Screenshots go to a temporary folder
// that is kept, and named in the log, when the test fails, or to
// $PARLEY_BROWSER_ARTIFACTS/<test name> when that is set.
func Run(t testing.TB, script string, opts Options) *Report {
	t.Helper()
	s := Require(t)
	rep, log, err := s.Run(script, opts, artifactDir(t))
	if log != "" {
		t.Logf("browser log (%s):\n%s", filepath.Base(script), log)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// Run runs script with screenshots going to out, and returns the report and
// the script's log. The error says why the run failed, if it did.
func (s *Setup) Run(script string, opts Options, out string) (*Report, string, error) {
	abs, err := filepath.Abs(script)
	if err != nil {
		return nil, "", err
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	params, err := json.Marshal(opts.Params)
	if err != nil {
		return nil, "", fmt.Errorf("browser params: %w", err)
	}
	args, err := json.Marshal(append([]string{}, opts.Args...))
	if err != nil {
		return nil, "", fmt.Errorf("browser args: %w", err)
	}

	// The harness has its own timeout; this one is for a hung Node or Chromium.
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Node, filepath.Join(s.Dir, "harness.cjs"), abs)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(),
		"BROWSERTEST_URL="+opts.URL,
		"BROWSERTEST_PARAMS="+string(params),
		"BROWSERTEST_ARGS="+string(args),
		"BROWSERTEST_OUT="+out,
		"BROWSERTEST_CHROMIUM="+s.Chromium,
		fmt.Sprintf("BROWSERTEST_TIMEOUT_MS=%d", opts.Timeout.Milliseconds()),
	)
	// SIGTERM lets Playwright close Chromium; SIGKILL follows if it does not.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	log := strings.TrimSpace(stderr.String())

	var rep Report
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		return nil, log, fmt.Errorf("browser script %s: %v; no report (%v): %s", script, runErr, err, stdout.String())
	}
	if !rep.OK || runErr != nil {
		return &rep, log, fmt.Errorf("browser script %s failed: %s\nrefused off-machine requests: %q\nconsole errors: %q\npage errors: %q\nscreenshots: %q",
			script, or(rep.Error, fmt.Sprint(runErr)), rep.External, rep.ConsoleErrors, rep.PageErrors, rep.Screenshots)
	}
	return &rep, log, nil
}

// Setup is what a browser test needs, found on this machine.
type Setup struct {
	Node     string // the node executable
	Dir      string // this package's folder, holding harness.cjs and node_modules
	Chromium string
}

// Require finds the setup or skips the test, saying what is missing; with
// PARLEY_REQUIRE_BROWSER=1 it fails the test instead.
func Require(t testing.TB) *Setup {
	t.Helper()
	s, err := Find()
	if err != nil {
		missing(t, err)
	}
	return s
}

// Node finds node and the named npm packages (of package.json, installed
// here by `npm ci`) for a test that runs a Node.js script without a
// browser: run it with NODE_PATH=nodeModules. Like Require, it skips the
// test when something is missing, or fails it under PARLEY_REQUIRE_BROWSER=1.
func Node(t testing.TB, packages ...string) (node, nodeModules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, errors.New("node is not on the PATH"))
	}
	dir, err := packageDir()
	if err != nil {
		t.Fatal(err)
	}
	nodeModules = filepath.Join(dir, "node_modules")
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(nodeModules, p, "package.json")); err != nil {
			missing(t, fmt.Errorf("%s is not installed (npm ci in %s)", p, dir))
		}
	}
	return node, nodeModules
}

func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("PARLEY_REQUIRE_BROWSER") == "1" {
		t.Fatalf("browser test cannot run (PARLEY_REQUIRE_BROWSER=1): %v", err)
	}
	t.Skipf("browser test skipped: %v (.ci/browser-deps installs what is missing)", err)
}

// Find looks for node, playwright-core and Chromium (PARLEY_CHROMIUM, else
// /usr/bin/chromium, else chromium on the PATH).
func Find() (*Setup, error) {
	var s Setup
	var missing []string
	var err error
	if s.Node, err = exec.LookPath("node"); err != nil {
		missing = append(missing, "node is not on the PATH")
	}
	if s.Dir, err = packageDir(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "playwright-core is not installed (npm ci in "+s.Dir+")")
	}
	s.Chromium = os.Getenv("PARLEY_CHROMIUM")
	if s.Chromium == "" {
		s.Chromium = "/usr/bin/chromium"
		if _, err := os.Stat(s.Chromium); err != nil {
			s.Chromium, _ = exec.LookPath("chromium")
		}
	}
	if s.Chromium == "" {
		missing = append(missing, "chromium is not installed (apt-get install chromium)")
	} else if _, err := os.Stat(s.Chromium); err != nil {
		missing = append(missing, "no Chromium at "+s.Chromium)
	}
	if len(missing) > 0 {
		return nil, errors.New(strings.Join(missing, "; "))
	}
	return &s, nil
}

// packageDir is server/browsertest in the module holding the working
// directory: go test runs in the tested package's folder.
func packageDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "server", "browsertest"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

var unsafeName = regexp.MustCompile(`[^\w.-]+`)

func artifactDir(t testing.TB) string {
	t.Helper()
	name := unsafeName.ReplaceAllString(t.Name(), "_")
	if base := os.Getenv("PARLEY_BROWSER_ARTIFACTS"); base != "" {
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir, err := os.MkdirTemp("", "parley-browser-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser screenshots kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
