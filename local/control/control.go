// Package control serves the local provider's Amazon Bedrock AgentCore runtime APIs: the
// control plane (bedrock-agentcore-control, restJson1: runtimes, versions, endpoints) and the
// data plane (bedrock-agentcore: InvokeAgentRuntime, StopRuntimeSession). State lives in bbolt;
// every runtime session runs in a sandbox of its own (sessions.go): a Docker container labelled
// so a restarted server finds it, or a recorded host process for code versions.
package control

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	dockerregistry "github.com/docker/docker/api/types/registry"

	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/logs"
)

// Config is what the service is built from: the common service config (DB, Account, Region
// used in ARNs, Logf; Dir, see Code) and the Docker engine and neighbours it works with.
type Config struct {
	awsproto.Config
	Docker      Docker
	StateLabel  string        // value of LabelState: scopes the containers to this server's data
	PingTimeout time.Duration // how long a new version may take to answer GET /ping Healthy
	// Code versions (agentRuntimeArtifact.codeConfiguration): packages are read from Code
	// and extracted under Dir/code, where their host processes also keep their logs.
	Code CodeSource
	// RegistryAuth returns the credentials the Docker engine presents to the local registry
	// when it pulls an agent's image from it (user AWS and a fresh registry token); nil when
	// the registry asks for none.
	RegistryAuth func() (username, password string)
	// Logs receives every agent's stdout and stderr and a structured record per invocation
	// (see observe.go); nil: none are kept.
	Logs *logs.Store
	// AgentEnv returns the observability variables (OTEL_*) of an agent being started; may be nil.
	AgentEnv func(AgentInfo) []string
	// SelfURL is the endpoint's own loopback URL (http://127.0.0.1:PORT), "" when unknown; may
	// be nil. A value of a runtime's environmentVariables that starts with it (a gateway's URL,
	// which agentcore puts in AGENTCORE_GATEWAY_NAME_URL) is given to an agent with the
	// endpoint the agent reaches (its AWS_ENDPOINT_URL) instead: a container's 127.0.0.1 is its
	// own, where AWS's URLs are the same from everywhere.
	SelfURL func() string
	// Observe is told of every invocation once it ends (metrics); may be nil.
	Observe func(Invocation)
	// Workloads keeps the workload identity AgentCore gives each runtime (local/identity):
	// made when the runtime is created, removed when it is deleted; may be nil.
	Workloads Workloads
	// Network is the Docker network agent containers join, publishing no port: the endpoint
	// reaches them at their address on it. "": they publish 8080 on a loopback port instead.
	Network string
	// EnsureNetwork creates Network when the engine does not have it, before each container is
	// created (another endpoint's reset may have removed it), and returns the ID of the one
	// network of that name the container joins (endpoints that created it at the same moment
	// may have made two); may be nil.
	EnsureNetwork func(context.Context) (string, error)
}

// Service implements the runtime control plane and data plane.
type Service struct {
	cfg   Config
	store *store
	run   *runner

	regMu        sync.RWMutex
	registryHost string          // host:port of the local registry, known once the server listens
	pastHosts    map[string]bool // addresses earlier servers on this state served the registry on

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	work   map[string]*runtimeWork // background work per runtime, cancelled when it is deleted
	closed bool                    // Close was called: no more background work

	sessMu       sync.Mutex
	sessSeen     map[string]time.Time   // when each session's use was last written (touchSession)
	sessions     map[string]*sandbox    // runtimeId/sessionId → its sandbox (sessions.go)
	sessionCount map[string]int         // runtimeId → live sessions
	sandboxes    map[string]*sandbox    // sandbox id → every sandbox of ours: serving, pooled, starting
	pools        map[string]*pool       // containerName(runtime, version) → started sandboxes no session took yet
	demand       map[string]*poolDemand // runtimeId → its pools' target, grown by misses (sessions.go)

	records records // invocations' records waiting to be written (records.go)

	obsMu     sync.Mutex
	acts      map[string]*activity // invocations in flight per version (session attribution)
	following map[string]bool      // output sources being copied into the logs
}

