// Package local is the AgentCore-compatible endpoint the `local` provider talks to: one HTTP
// port on 127.0.0.1 speaking the AWS wire protocols (bedrock-agentcore-control and
// bedrock-agentcore restJson1 (runtimes, AgentCore Identity), ECR, SSM and Secrets Manager awsJson1_1, STS awsQuery) plus an OCI registry under
// /v2/, so the real AWS SDKs and CLIs work against it with only the endpoint URL and the
// credentials changed. It is its owner's alone, as an AWS account is: every API call must be
// signed (SigV4) with the key pair generated at its first start (local/auth), the registry
// wants a token of its ECR's GetAuthorizationToken, and requests a web page could make are
// refused. State lives in an embedded bbolt database; agents run as containers on the Docker
// engine.
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/dockerclient"
	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/control"
	"github.com/agentcore/agentcore/local/ecr"
	"github.com/agentcore/agentcore/local/gateway"
	"github.com/agentcore/agentcore/local/identity"
	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/logs"
	"github.com/agentcore/agentcore/local/memory"
	"github.com/agentcore/agentcore/local/metrics"
	"github.com/agentcore/agentcore/local/otlp"
	"github.com/agentcore/agentcore/local/registry"
	"github.com/agentcore/agentcore/local/s3"
	"github.com/agentcore/agentcore/local/secretsmanager"
	"github.com/agentcore/agentcore/local/ssm"
	"github.com/agentcore/agentcore/local/sts"
)

// Version is reported by the health endpoint.
var Version = "dev"

// Config configures a Server.
type Config struct {
	Dir         string        // data directory: state.db, registry/
	Account     string        // 12 digits, default "123456789012"
	Region      string        // default us-east-1
	PingTimeout time.Duration // how long a new version may take to become healthy, default 60s
	Logf        func(format string, args ...any)
	// Credentials is the key pair requests must be signed with; when empty, the pair in
	// Dir/credentials.json, generated there at the first start.
	Credentials auth.Credentials
	// Now is the endpoint's clock: signatures and registry tokens are checked against it, and
	// the services stamp their records with it; default time.Now.
	Now func() time.Time
}

// Server is the local AgentCore endpoint.
type Server struct {
	cfg     Config
	db      *bolt.DB
	reg     *registry.Registry
	sts     *sts.Service
	ssm     *ssm.Service
	secrets *secretsmanager.Service
	ident   *identity.Service
	s3      *s3.Service
	control *control.Service
	memory  *memory.Service
	gateway *gateway.Service
	docker  io.Closer
	logs    *logs.Store
	otlp    *otlp.Receiver
	metrics *metrics.Store

	mu     sync.Mutex
	ecr    http.Handler // built by Serve: repository URIs need the listener's address
	guard  *auth.Guard  // built by Serve: the Host header must name the listener's port
	otlpAt *otlpState   // set by Serve: where agents send OTLP
	url    string       // set by Serve: http://127.0.0.1:PORT
	http   *http.Server

	agentNet string // the Docker network of the agent containers (network.go)
}

