package control

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// The host side of commands and shells (code versions run as host processes): the real
// /bin/sh, as a session's commands run.

func TestHostCommandStreamsAndExitCode(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	p, err := startHostProc(ctx, execTarget{dir: dir, env: []string{"PATH=" + os.Getenv("PATH"), "GREETING=hi"}},
		procSpec{argv: append(append([]string{}, commandShell...), `echo "$GREETING from $(pwd)"; echo oops >&2; exit 3`)})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(p.stdout)
	errOut, _ := io.ReadAll(p.stderr)
	code, err := p.wait(ctx)
	if err != nil || code != 3 {
		t.Fatalf("exit code %d, %v; want 3", code, err)
	}
	if got := string(out); got != "hi from "+dir+"\n" {
		t.Errorf("stdout %q", got)
	}
	if got := string(errOut); got != "oops\n" {
		t.Errorf("stderr %q", got)
	}
}

func TestHostCommandKilled(t *testing.T) {
	ctx := context.Background()
	p, err := startHostProc(ctx, execTarget{dir: t.TempDir(), env: []string{"PATH=" + os.Getenv("PATH")}},
		procSpec{argv: append(append([]string{}, commandShell...), "echo started; sleep 600")})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, _ := p.stdout.Read(buf); string(buf[:n]) != "started\n" {
		t.Fatalf("stdout %q", buf[:n])
	}
	p.kill()
	// The whole group goes: sleep does not keep the pipes open.
	io.ReadAll(p.stdout)
	if code, err := p.wait(ctx); err != nil || code != 128+9 {
		t.Fatalf("exit code %d, %v; want 137 (SIGKILL)", code, err)
	}
}

func TestHostShellOnATerminal(t *testing.T) {
	ctx := context.Background()
	p, err := startHostProc(ctx, execTarget{dir: t.TempDir(), env: []string{"PATH=" + os.Getenv("PATH"), "PS1=$ "}},
		procSpec{argv: shellCommand, tty: true, rows: 24, cols: 80, env: []string{"TERM=dumb"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.kill()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, p.stdout); close(done) }()
	if err := p.resize(40, 132); err != nil {
		t.Fatal(err)
	}
	io.WriteString(p.stdin, "stty size; exit 5\n")
	select {
	case <-done:
	case <-time.After(time.Minute): // a guard against a hang, not a speed check
		t.Fatalf("the shell did not end; it wrote %q", out.String())
	}
	code, err := p.wait(ctx)
	if err != nil || code != 5 {
		t.Fatalf("exit code %d, %v; want 5", code, err)
	}
	if !strings.Contains(out.String(), "40 132") {
		t.Errorf("stty size after the resize: %q", out.String())
	}
}
