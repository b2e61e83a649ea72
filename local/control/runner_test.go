package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeDocker is an engine whose containers are described by the test; "running" containers
// publish port 8080 on addr.
type fakeDocker struct {
	pullErr  string // streamed as an errorDetail
	addr     string // host:port the container's 8080 is published on
	exitCode int    // when set, the container is not running and exited with it
	logs     string
	creates  atomic.Int32
	busy     int // the name stays taken for this many creates (a removal still under way)
	mu       sync.Mutex
	existing []container.Summary
}

func (f *fakeDocker) ImagePull(ctx context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	if f.pullErr != "" {
		return io.NopCloser(strings.NewReader(`{"status":"Pulling"}` + "\n" + `{"errorDetail":{"message":"` + f.pullErr + `"},"error":"` + f.pullErr + `"}`)), nil
	}
	return io.NopCloser(strings.NewReader(`{"status":"Downloaded"}`)), nil
}

func (f *fakeDocker) ImageInspect(context.Context, string, ...client.ImageInspectOption) (image.InspectResponse, error) {
	arch := goruntime.GOARCH
	if strings.Contains(f.logs, "exec format error") {
		arch = "arm64" // an image of another platform (this test does not run on arm64)
	}
	return image.InspectResponse{Os: "linux", Architecture: arch}, nil
}

func (f *fakeDocker) ContainerCreate(_ context.Context, cfg *container.Config, _ *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	f.creates.Add(1)
	time.Sleep(50 * time.Millisecond) // widen the window for concurrent callers
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy > 0 {
		f.busy--
		return container.CreateResponse{}, fmt.Errorf(`Error response from daemon: Conflict. The container name "/%s" is already in use by container "9344f9b11c12". You have to remove (or rename) that container to be able to reuse that name.`, name)
	}
	f.existing = append(f.existing, container.Summary{ID: "c0ffee" + name, Labels: cfg.Labels})
	return container.CreateResponse{ID: "c0ffee" + name}, nil
}

func (f *fakeDocker) ContainerStart(context.Context, string, container.StartOptions) error {
	return nil
}

func (f *fakeDocker) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	host, port, _ := net.SplitHostPort(f.addr)
	ns := &container.NetworkSettings{}
	ns.Ports = nat.PortMap{"8080/tcp": {{HostIP: host, HostPort: port}}}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: id, State: &container.State{Running: f.exitCode == 0, ExitCode: f.exitCode}},
		NetworkSettings:   ns,
	}, nil
}

func (f *fakeDocker) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.existing, nil
}

func (f *fakeDocker) ContainerLogs(context.Context, string, container.LogsOptions) (io.ReadCloser, error) {
	// Multiplexed stream: header [stream, 0, 0, 0, size(4 bytes big endian)] + payload.
	p := []byte(f.logs)
	hdr := []byte{2, 0, 0, 0, byte(len(p) >> 24), byte(len(p) >> 16), byte(len(p) >> 8), byte(len(p))}
	return io.NopCloser(strings.NewReader(string(append(hdr, p...)))), nil
}

func (f *fakeDocker) ContainerRemove(context.Context, string, container.RemoveOptions) error {
	return nil
}

func newTestRunner(d Docker) *runner {
	return &runner{
		docker: d, stateLabel: "/state", region: "us-east-1", pingTimeout: 2 * time.Second,
		resolve: func(u string) string { return u }, http: http.DefaultClient,
	}
}