// New opens the state database under cfg.Dir and builds every service. Agent containers left
// running by a previous server are found again by their labels.
func New(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("local: Config.Dir is required")
	}
	if cfg.Account == "" {
		cfg.Account = "123456789012"
	}
	if len(cfg.Account) != 12 || strings.Trim(cfg.Account, "0123456789") != "" {
		return nil, fmt.Errorf("local: account %q must be 12 digits", cfg.Account)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 60 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the local endpoint's data directory: %w", err)
	}
	if cfg.Credentials.AccessKeyID == "" {
		if cfg.Credentials, err = auth.LoadOrCreate(filepath.Join(dir, auth.FileName)); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	db, err := openDB(filepath.Join(dir, "state.db"), 2*time.Second)
	if isDamaged(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w (is another `agentcore local` server running on this directory?)", filepath.Join(dir, "state.db"), err)
	}
	s := &Server{cfg: cfg, db: db}
	fail := func(err error) (*Server, error) {
		if s.memory != nil {
			s.memory.Close()
		}
		if s.gateway != nil {
			s.gateway.Close()
		}
		db.Close()
		return nil, err
	}
	svc := s.service()
	if s.reg, err = registry.New(s.service("registry")); err != nil {
		return fail(fmt.Errorf("opening the local registry: %w", err))
	}
	if s.sts, err = sts.New(svc); err != nil {
		return fail(fmt.Errorf("starting STS: %w", err))
	}
	if s.ssm, err = ssm.New(svc); err != nil {
		return fail(fmt.Errorf("starting SSM: %w", err))
	}
	if s.secrets, err = secretsmanager.New(svc); err != nil {
		return fail(fmt.Errorf("starting Secrets Manager: %w", err))
	}
	if s.ident, err = identity.New(identity.Config{Config: svc, Secrets: s.secrets, TokenKey: derivedKey(cfg.Credentials, "agentcore-local-workload-tokens")}); err != nil {
		return fail(fmt.Errorf("starting AgentCore Identity: %w", err))
	}
	if s.s3, err = s3.New(s.service("s3")); err != nil {
		return fail(fmt.Errorf("starting S3: %w", err))
	}
	if s.memory, err = memory.New(memory.Config{Config: svc}); err != nil {
		return fail(fmt.Errorf("starting AgentCore Memory: %w", err))
	}
	lambdas, err := lambdaURLs()
	if err != nil {
		return fail(err)
	}
	if s.gateway, err = gateway.New(gateway.Config{Config: svc, Creds: cfg.Credentials, Identity: s.ident, S3: s.s3, LambdaURLs: lambdas,
		AgentLive: func(id string) bool { return s.control == nil || s.control.RuntimeExists(id) },
		AgentEnv: func(id string) []string {
			if s.control == nil {
				return nil
			}
			return s.control.RuntimeEnvValues(id)
		}, URL: s.baseURL}); err != nil {
		return fail(fmt.Errorf("starting AgentCore Gateway: %w", err))
	}
	logsMax, err := logsMaxBytes()
	if err != nil {
		return fail(err)
	}
	if s.logs, err = logs.New(logs.Config{Config: s.service("logs"), MaxBytes: logsMax}); err != nil {
		return fail(fmt.Errorf("starting CloudWatch Logs: %w", err))
	}
	if s.metrics, err = metrics.New(svc); err != nil {
		return fail(fmt.Errorf("starting CloudWatch metrics: %w", err))
	}
	s.otlp = otlp.New(otlp.Config{Logs: s.logs, Secret: otlpSecret(cfg.Credentials), Logf: cfg.Logf,
		Groups: func(runtimeID string, version int) []string { return s.control.LogGroups(runtimeID, version) }})
	docker, err := dockerclient.New()
	if err != nil {
		return fail(fmt.Errorf("connecting to the Docker engine at %s: %w", dockerclient.Host(), err))
	}
	s.docker = docker
	s.agentNet = agentNetworkName
	nctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if _, _, err := agentNetwork(nctx, docker); err != nil {
		cfg.Logf("local: %v", err)
	}
	cancel()
	s.control, err = control.New(control.Config{
		Config: s.service(""), Docker: docker, StateLabel: dir, PingTimeout: cfg.PingTimeout, Code: s.s3,
		Network: s.agentNet, EnsureNetwork: func(ctx context.Context) (string, error) { id, _, err := agentNetwork(ctx, docker); return id, err },
		Logs: s.logs, AgentEnv: s.agentEnv, Observe: s.observe, Workloads: s.ident,
		RegistryAuth: func() (string, string) {
			pw, _ := cfg.Credentials.RegistryToken(cfg.Now())
			return auth.RegistryUser, pw
		},
	})
	if err != nil {
		docker.Close()
		return fail(err)
	}
	return s, nil
}

// service is the config every service is built from; dir, when given, names the service's
// own folder under the data directory ("" for the data directory itself).
func (s *Server) service(dir ...string) awsproto.Config {
	c := awsproto.Config{DB: s.db, Account: s.cfg.Account, Region: s.cfg.Region, Now: s.cfg.Now, Logf: s.cfg.Logf}
	if len(dir) > 0 {
		c.Dir = filepath.Join(append([]string{s.cfg.Dir}, dir...)...)
	}
	return c
}