type runtimeWork struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the service. Call Start once the registry address is known, and Close to stop.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Docker == nil {
		return nil, errors.New("control: DB and Docker are required")
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 60 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	// The Docker client negotiates its API version on first use without guarding its reads:
	// settle it now, before requests use the client concurrently.
	if n, ok := cfg.Docker.(interface{ NegotiateAPIVersion(context.Context) }); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		n.NegotiateAPIVersion(ctx)
		cancel()
	}
	st, err := newStore(cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("opening runtime state: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{cfg: cfg, store: st, ctx: ctx, cancel: cancel, work: map[string]*runtimeWork{},
		sessSeen: map[string]time.Time{}, sessions: map[string]*sandbox{}, sessionCount: map[string]int{},
		sandboxes: map[string]*sandbox{}, pools: map[string]*pool{}, demand: map[string]*poolDemand{}}
	s.run = &runner{
		docker:      cfg.Docker,
		stateLabel:  cfg.StateLabel,
		region:      cfg.Region,
		pingTimeout: cfg.PingTimeout,
		resolve:     s.resolveURI,
		pullAuth:    s.pullAuth,
		// Keep-alive: a new connection per invocation through Docker's port proxy cost most
		// of the endpoint's added latency.
		http: &http.Client{Transport: &http.Transport{DisableCompression: true, Proxy: nil,
			MaxIdleConnsPerHost: 32, IdleConnTimeout: time.Minute}},
		logf:     cfg.Logf,
		network:  cfg.Network,
		ensureNw: cfg.EnsureNetwork,
	}
	s.run.code = &codeRunner{source: cfg.Code, store: st, logf: cfg.Logf}
	s.run.http.Transport.(*http.Transport).DialContext = s.run.code.dialContext // netns sandboxes (codens.go)
	s.run.proxy = &proxyClient{dial: s.run.code.dialContext, maxIdle: 32}
	s.run.env = s.agentEnv
	s.run.self = cfg.SelfURL
	s.run.onContainer = s.followContainer
	s.run.onProcess = s.followFile
	if cfg.Dir != "" {
		s.run.code.dir = filepath.Join(cfg.Dir, "code")
	}
	return s, nil
}

// Start records the local registry's host:port (ECR-style containerUris are pulled from it) and
// resumes the work a previous server left unfinished (creations, updates, deletions).
func (s *Service) Start(registryHost string) {
	past, err := s.store.registryHosts(registryHost)
	if err != nil {
		s.cfg.Logf("control: recording the registry address: %v", err)
	}
	s.regMu.Lock()
	s.registryHost = registryHost
	s.pastHosts = past
	s.regMu.Unlock()
	runtimes, err := s.store.runtimes()
	if err != nil {
		s.cfg.Logf("control: reading runtimes: %v", err)
		return
	}
	// Synchronous, so that no rollout's collection removes a sandbox before it is found again.
	s.recoverSessions(runtimes)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.reaper()
	}()
	go func() {
		defer s.wg.Done()
		s.reconcile(runtimes)
		s.resumeFollowing(s.ctx)
	}()
	for _, r := range runtimes {
		if r.Status == statusDeleting {
			s.deleteRuntimeAsync(r.ID)
			continue
		}
		for v, ver := range r.Versions {
			if ver.Status == statusCreating || ver.Status == statusUpdating {
				s.rollout(r.ID, v)
			}
		}
		eps, _ := s.store.endpoints(r.ID)
		for _, e := range eps {
			switch e.Status {
			case statusCreating, statusUpdating:
				var v int
				fmt.Sscan(e.TargetVersion, &v)
				s.rollout(r.ID, v)
			case statusDeleting:
				s.deleteEndpointAsync(r.ID, e.Name)
			}
		}
	}
}