func TestRunnerExplainsFailures(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"Healthy"}`) }))
	defer healthy.Close()
	addr := strings.TrimPrefix(healthy.URL, "http://")
	cases := []struct {
		name string
		d    *fakeDocker
		want []string
	}{
		{"manifest unknown", &fakeDocker{pullErr: "manifest for 127.0.0.1:5000/bot:v9 not found: manifest unknown", addr: addr},
			[]string{"not found in the registry", `repository "bot" has no image "v9"`}},
		{"name unknown", &fakeDocker{pullErr: "repository 127.0.0.1:5000/bot not found: name unknown", addr: addr},
			[]string{`repository "bot" does not exist`}},
		{"registry down", &fakeDocker{pullErr: "Get http://127.0.0.1:5000/v2/: dial tcp: connection refused", addr: addr},
			[]string{"not reachable from the Docker engine"}},
		{"exited", &fakeDocker{exitCode: 137, logs: "boom\n", addr: addr}, []string{"exited with code 137", "last log lines: boom"}},
		{"exec format", &fakeDocker{exitCode: 1, logs: "exec /app: exec format error\n", addr: addr}, []string{"another platform", "linux/arm64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := startVersion(newTestRunner(c.d), runtimeConfig{ContainerURI: "127.0.0.1:5000/bot:v9"})
			var de *deployError
			if !errors.As(err, &de) {
				t.Fatalf("want a deployError, got %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

// startVersion verifies a version and starts a sandbox of it, as a rollout does.
func startVersion(r *runner, cfg runtimeConfig) (*sandbox, error) {
	if err := r.verify(context.Background(), "bot-abcdefghij", 1, cfg); err != nil {
		return nil, err
	}
	sb := newSandbox("bot-abcdefghij", 1, cfg)
	return sb, r.startSandbox(context.Background(), sb, cfg)
}

// TestRunnerWaitsForTheName: a version's container name still taken (its removal under way in
// the engine) is removed and the create tried again until the name is free.
func TestRunnerWaitsForTheName(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"status":"Healthy"}`) }))
	defer healthy.Close()
	d := &fakeDocker{addr: strings.TrimPrefix(healthy.URL, "http://"), busy: 3}
	if _, err := startVersion(newTestRunner(d), runtimeConfig{ContainerURI: "127.0.0.1:5000/bot:v1"}); err != nil {
		t.Fatal(err)
	}
	if n := d.creates.Load(); n != 4 {
		t.Fatalf("%d creates, want 4 (three refused while the name was taken)", n)
	}
}

func TestRegistryHostFor(t *testing.T) {
	for in, want := range map[string]string{"127.0.0.1:5000": "127.0.0.1:5000", "0.0.0.0:80": "127.0.0.1:80", "[::]:81": "127.0.0.1:81", "[::1]:82": "[::1]:82"} {
		addr, _ := net.ResolveTCPAddr("tcp", in)
		if got := RegistryHostFor(addr); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestResolveURI(t *testing.T) {
	s := &Service{registryHost: "127.0.0.1:4000", pastHosts: map[string]bool{"127.0.0.1:3999": true, "127.0.0.1:4000": true}}
	for in, want := range map[string]string{
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/bot:v1":       "127.0.0.1:4000/bot:v1",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/a/b@sha256:0": "127.0.0.1:4000/a/b@sha256:0",
		"127.0.0.1:3999/bot:v1":                                     "127.0.0.1:4000/bot:v1",
		"127.0.0.1:4000/bot:v1":                                     "127.0.0.1:4000/bot:v1",
		"127.0.0.1:5000/bot:v1":                                     "127.0.0.1:5000/bot:v1",
		"public.ecr.aws/x/y:z":                                      "public.ecr.aws/x/y:z",
	} {
		if got := s.resolveURI(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestIsDataPlane(t *testing.T) {
	for _, c := range []struct {
		method, path string
		want         bool
	}{
		{"POST", "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fa-0123456789/invocations", true},
		{"POST", "/runtimes/a-0123456789/stopruntimesession", true},
		{"POST", "/runtimes/a-0123456789/invocations/", true},
		{"GET", "/runtimes/a-0123456789/invocations", false},
		{"POST", "/runtimes/", false},
		{"POST", "/runtimes/a-0123456789/versions/", false},
		{"POST", "/runtimes/a-0123456789/runtime-endpoints/", false},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if got := IsDataPlane(r); got != c.want {
			t.Errorf("%s %s: %v", c.method, c.path, got)
		}
	}
}

// networkGone recognises the engine's refusal to start a container whose network was removed
// after the container was created on it (the engine checks the network only at start).
func TestNetworkGoneRecognisesTheEngine(t *testing.T) {
	cli := dockerOrSkip(t)
	ctx := context.Background()
	image := agentImage(t)
	nw, err := cli.NetworkCreate(ctx, fmt.Sprintf("agentcore-test-gone-%d", time.Now().UnixNano()), network.CreateOptions{Driver: "bridge"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: image}, &container.HostConfig{NetworkMode: container.NetworkMode(nw.ID)}, nil, nil, "")
	if err != nil {
		cli.NetworkRemove(ctx, nw.ID)
		t.Fatal(err)
	}
	defer cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true})
	if err := cli.NetworkRemove(ctx, nw.ID); err != nil {
		t.Fatalf("removing the network of a container not started: %v", err)
	}
	err = cli.ContainerStart(ctx, c.ID, container.StartOptions{})
	if err == nil || !networkGone(err) {
		t.Fatalf("start on a removed network: %v, not recognised", err)
	}
}