// Listen opens the endpoint's listener: 127.0.0.1 only, never another interface (port 0: any
// free port).
func Listen(port int) (net.Listener, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// Serve answers requests on ln until Shutdown. The registry's repository URIs use ln's address.
func (s *Server) Serve(ln net.Listener) error {
	host := control.RegistryHostFor(ln.Addr())
	e, err := ecr.New(ecr.Config{Config: s.service(), Registry: s.reg, RegistryHost: host,
		AuthorizationToken: s.cfg.Credentials.AuthorizationToken})
	if err != nil {
		return fmt.Errorf("starting ECR: %w", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	guard := &auth.Guard{Creds: s.cfg.Credentials, Port: port, Classify: s.scoped, Now: s.cfg.Now, Next: http.HandlerFunc(s.dispatch),
		AgentLive: s.control.RuntimeExists}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	// MCP clients of the gateways keep a GET stream open, which Shutdown would wait for:
	// closing the gateways' sessions ends them.
	srv.RegisterOnShutdown(s.gateway.Close)
	s.mu.Lock()
	if s.http != nil {
		s.mu.Unlock()
		return errors.New("local: Serve called twice")
	}
	s.ecr, s.guard, s.http, s.url = e, guard, srv, "http://"+net.JoinHostPort("127.0.0.1", port)
	s.mu.Unlock()
	s.startOTLP(ln.Addr())
	s.control.Start(host)
	err = srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops serving, waits for background work and closes the database. Agent containers
// keep running; the next New finds them again.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.http
	s.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
		if err != nil {
			srv.Close()
		}
	}
	s.stopOTLP()
	s.control.Close()
	s.gateway.Close()
	s.memory.Close()
	s.docker.Close()
	s.logs.Close()
	s.metrics.Close()
	return errors.Join(err, s.db.Close())
}

// Credentials returns the key pair requests must be signed with.
func (s *Server) Credentials() auth.Credentials { return s.cfg.Credentials }

// ServeHTTP lets authenticated requests through to dispatch (see auth.Guard).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	g := s.guard
	s.mu.Unlock()
	if g == nil {
		http.Error(w, "not serving", http.StatusServiceUnavailable)
		return
	}
	if otlp.IsOTLP(r) {
		// Agents' telemetry: authenticated by the agent's bearer token, not SigV4 (local/otlp).
		s.otlp.ServeHTTP(w, r)
		return
	}
	if gateway.IsMCP(r) {
		// A gateway's MCP URL: the gateway's own inbound auth (local/gateway), after the
		// guard's Host and Origin checks.
		if g.Front(w, r) {
			s.gateway.ServeMCP(w, r)
		}
		return
	}
	g.ServeHTTP(w, r)
}

// classify tells the guard each request's protocol (the shape of its errors), by the same
// markers dispatch routes on.
func (s *Server) classify(r *http.Request) auth.Route {
	switch target := r.Header.Get("X-Amz-Target"); {
	case s3.IsS3(r):
		// An object's Content-Type is its data's, whatever the caller sends.
		return auth.Route{Protocol: auth.S3, UserContentType: true}
	case strings.HasPrefix(r.URL.Path, "/v2/") || r.URL.Path == "/v2":
		return auth.Route{Protocol: auth.Registry}
	case metrics.IsCloudWatch(r) && target == "":
		return auth.Route{Protocol: auth.CBOR}
	case target != "":
		return auth.Route{Protocol: auth.AWSJSON}
	case r.URL.Path == "/runtimes" || strings.HasPrefix(r.URL.Path, "/runtimes/"):
		// An invocation's Content-Type is its payload's, whatever the caller sends.
		return auth.Route{Protocol: auth.RestJSON, UserContentType: control.IsDataPlane(r), MaxBody: control.MaxInvokePayload}
	case isQuery(r):
		return auth.Route{Protocol: auth.Query}
	}
	return auth.Route{Protocol: auth.RestJSON}
}

// dispatch sends one port's requests to every service by protocol markers.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	// S3 first: its paths are bucket names, which may be anything the other cases match.
	case s3.IsS3(r):
		s.s3.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/v2/") || r.URL.Path == "/v2":
		s.reg.ServeHTTP(w, r)
	case strings.HasPrefix(target, "AmazonEC2ContainerRegistry_V20150921."):
		s.mu.Lock()
		e := s.ecr
		s.mu.Unlock()
		if e == nil {
			http.Error(w, "not serving", http.StatusServiceUnavailable)
			return
		}
		e.ServeHTTP(w, r)
	case strings.HasPrefix(target, "AmazonSSM."):
		s.ssm.ServeHTTP(w, r)
	case strings.HasPrefix(target, "secretsmanager."):
		if target == "secretsmanager.GetSecretValue" && !s.agentSecretAllowed(w, r) {
			return
		}
		s.secrets.ServeHTTP(w, r)
	case identity.IsIdentity(r):
		if !s.agentProviderAllowed(w, r) {
			return
		}
		s.ident.ServeHTTP(w, r)
	case strings.HasPrefix(target, logs.TargetPrefix):
		s.control.FlushRecords() // the records of the invocations answered so far are there
		s.logs.ServeHTTP(w, r)
	case metrics.IsCloudWatch(r):
		s.control.FlushRecords()
		s.metrics.ServeHTTP(w, r)
	case r.URL.Path == "/_agentcore/health" && r.Method == http.MethodGet:
		awsproto.RestJSON{}.Write(w, http.StatusOK, map[string]any{
			"status": "ok", "pid": os.Getpid(), "account": s.cfg.Account, "region": s.cfg.Region, "version": Version,
		})
	case memory.OwnsARN(r): // a memory's tags; the other /tags/ are runtimes'
		s.memory.ServeTags(w, r)
	case gateway.OwnsARN(r):
		s.gateway.ServeTags(w, r)
	case gateway.IsGateway(r):
		s.gateway.ServeHTTP(w, r)
	case r.URL.Path == "/runtimes" || strings.HasPrefix(r.URL.Path, "/runtimes/") || strings.HasPrefix(r.URL.Path, "/tags/"):
		s.control.ServeHTTP(w, r)
	case memory.IsMemory(r):
		if !s.agentMemoryAllowed(w, r) {
			return
		}
		s.memory.ServeHTTP(w, r)
	case isQuery(r):
		s.sts.ServeHTTP(w, r)
	default:
		awsproto.RestJSON{}.WriteError(w, r, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException",
			"the local AgentCore endpoint does not serve %s %s", r.Method, r.URL.Path))
	}
}

