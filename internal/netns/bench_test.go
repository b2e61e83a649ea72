//go:build linux

package netns_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/agentcore/agentcore/internal/netns"
)

// What a sandbox costs: from nothing to the agent's first HTTP answer, and per request (a new
// connection each, as the local endpoint's proxy makes), against the same agent run directly
// on a host port.
//
//	go test -run '^$' -bench . ./internal/netns

func BenchmarkStartToFirstAnswer(b *testing.B) {
	b.Run("sandbox", func(b *testing.B) {
		needSandboxes(b)
		dir := b.TempDir()
		for i := 0; b.Loop(); i++ {
			s := agentSpec(filepath.Join(dir, strconv.Itoa(i)), "bench", "bench")
			sb, err := netns.Start(context.Background(), s)
			if err != nil {
				b.Fatal(err)
			}
			answer(b, func(ctx context.Context) (net.Conn, error) { return sb.Dial(ctx) })
			if err := sb.Stop(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			cmd, dial := direct(b)
			answer(b, dial)
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
}

func BenchmarkRequest(b *testing.B) {
	b.Run("sandbox", func(b *testing.B) {
		sb, _ := start(b, "bench")
		dial := func(ctx context.Context) (net.Conn, error) { return sb.Dial(ctx) }
		answer(b, dial)
		for b.Loop() {
			answer(b, dial)
		}
	})
	b.Run("direct", func(b *testing.B) {
		cmd, dial := direct(b)
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		answer(b, dial)
		for b.Loop() {
			answer(b, dial)
		}
	})
}

// direct starts the test agent on a free host port, as the local endpoint runs code agents
// without sandboxes.
func direct(b *testing.B) (*exec.Cmd, func(context.Context) (net.Conn, error)) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = []string{"NETNS_TEST_AGENT=serve", "WHO=bench", "PORT=" + port}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var d net.Dialer
	return cmd, func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
}

// answer GETs / over a new connection and checks the answer.
func answer(b testing.TB, dial func(context.Context) (net.Conn, error)) {
	if got := getOver(b, dial); got != "bench" {
		b.Fatalf("answered %q", got)
	}
}