// reconcile refills the pools of the versions endpoints serve and removes what a previous
// server left that no longer serves anything.
func (s *Service) reconcile(runtimes []*runtimeRec) {
	for _, r := range runtimes {
		if r.Status == statusDeleting {
			continue
		}
		eps, _ := s.store.endpoints(r.ID)
		for _, e := range eps {
			v, err := strconv.Atoi(e.LiveVersion)
			if err == nil && e.Status == statusReady && r.Versions[v] != nil {
				s.fill(r.ID, v, r.Versions[v].Config)
			}
		}
		s.collect(s.ctx, r.ID)
	}
}

// Close stops background work and waits for it. Agent containers and processes keep running
// (sessions survive a restart).
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.closeRecords()
	s.run.http.CloseIdleConnections() // kept-alive connections to sandboxes, which outlive us
	s.run.proxy.CloseIdleConnections()
}

// IsDataPlane reports whether r is a bedrock-agentcore data plane call (rather than a control
// plane one); both live under /runtimes/.
func IsDataPlane(r *http.Request) bool {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/runtimes/") {
		return false
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	return strings.HasSuffix(p, "/invocations") || strings.HasSuffix(p, "/stopruntimesession")
}

// ecrHost matches the ECR registry hosts that AWS-shaped containerUris name.
var ecrHost = lazyRegexp(`^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// resolveURI maps a containerUri to what the engine pulls: ECR hosts, and the addresses earlier
// servers on the same state served the registry on (the port may change between runs), become
// the local registry's current address.
func (s *Service) resolveURI(uri string) string {
	host, rest, ok := strings.Cut(uri, "/")
	s.regMu.RLock()
	defer s.regMu.RUnlock()
	if !ok || s.registryHost == "" || (!ecrHost().MatchString(host) && !s.pastHosts[host]) {
		return uri
	}
	return s.registryHost + "/" + rest
}

// pullAuth is the engine's X-Registry-Auth for pulling ref: the local registry's credentials
// when ref is on it, none for any other registry.
func (s *Service) pullAuth(ref string) string {
	s.regMu.RLock()
	host := s.registryHost
	s.regMu.RUnlock()
	if s.cfg.RegistryAuth == nil || host == "" || !strings.HasPrefix(ref, host+"/") {
		return ""
	}
	user, pw := s.cfg.RegistryAuth()
	enc, err := dockerregistry.EncodeAuthConfig(dockerregistry.AuthConfig{Username: user, Password: pw, ServerAddress: host})
	if err != nil {
		return ""
	}
	return enc
}

func (s *Service) runtimeArn(id string) string {
	return fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:runtime/%s", s.cfg.Region, s.cfg.Account, id)
}

func (s *Service) endpointArn(id, name string) string {
	return s.runtimeArn(id) + "/runtime-endpoint/" + name
}

func (s *Service) workloadIdentityArn(name string) string {
	return fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:workload-identity-directory/default/workload-identity/%s", s.cfg.Region, s.cfg.Account, name)
}

// goRuntime runs fn in the background under the runtime's context (cancelled when the runtime
// is deleted or the service closes).
func (s *Service) goRuntime(id string, fn func(ctx context.Context)) {
	s.mu.Lock()
	if s.closed {
		// Close is waiting for (or done with) the background work: a request still being
		// answered must not start a container that no one waits for. fn runs here, cancelled
		// (it ends at once, closing what its callers wait on).
		s.mu.Unlock()
		fn(s.ctx)
		return
	}
	w, ok := s.work[id]
	if !ok {
		ctx, cancel := context.WithCancel(s.ctx)
		w = &runtimeWork{ctx: ctx, cancel: cancel}
		s.work[id] = w
	}
	w.wg.Add(1)
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer w.wg.Done()
		fn(w.ctx)
	}()
}

// stopRuntimeWork cancels a runtime's background work and waits for it to end.
func (s *Service) stopRuntimeWork(id string) {
	s.mu.Lock()
	w, ok := s.work[id]
	delete(s.work, id)
	s.mu.Unlock()
	if ok {
		w.cancel()
		w.wg.Wait()
	}
}

// rollout brings version v of a runtime up and records the outcome on the version and on every
// endpoint waiting for it.
func (s *Service) rollout(id string, v int) {
	s.goRuntime(id, func(ctx context.Context) {
		rt, err := s.store.runtime(id)
		if err != nil || rt.Versions[v] == nil {
			return
		}
		var deployErr error
		for attempt := 0; attempt < 3; attempt++ {
			deployErr = s.warm(ctx, id, v, rt.Versions[v].Config)
			// A shared start cancelled by an invocation that went away: try again.
			if !errors.Is(deployErr, context.Canceled) || ctx.Err() != nil {
				break
			}
		}
		if ctx.Err() != nil {
			return // shutting down or deleted: resumed (or dropped) by the next Start
		}
		reason := ""
		if deployErr != nil {
			reason = deployErr.Error()
			if _, ok := deployErr.(*deployError); !ok {
				reason = "internal error: " + reason
			}
			s.cfg.Logf("control: runtime %s version %d failed: %s", id, v, reason)
		}
		now := time.Now().UTC()
		err = s.store.update(id, func(r *runtimeRec, eps map[string]*endpointRec) error {
			if r.Status == statusDeleting {
				return nil
			}
			if ver := r.Versions[v]; ver != nil && (ver.Status == statusCreating || ver.Status == statusUpdating) {
				ver.Status, ver.FailureReason = statusReady, ""
				if deployErr != nil {
					ver.Status, ver.FailureReason = failedStatus(v == 1), reason
				}
				ver.LastUpdatedAt = now
				if v == r.Latest {
					r.Status, r.FailureReason, r.LastUpdatedAt = ver.Status, ver.FailureReason, now
				}
			}
			for _, e := range eps {
				if e.TargetVersion != itoa(v) || (e.Status != statusCreating && e.Status != statusUpdating) {
					continue
				}
				if deployErr == nil {
					e.LiveVersion, e.Status, e.FailureReason = itoa(v), statusReady, ""
				} else {
					e.Status, e.FailureReason = failedStatus(e.LiveVersion == ""), reason
				}
				e.LastUpdatedAt = now
			}
			return nil
		})
		if err != nil && !errors.Is(err, errNotFound) {
			s.cfg.Logf("control: recording rollout of %s version %d: %v", id, v, err)
		}
		s.collect(ctx, id)
	})
}

func failedStatus(creating bool) string {
	if creating {
		return statusCreateFailed
	}
	return statusUpdateFailed
}

func (s *Service) deleteRuntimeAsync(id string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.stopRuntimeWork(id)
		if s.ctx.Err() != nil {
			return
		}
		s.stopRuntimeSessions(id)
		if err := s.run.removeAll(s.ctx, id); err != nil {
			s.cfg.Logf("control: removing containers of %s: %v", id, err)
			return // stays DELETING; retried by the next Start
		}
		if err := s.store.remove(id); err != nil {
			s.cfg.Logf("control: deleting runtime %s: %v", id, err)
			return
		}
		if s.cfg.Workloads != nil && len(id) > 11 {
			// The id is the name, a dash and 10 characters (createRuntime).
			if err := s.cfg.Workloads.RemoveRuntimeWorkload(id, id[:len(id)-11]); err != nil {
				s.cfg.Logf("control: deleting the workload identity of runtime %s: %v", id, err)
			}
		}
	}()
}

func (s *Service) deleteEndpointAsync(id, name string) {
	s.goRuntime(id, func(ctx context.Context) {
		err := s.store.update(id, func(r *runtimeRec, eps map[string]*endpointRec) error {
			eps[name] = nil
			return nil
		})
		if err != nil {
			return
		}
		s.collect(ctx, id)
	})
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// RegistryHostFor is the host:port containers pull from for a server listening on addr:
// unspecified addresses become 127.0.0.1, which the Docker engine treats as an insecure
// (plain HTTP) registry.
func RegistryHostFor(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
