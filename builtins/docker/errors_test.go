package docker

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/docker/client"

	"github.com/agentcore/agentcore/engine"
)

// engineErr returns the error a real client gives for a ping, with opts applied.
func engineErr(t *testing.T, ctx context.Context, opts ...client.Opt) error {
	t.Helper()
	c, err := client.NewClientWithOpts(append([]client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ServerVersion(ctx)
	if err == nil {
		t.Fatal("expected an error from the engine")
	}
	return err
}

func TestExplain(t *testing.T) {
	bg := context.Background()
	cancelled, cancel := context.WithCancel(bg)
	cancel()
	// Root can open any socket, so the permission error comes from a dialer failing the way
	// connect(2) does on a socket the user may not open; the client wraps it as it would.
	eacces := client.WithDialContext(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}
	})
	notFound := func() error {
		c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.ImageInspect(bg, "agentcore-test-no-such-image:1")
		return err
	}()
	tests := []struct {
		name string
		err  error
		code int
		msg  string
		hint string
	}{
		{"engine not running", engineErr(t, bg, client.WithHost("unix:///nonexistent.sock")), engine.ExitFailure,
			"doing: the Docker engine is not running or not reachable at HOST", "docker context ls"},
		{"engine refuses tcp", engineErr(t, bg, client.WithHost("tcp://127.0.0.1:1")), engine.ExitFailure,
			"not running or not reachable", "start Docker"},
		{"socket permission", engineErr(t, bg, client.WithHost("unix:///var/run/docker.sock"), eacces), engine.ExitFailure,
			"doing: permission denied on the Docker socket at HOST", "docker group"},
		{"interrupted", engineErr(t, cancelled), engine.ExitInterrupted, "doing: interrupted", ""},
		{"no such image", notFound, engine.ExitFailure, "doing: No such image: agentcore-test-no-such-image:1", "docker.build"},
		{"ecr repository missing", errors.New("name unknown: The repository with name 'my-bot' does not exist in the registry with id '123456789012'"),
			engine.ExitFailure, "doing: the repository does not exist in the registry: name unknown", "ecr.create_repository"},
		{"ecr token expired", errors.New("denied: Your authorization token has expired. Reauthenticate and try again."),
			engine.ExitFailure, "the registry denied access", "ecr.login"},
		{"registry down", errors.New(`Get "https://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused`),
			engine.ExitFailure, "the registry is not reachable (connection refused)", "reachable from the Docker engine"},
		{"plain http registry", errors.New("Get \"https://10.0.0.5:5000/v2/\": http: server gave HTTP response to HTTPS client"),
			engine.ExitFailure, "the registry speaks plain HTTP", "insecure-registries"},
		{"foreign binary", errors.New(`RUN pip install -r requirements.txt: standard_init_linux.go:228: exec user process caused: exec format error`),
			engine.ExitFailure, "could not run a binary built for another platform", "binfmt"},
		{"other", errors.New("something else"), engine.ExitFailure, "doing: something else", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := explain(tt.err, "doing", "HOST")
			var e *engine.Error
			if !errors.As(err, &e) {
				t.Fatalf("explain returned %T: %v", err, err)
			}
			if e.Code != tt.code || !strings.Contains(e.Msg, tt.msg) || !strings.Contains(e.Hint, tt.hint) {
				t.Errorf("got code %d %q hint %q; want code %d, %q, hint with %q\n(from %v)", e.Code, e.Msg, e.Hint, tt.code, tt.msg, tt.hint, tt.err)
			}
			if tt.hint == "" && e.Hint != "" {
				t.Errorf("unexpected hint %q", e.Hint)
			}
			if !errors.Is(err, tt.err) {
				t.Error("the cause is not kept")
			}
		})
	}
	// The two engine problems users confuse must not be confused here.
	down := explain(engineErr(t, bg, client.WithHost("unix:///nonexistent.sock")), "d", "h").(*engine.Error)
	perm := explain(engineErr(t, bg, eacces), "d", "h").(*engine.Error)
	if down.Hint == perm.Hint || strings.Contains(down.Msg, "permission") || strings.Contains(perm.Msg, "not running") {
		t.Errorf("not running %q / permission %q", down.Msg, perm.Msg)
	}
}

func TestRepoDigest(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	digests := []string{"127.0.0.1:5000/bot@" + d, "123.dkr.ecr.us-east-1.amazonaws.com/bot@" + d, "library/ubuntu@" + d}
	for ref, want := range map[string]string{
		"127.0.0.1:5000/bot:1":                      digests[0],
		"123.dkr.ecr.us-east-1.amazonaws.com/bot:7": digests[1],
		"ubuntu":                            digests[2],
		"docker.io/library/ubuntu:22.04":    digests[2],
		"other/bot:1":                       "",
		"sha256:" + strings.Repeat("b", 64): "",
	} {
		if got := repoDigest(ref, digests); got != want {
			t.Errorf("repoDigest(%s) = %q, want %q", ref, got, want)
		}
	}
}

func TestNormalizePlatform(t *testing.T) {
	for in, want := range map[string]string{"linux/arm64": "linux/arm64", "Linux/AARCH64": "linux/arm64", "linux/x86_64": "linux/amd64", "linux/arm/v7": "linux/arm/v7"} {
		if got, err := normalizePlatform(in); err != nil || got != want {
			t.Errorf("normalizePlatform(%s) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"arm64", "linux/", "/arm64", "a/b/c/d"} {
		if _, err := normalizePlatform(bad); err == nil {
			t.Errorf("normalizePlatform(%s) accepted", bad)
		}
	}
}
