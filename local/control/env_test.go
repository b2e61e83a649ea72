package control

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/registry"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/dockerclient"
	"github.com/agentcore/agentcore/internal/netns"
	testagent "github.com/agentcore/agentcore/internal/testagent/build"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

const testAccount = "123456789012"

// images built once per test process and pushed to a loopback registry.
var images = struct {
	sync.Mutex
	docker  *client.Client
	regHost string
	pushed  map[string]string // repository -> pushed reference
	stopReg func()
	built   []string
}{pushed: map[string]string{}}

func TestMain(m *testing.M) {
	netns.Init() // code sessions' sandboxes re-execute this binary (internal/netns)
	code := m.Run()
	cleanupImages()
	os.Exit(code)
}

func dockerOrSkip(t testing.TB) *client.Client {
	t.Helper()
	images.Lock()
	defer images.Unlock()
	if images.docker == nil {
		cli, err := dockerclient.New()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err = cli.Ping(ctx)
			cli.NegotiateAPIVersion(ctx) // before concurrent use: the client's negotiation races
			cancel()
		}
		if err != nil {
			t.Skipf("no Docker engine: %v", err)
		}
		images.docker = cli
	}
	return images.docker
}

// registryHost starts (once) an in-process OCI registry on a loopback port: the Docker engine
// pushes to and pulls from 127.0.0.0/8 registries over plain HTTP.
func registryHost(t testing.TB) string {
	t.Helper()
	images.Lock()
	defer images.Unlock()
	if images.regHost == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: registry.New(registry.Logger(discardLogger()))}
		go srv.Serve(ln)
		images.regHost = ln.Addr().String()
		images.stopReg = func() { srv.Close() }
	}
	return images.regHost
}

// agentImage returns the containerUri of the test agent, building and pushing it once.
func agentImage(t testing.TB) string { return pushedImage(t, "testagent", "") }

// foreignImage is the test agent built for an architecture this machine cannot run.
func foreignImage(t testing.TB) string {
	arch := "arm64"
	if runtime.GOARCH == "arm64" {
		arch = "amd64"
	}
	return pushedImage(t, "testagent-foreign", arch)
}

// pushedImage builds the test agent for goarch ("" for this machine) and pushes it to the test
// registry, once per process.
func pushedImage(t testing.TB, repo, goarch string) string {
	t.Helper()
	cli := dockerOrSkip(t)
	host := registryHost(t)
	images.Lock()
	defer images.Unlock()
	if ref, ok := images.pushed[repo]; ok {
		return ref
	}
	ref := fmt.Sprintf("%s/%s:t%d", host, repo, time.Now().UnixNano())
	if err := testagent.Image(t, cli, ref, goarch); err != nil {
		t.Fatal(err)
	}
	images.built = append(images.built, ref)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := testagent.Push(ctx, cli, ref, ""); err != nil {
		t.Fatal(err)
	}
	images.pushed[repo] = ref
	return ref
}

func cleanupImages() {
	images.Lock()
	defer images.Unlock()
	if images.docker == nil {
		return
	}
	for _, ref := range images.built {
		testagent.RemoveImage(images.docker, ref)
	}
	if images.stopReg != nil {
		images.stopReg()
	}
}

// env is one control-plane service served on a loopback port, with SDK clients pointed at it.
type env struct {
	t       *testing.T
	dir     string
	url     string
	db      *bolt.DB
	svc     *Service
	srv     *http.Server
	ctl     *ctl.Client
	data    *bedrockagentcore.Client
	docker  *client.Client
	timeout time.Duration
}

// newEnv serves a Service backed by a fresh database (or dir's, when reopening), as
// local.Server does.
func newEnv(t *testing.T, dir string, pingTimeout time.Duration) *env {
	t.Helper()
	cli := dockerOrSkip(t)
	if dir == "" {
		dir = t.TempDir()
		t.Cleanup(func() { removeContainers(cli, dir) })
	}
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{Config: awsproto.Config{DB: db, Account: testAccount, Region: "us-east-1", Logf: t.Logf}, Docker: cli, StateLabel: dir, PingTimeout: pingTimeout})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: svc}
	go srv.Serve(ln)
	svc.Start(RegistryHostFor(ln.Addr()))
	e := &env{t: t, dir: dir, url: "http://" + ln.Addr().String(), db: db, svc: svc, srv: srv, docker: cli, timeout: pingTimeout}
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	}
	e.ctl = ctl.NewFromConfig(cfg, func(o *ctl.Options) { o.BaseEndpoint = aws.String(e.url) })
	e.data = bedrockagentcore.NewFromConfig(cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(e.url) })
	t.Cleanup(e.close)
	return e
}

// with returns a copy of e that reports to t (for subtests).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// close stops serving and closes the database; containers keep running.
func (e *env) close() {
	if e.srv == nil {
		return
	}
	e.srv.Close()
	e.svc.Close()
	e.db.Close()
	e.srv = nil
}

func removeContainers(cli *client.Client, dir string) {
	ctx := context.Background()
	found, _ := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelState+"="+dir))})
	for _, c := range found {
		cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}

func (e *env) containers(runtimeID string) []container.Summary {
	e.t.Helper()
	found, err := e.docker.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", LabelState+"="+e.dir), filters.Arg("label", LabelRuntime+"="+runtimeID))})
	if err != nil {
		e.t.Fatal(err)
	}
	return found
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
