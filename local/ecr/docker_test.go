package ecr_test

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	dockerregistry "github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/dockerclient"
	localecr "github.com/agentcore/agentcore/local/ecr"
	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/registry"
)

// uploadCounter counts the blob uploads the registry receives.
type uploadCounter struct {
	next http.Handler
	mu   sync.Mutex
	n    int
}

func (u *uploadCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/blobs/uploads") && r.URL.Query().Get("mount") == "" {
		u.mu.Lock()
		u.n++
		u.mu.Unlock()
	}
	u.next.ServeHTTP(w, r)
}

func (u *uploadCounter) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n
}

// localServer is the ECR API and the registry on one address, reopenable on the same port.
type localServer struct {
	t       *testing.T
	dir     string
	addr    string
	db      *bolt.DB
	srv     *httptest.Server
	uploads *uploadCounter
	ecr     *ecr.Client
}

func (s *localServer) start() {
	t := s.t
	db, err := bolt.Open(filepath.Join(s.dir, "local.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(registry.Config{Dir: filepath.Join(s.dir, "registry")})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	api, err := localecr.New(localecr.Config{Config: awsproto.Config{DB: db, Account: account, Region: region}, Registry: reg, RegistryHost: s.addr})
	if err != nil {
		t.Fatal(err)
	}
	s.uploads = &uploadCounter{next: reg}
	mux := http.NewServeMux()
	mux.Handle("/v2/", s.uploads)
	mux.Handle("/", api)
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	s.db = db
	s.ecr = ecr.New(ecr.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		BaseEndpoint: aws.String(s.srv.URL),
	})
}

func (s *localServer) stop() {
	if s.srv != nil {
		s.srv.Close()
		s.db.Close()
		s.srv = nil
	}
}

// registryAuth is the X-Registry-Auth header value for ECR's token, as `docker login` would
// store it.
func (s *localServer) registryAuth() string {
	t := s.t
	out, err := s.ecr.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	d := out.AuthorizationData[0]
	b, _ := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	user, pass, _ := strings.Cut(string(b), ":")
	auth, err := dockerregistry.EncodeAuthConfig(dockerregistry.AuthConfig{Username: user, Password: pass, ServerAddress: aws.ToString(d.ProxyEndpoint)})
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

// drain reads a Docker progress stream and fails on the first error message in it.
func drain(t *testing.T, what string, rc io.ReadCloser) {
	t.Helper()
	defer rc.Close()
	dec := json.NewDecoder(rc)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("%s: reading progress: %v", what, err)
		}
		if m.Error != nil {
			t.Fatalf("%s: %s", what, m.Error.Message)
		}
	}
}

// buildContext is a tar with a static hello binary and a FROM scratch Dockerfile.
func buildContext(t *testing.T) io.Reader {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from agentcore local\") }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.21\n"), 0o644)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "hello", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the static binary: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "hello"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, mode int64, data []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data))})
		tw.Write(data)
	}
	add("Dockerfile", 0o644, []byte("FROM scratch\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n"))
	add("hello", 0o755, bin)
	tw.Close()
	return &buf
}

func dockerOrSkip(t *testing.T) *client.Client {
	if testing.Short() {
		t.Skip("docker test skipped in -short mode")
	}
	cli, err := dockerclient.New()
	if err != nil {
		t.Skipf("no docker client: %v", err)
	}
	if _, err := cli.Ping(ctx); err != nil {
		t.Skipf("docker engine not reachable: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestDockerPushPullAcrossRestart(t *testing.T) {
	cli := dockerOrSkip(t)
	s := &localServer{t: t, dir: t.TempDir(), addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.stop)

	if _, err := s.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("agentcore-test/hello")}); err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("%s/agentcore-test/hello:v1", s.addr)
	removeImage := func() {
		cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true})
	}
	t.Cleanup(removeImage)

	resp, err := cli.ImageBuild(ctx, buildContext(t), build.ImageBuildOptions{Tags: []string{ref}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, "docker build", resp.Body)

	rc, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: s.registryAuth()})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, "docker push", rc)
	first := s.uploads.count()
	t.Logf("first push: %d blob uploads", first)
	if first < 2 { // the layer and the config
		t.Fatalf("first push uploaded %d blobs", first)
	}

	out, err := s.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("agentcore-test/hello")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ImageDetails) != 1 || fmt.Sprint(out.ImageDetails[0].ImageTags) != "[v1]" || aws.ToInt64(out.ImageDetails[0].ImageSizeInBytes) == 0 {
		t.Fatalf("DescribeImages = %+v", out.ImageDetails)
	}
	pushed := aws.ToString(out.ImageDetails[0].ImageDigest)

	rc, err = cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: s.registryAuth()})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, "second docker push", rc)
	if n := s.uploads.count(); n != first {
		t.Fatalf("second push uploaded %d more blobs", n-first)
	}

	// The same layers pushed to another repository are mounted, not uploaded again.
	if _, err := s.ecr.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("agentcore-test/other")}); err != nil {
		t.Fatal(err)
	}
	other := fmt.Sprintf("%s/agentcore-test/other:v1", s.addr)
	if err := cli.ImageTag(ctx, ref, other); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.ImageRemove(ctx, other, image.RemoveOptions{Force: true}) })
	rc, err = cli.ImagePush(ctx, other, image.PushOptions{RegistryAuth: s.registryAuth()})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, "docker push to another repository", rc)
	t.Logf("push to another repository: %d blob uploads", s.uploads.count()-first)
	if n := s.uploads.count(); n > first+1 { // the config may be uploaded; the layer must be mounted
		t.Fatalf("push to another repository uploaded %d blobs", n-first)
	}
	if _, err := cli.ImageRemove(ctx, other, image.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}

	// Restart on the same port, forget the local image, and pull it back.
	s.stop()
	s.start()
	removeImage()
	rc, err = cli.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: s.registryAuth()})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, "docker pull", rc)
	inspect, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range inspect.RepoDigests {
		found = found || strings.HasSuffix(d, "@"+pushed)
	}
	if !found {
		t.Fatalf("pulled image digests %v, pushed %s", inspect.RepoDigests, pushed)
	}
	again, err := s.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("agentcore-test/hello"),
		ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("v1")}}})
	if err != nil || aws.ToString(again.ImageDetails[0].ImageDigest) != pushed {
		t.Fatalf("after restart: %+v %v", again, err)
	}
}
