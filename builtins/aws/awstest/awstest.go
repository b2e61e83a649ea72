// Package awstest runs the AWS builtins' tests against a real AWS emulator: moto_server
// (Python moto) started on a free loopback port, one per test binary. Tests skip when
// moto_server is not on PATH. Differences between moto and AWS are listed in
// docs/moto-differences.md.
package awstest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/engine/enginetest"
	"github.com/agentcore/agentcore/project"
)

// Account is moto's default account id: what STS GetCallerIdentity answers.
const Account = "123456789012"

var (
	mu      sync.Mutex
	server  *exec.Cmd
	baseURL string
	logPath string // moto_server's output, shown when it does not start
)

// Main runs the package's tests and stops moto_server afterwards. Use it from TestMain:
//
//	func TestMain(m *testing.M) { awstest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if server != nil && server.Process != nil {
		_ = server.Process.Kill()
		_ = server.Wait()
	}
	if logPath != "" {
		_ = os.Remove(logPath)
	}
	mu.Unlock()
	os.Exit(code)
}

// Moto returns the base URL of the test binary's moto_server, starting it on first use, and
// skips the test when moto_server is not installed.
func Moto(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if baseURL != "" {
		return baseURL
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server not on PATH (pip install 'moto[server]')")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-p", fmt.Sprint(port), "-H", "127.0.0.1")
	logf, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	logPath = logf.Name()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto_server: %v", err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("moto_server did not start on %s: %v\n%s", url, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	server, baseURL = cmd, url
	return url
}

// AWS is the AWS layer of a test program without a local endpoint: environments of provider
// "aws" (moto, a test server) work; provider "local" is refused.
func AWS() *awscall.AWS { return awscall.New(awscall.Local{}) }

// Isolate points the AWS SDK at dummy credentials and away from the user's ~/.aws files and
// the EC2 metadata service, for the duration of the test.
func Isolate(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
}

// UseEnv selects an environment named "test" with provider "aws" pointing at endpoint (moto
// or a test server) in h's run. Change the returned Environment to vary it.
func UseEnv(t testing.TB, h *enginetest.Harness, endpoint string) *project.Environment {
	t.Helper()
	Isolate(t)
	env := &project.Environment{Name: "test", Provider: "aws", Region: "us-east-1", Account: Account, EndpointURL: endpoint}
	h.Run.Project = &project.Project{Name: "test", Dir: h.Run.Dir,
		Environments: map[string]*project.Environment{"test": env}}
	h.Run.EnvName = "test"
	return env
}

// RequiredFields checks that each named class of mod declares exactly the given fields
// (space-separated, in declaration order) as required: what the reference and the LuaLS stubs
// show without a "?".
func RequiredFields(t testing.TB, mod *engine.Module, want map[string]string) {
	t.Helper()
	mod.Prepare()
	seen := map[string]bool{}
	for _, c := range mod.AllClasses() {
		names, ok := want[c.Name]
		if !ok {
			continue
		}
		seen[c.Name] = true
		var required []string
		for _, f := range c.FieldList() {
			if !f.Optional {
				required = append(required, f.Name)
			}
		}
		if got := strings.Join(required, " "); got != names {
			t.Errorf("%s: required fields %q, want %q", c.Name, got, names)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("class %s is not declared by module %s", name, mod.Name)
		}
	}
}
