package release

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// windowsPackages are the packages whose tests run for real as Windows programs, under Wine
// (make test-windows, and TestWindowsUnderWine in make test when Wine is installed). The README's
// "Every OS" section lists the same (TestWindowsPackagesMatchREADME). The others need Docker,
// sh, /proc or Unix signals, or fail under Wine for the reasons the README gives.
var windowsPackages = []string{
	"./bench", "./builtins/agentcore", "./builtins/aws", "./builtins/aws/awscall",
	"./builtins/cfn", "./builtins/diff", "./builtins/duration", "./builtins/ecr",
	"./builtins/iam", "./builtins/journal", "./builtins/jsonmod", "./builtins/logs",
	"./builtins/metrics", "./builtins/naming", "./builtins/project", "./builtins/retry",
	"./builtins/s3", "./builtins/secrets", "./builtins/ssm", "./builtins/statesync", "./engine",
	"./internal/bkstatus", "./internal/duration", "./internal/proctree", "./internal/startgc",
	"./local/auth", "./local/ecr", "./local/internal/awsproto", "./local/logs", "./local/metrics", "./local/otlp",
	"./local/registry", "./local/s3", "./local/secretsmanager", "./local/ssm", "./local/sts", "./project",
	"./recipes", "./state", "./templates",
}

// TestWindowsUnderWine runs the Windows test binaries of windowsPackages, and the Windows
// agentcore.exe for the commands that need no Docker, under Wine. Without Wine it skips and says
// so, unless AGENTCORE_WINE=required (then it fails).
func TestWindowsUnderWine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Windows tests under Wine")
	}
	w := newWine(t)

	t.Run("packages", func(t *testing.T) {
		args := append([]string{"test", "-count=1", "-overlay=" + w.overlay, "-exec=" + w.bin}, windowsPackages...)
		cmd := exec.Command("go", args...)
		cmd.Dir = "../.."
		cmd.Env = w.env("GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		t.Logf("GOOS=windows go test -exec wine64 ...:\n%s", out)
		if err != nil {
			t.Fatalf("the Windows tests failed under Wine: %v", err)
		}
	})

	t.Run("agentcore.exe", func(t *testing.T) {
		exe := filepath.Join(t.TempDir(), "agentcore.exe")
		build := exec.Command("go", "build", "-overlay="+w.overlay, "-o", exe, "./cmd/agentcore")
		build.Dir = "../.."
		build.Env = w.env("GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building agentcore.exe: %v\n%s", err, out)
		}
		proj := t.TempDir()
		run := func(wantCode int, args ...string) string {
			t.Helper()
			cmd := exec.Command(w.bin, append([]string{exe}, args...)...)
			cmd.Dir = proj
			cmd.Env = w.env("AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
				"DB_PASSWORD=marker-wine-7f3a")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatalf("agentcore.exe %s: %v", strings.Join(args, " "), err)
			}
			if code != wantCode {
				t.Fatalf("agentcore.exe %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stdout.String(), stderr.String())
			}
			return stdout.String() + stderr.String()
		}
		expect := func(out, pattern string) {
			t.Helper()
			if !regexp.MustCompile(pattern).MatchString(out) {
				t.Fatalf("output lacks %q:\n%s", pattern, out)
			}
		}
		expect(run(0, "--help"), `agentcore init \[DIR\]`)
		expect(run(0, "version"), `agentcore`)
		expect(run(0, "init", "--name", "winproj"), `created project winproj`)
		for _, f := range []string{"agentcore.toml", ".gitignore", ".luarc.json"} {
			if _, err := os.Stat(filepath.Join(proj, f)); err != nil {
				t.Fatalf("init wrote no %s: %v", f, err)
			}
		}
		expect(run(0, "recipes"), `(?m)^\s*create\s`)
		expect(run(0, "recipes", "show", "deploy"), `function`)
		expect(run(0, "docs", "toml"), `(?m)^# `)
		expect(run(0, "env"), `local`)
		expect(run(2, "no-such-recipe"), `no-such-recipe`)
		expect(run(0, "lua", "--eval", `fs.write("out/a.txt", "line\n"); print(fs.abs("out/a.txt"))`), `(?m)^[A-Z]:\\.*\\out\\a\.txt\r?$`)
		if b, err := os.ReadFile(filepath.Join(proj, "out", "a.txt")); err != nil || string(b) != "line\n" {
			t.Fatalf("fs.write under Windows wrote %q (%v), want \"line\\n\"", b, err)
		}

		// A recipe against moto (Secrets Manager): Wine's sockets reach the host's moto_server.
		moto, err := exec.LookPath("moto_server")
		if err != nil {
			t.Log("moto_server not on PATH: the recipe against moto was not run")
			return
		}
		url := startMoto(t, moto)
		toml, err := os.ReadFile(filepath.Join(proj, "agentcore.toml"))
		if err != nil {
			t.Fatal(err)
		}
		toml = append(toml, fmt.Sprintf("\n[environments.prod]\nprovider = \"aws\"\nregion = \"us-east-1\"\naccount = \"123456789012\"\nendpoint_url = %q\n", url)...)
		if err := os.WriteFile(filepath.Join(proj, "agentcore.toml"), toml, 0o644); err != nil {
			t.Fatal(err)
		}
		expect(run(0, "secret", "set", "db/main", "-e", "prod", "--from-env", "DB_PASSWORD"), `secret db/main \(agentcore/winproj/prod/db/main\): new value stored`)
		expect(run(0, "secret", "list", "-e", "prod"), `db/main`)
		expect(run(0, "secret", "delete", "db/main", "-e", "prod", "--force", "--yes"), `deleted secret db/main`)
	})
}

// startMoto starts moto_server on a free port and returns its URL; it is stopped at the end.
func startMoto(t *testing.T, moto string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(moto, "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("moto_server did not listen within 30s")
	return ""
}

// The README lists the packages whose tests run under Wine.
func TestWindowsPackagesMatchREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, p := range windowsPackages {
		quoted = append(quoted, "`"+p+"`")
	}
	want := strings.Join(quoted, ", ")
	if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), want) {
		t.Fatalf("README.md does not list the packages tested under Wine as %s", want)
	}
}
