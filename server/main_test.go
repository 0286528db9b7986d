package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/server/app"
)

// binary is the server, built once for the tests that run it.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "parley-main-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "parley")
	code := 1
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// parley runs the binary to its end in a fresh data directory.
func parley(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(baseEnv(t), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func baseEnv(t *testing.T) []string {
	dir := t.TempDir()
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "PARLEY_DATA_DIR=" + dir,
		"DATABASE_URL=sqlite://" + filepath.Join(dir, "parley.db"), "PARLEY_ADDR=127.0.0.1:0"}
}

func TestCommandLine(t *testing.T) {
	out, _, code := parley(t, nil, "--help")
	if code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	for _, s := range app.Settings {
		if !strings.Contains(out, s.Env) || !strings.Contains(out, s.Default) {
			t.Errorf("--help does not list %s with its default %q", s.Env, s.Default)
		}
	}
	if out, _, code := parley(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "parley ") || !strings.Contains(out, "commit") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"version"}, {"--bogus"}, {"--demo", "extra"}} {
		out, errOut, code := parley(t, nil, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "Usage: parley") || strings.Contains(errOut, "listening") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and the usage on stderr", args, code, out, errOut)
		}
	}
}

func TestRefusals(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	_, errOut, code := parley(t, []string{"PARLEY_ADDR=" + addr})
	if code == 0 || !strings.Contains(errOut, addr) || strings.Contains(errOut, "listening") {
		t.Errorf("a taken port: exit %d, stderr %q; want an error naming %s, and no listening", code, errOut, addr)
	}
	_, errOut, code = parley(t, []string{"PARLEY_DEBUG_ADDR=0.0.0.0:6060"})
	if code == 0 || !strings.Contains(errOut, "PARLEY_DEBUG_ADDR must be a loopback address") {
		t.Errorf("a public debug address: exit %d, stderr %q", code, errOut)
	}
}

// A running server's request lines, and its profiler on the debug
// address only.
func TestRequestLinesAndProfiling(t *testing.T) {
	cmd := exec.Command(binary)
	cmd.Env = append(baseEnv(t), "PARLEY_DEBUG_ADDR=127.0.0.1:0", "PARLEY_ADMIN_EMAIL=admin@parley.test",
		"PARLEY_ADMIN_PASSWORD=admin-password", "PARLEY_BCRYPT_COST=4")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	logs := &logLines{}
	go logs.read(stderr)
	debugAddr := logs.wait(t, "profiling at /debug/pprof/")["addr"].(string)
	addr := logs.wait(t, "parley listening")["addr"].(string)
	base := "http://" + addr

	var post func(token, body string)
	post = func(token, body string) {
		req, _ := http.NewRequest("POST", base+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct {
			Data struct{ Login struct{ Token string } }
		}
		_ = json.NewDecoder(res.Body).Decode(&out)
		if out.Data.Login.Token != "" {
			post(out.Data.Login.Token, `{"query":"query Me { me { id } }"}`)
		}
	}
	post("", `{"query":"query Me { me { id } }"}`)
	line := logs.wait(t, "request")
	if line["operation"] != "Me" || line["client"] != "127.0.0.1" || line["user"] != nil ||
		!strings.Contains(jsonOf(line["errors"]), "UNAUTHENTICATED") {
		t.Errorf("anonymous request line: %v; want operation Me, client 127.0.0.1, errors UNAUTHENTICATED", line)
	}
	if _, isFloat := line["ms"].(float64); !isFloat {
		t.Errorf("request line without ms: %v", line)
	}
	post("", `{"query":"mutation Login { login(email:\"admin@parley.test\", password:\"admin-password\") { token } }"}`)
	logs.wait(t, "request") // the login
	line = logs.wait(t, "request")
	if line["operation"] != "Me" || line["user"] == nil || line["errors"] != nil {
		t.Errorf("signed-in request line: %v; want operation Me and a user", line)
	}

	get := func(url string) int {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := get(base + "/debug/pprof/"); s != 404 {
		t.Errorf("the public port answers /debug/pprof/ with %d, want 404", s)
	}
	if s := get("http://" + debugAddr + "/debug/pprof/"); s != 200 {
		t.Errorf("the debug address answers /debug/pprof/ with %d, want 200", s)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// logLines collects the server's JSON log lines.
type logLines struct {
	mu    sync.Mutex
	lines []map[string]any
	next  int
}

func (l *logLines) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			l.mu.Lock()
			l.lines = append(l.lines, m)
			l.mu.Unlock()
		}
	}
}

// wait returns the next line, after the last one returned, with msg.
func (l *logLines) wait(t *testing.T, msg string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		for i := l.next; i < len(l.lines); i++ {
			if l.lines[i]["msg"] == msg {
				l.next = i + 1
				l.mu.Unlock()
				return l.lines[i]
			}
		}
		l.mu.Unlock()
	}
	t.Fatalf("no %q line logged", msg)
	return nil
}