// isQuery recognises the awsQuery protocol (STS): a form-encoded POST with an Action. The body
// is read and put back so the STS handler sees it untouched.
func isQuery(r *http.Request) bool {
	if r.URL.Query().Get("Action") != "" {
		return true
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	return err == nil && form.Get("Action") != ""
}

// Reset removes the agent containers run by the local endpoint whose data directory is dir
// (every agentcore-labelled agent container when dir is ""). Images and state are kept; host
// processes are StopProcesses'. (RemoveContainers, in images.go, also counts them.)
func Reset(ctx context.Context, dir string) error {
	_, err := RemoveContainers(ctx, dir)
	return err
}

// StopProcesses stops the host processes the local endpoint whose data directory is dir
// started for code versions (StopHostProcesses, in images.go, also counts them).
func StopProcesses(dir string) error {
	_, err := StopHostProcesses(dir)
	return err
}

// baseURL is the endpoint's URL once it listens (gateways' URLs are paths on it).
func (s *Server) baseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.url == "" {
		return "http://127.0.0.1"
	}
	return s.url
}

// lambdaURLs reads AGENTCORE_LOCAL_LAMBDA_URLS: comma-separated ARN=URL pairs mapping Lambda
// functions, which cannot run locally, to local URLs that stand for them as gateway targets.
func lambdaURLs() (map[string]string, error) {
	v := strings.TrimSpace(os.Getenv("AGENTCORE_LOCAL_LAMBDA_URLS"))
	if v == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		arn, u, ok := strings.Cut(strings.TrimSpace(pair), "=")
		parsed, err := url.Parse(u)
		if !ok || !strings.HasPrefix(arn, "arn:") || err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			return nil, fmt.Errorf("AGENTCORE_LOCAL_LAMBDA_URLS: %q is not ARN=URL (e.g. arn:aws:lambda:us-east-1:123456789012:function:orders=http://127.0.0.1:9000/)", pair)
		}
		out[arn] = u
	}
	return out, nil
}
