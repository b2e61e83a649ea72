// Package gateway is the local endpoint's AgentCore Gateway: the Gateway and GatewayTarget
// operations of bedrock-agentcore-control (restJson1 under /gateways/, tags under /tags/) and
// each gateway's MCP URL, http://127.0.0.1:PORT/gateways/{gatewayId}/mcp, served with the
// official MCP Go SDK (streamable HTTP).
//
// A target's tools are gathered when the target is created, updated or synchronized, as
// AgentCore does, by a job written with the target (CREATING, UPDATING, SYNCHRONIZING) and
// resumed at the next start after a kill; the job ends READY with the tools, or FAILED (or
// UPDATE_UNSUCCESSFUL, SYNCHRONIZE_UNSUCCESSFUL) with statusReasons. tools/list answers
// from those tools, named {targetName}___{toolName}; tools/call routes to the target: an MCP
// server proxied with the SDK's client, an OpenAPI operation called over HTTP with the
// target's outbound credential (an API key or OAuth2 client-credentials token of the local
// AgentCore Identity), or a Lambda function the endpoint was told to map to a local URL
// (AGENTCORE_LOCAL_LAMBDA_URLS). Inbound auth is each gateway's: AWS_IAM (SigV4 with the
// endpoint's keys), CUSTOM_JWT (a bearer token checked against the discovery URL's JWKS) or
// NONE. docs/local-gateway.md says what is faithful to AWS and what is not.
package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

var (
	bucketGateways = []byte("gateway.gateways") // gatewayId → gatewayRec
	bucketTargets  = []byte("gateway.targets")  // gatewayId \0 targetId → targetRec
)

// Credentials is where outbound credentials come from: the local AgentCore Identity's
// credential providers, by ARN.
type Credentials interface {
	// APIKey returns the key of an API key credential provider.
	APIKey(providerArn string) (string, error)
	// OAuth2Token runs the client-credentials grant of an OAuth2 credential provider.
	OAuth2Token(ctx context.Context, providerArn string, scopes []string, custom map[string]string) (string, error)
}

// Objects reads the local S3's objects (OpenAPI specs and tool schemas given by s3 URI).
type Objects interface {
	Open(bucket, key, versionID string) (io.ReadCloser, int64, error)
}

// Config is what the service is built from.
type Config struct {
	awsproto.Config
	// Creds is the endpoint's key pair: inbound AWS_IAM requests are signed with it (or an
	// agent's sandbox credentials derived from it), and MCP targets on the endpoint itself
	// (a runtime's /invocations) are called signed with it.
	Creds auth.Credentials
	// AgentLive tells whether an agent runtime still exists (its sandbox credentials are
	// refused once it is gone); nil accepts every runtime.
	AgentLive func(runtimeID string) bool
	// AgentEnv lists the values of an agent runtime's environment variables: its sandbox
	// credentials may invoke the AWS_IAM gateways named there (by id or URL), what its role
	// would be granted on AWS; nil lets them invoke every gateway.
	AgentEnv func(runtimeID string) []string
	// URL is the endpoint's base URL (http://127.0.0.1:PORT), known once it listens.
	URL func() string
	// Identity gives the outbound credentials; nil refuses targets that need one.
	Identity Credentials
	// S3 reads schemas given by s3 URI; nil refuses them.
	S3 Objects
	// LambdaURLs maps Lambda function ARNs to local URLs that stand for them
	// (AGENTCORE_LOCAL_LAMBDA_URLS): a Lambda target is refused unless its function is here.
	LambdaURLs map[string]string
	// HTTP calls targets (MCP servers, OpenAPI operations, JWKS); default a client with a
	// 60 s timeout.
	HTTP *http.Client
	// Transition is how long CREATING, UPDATING and DELETING last for gateways (targets end
	// with their job); default 100ms.
	Transition time.Duration
}

// Service is AgentCore Gateway; ServeHTTP answers the control plane, ServeMCP the gateways'
// MCP URLs. Close stops its jobs and closes its MCP sessions.
type Service struct {
	cfg Config

	mu      sync.Mutex
	servers map[string]*gatewayServer // gatewayId → its MCP server, built at first use
	clients map[string]*targetClient  // targetId → an MCP session to the target's server
	gens    map[string]uint64         // gatewayId → changes of its targets' tools in this process
	jobs    sync.WaitGroup
	ctx     context.Context // cancelled by Close: jobs stop
	cancel  context.CancelFunc
	jwks    *jwksCache
}

// New opens the service's buckets in cfg.DB and resumes the target jobs a previous run left.
func New(cfg Config) (*Service, error) {
	if cfg.Transition <= 0 {
		cfg.Transition = 100 * time.Millisecond
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.URL == nil {
		cfg.URL = func() string { return "http://127.0.0.1" }
	}
	s, err := awsproto.NewService(cfg.Config, "gateway", func(c awsproto.Config) *Service {
		cfg.Config = c
		ctx, cancel := context.WithCancel(context.Background())
		return &Service{cfg: cfg, servers: map[string]*gatewayServer{}, clients: map[string]*targetClient{},
			gens: map[string]uint64{}, ctx: ctx, cancel: cancel, jwks: newJWKSCache(cfg.HTTP)}
	}, bucketGateways, bucketTargets)
	if err != nil {
		return nil, err
	}
	s.sweep()
	s.resumeJobs()
	return s, nil
}

// Close stops the jobs (a job cut short runs again at the next New) and closes the MCP
// sessions, the gateways' (ending their clients' open streams) and those to the targets. A
// second Close does nothing more.
func (s *Service) Close() {
	s.cancel()
	s.jobs.Wait()
	s.mu.Lock()
	clients, servers := s.clients, s.servers
	s.clients, s.servers = map[string]*targetClient{}, map[string]*gatewayServer{}
	s.mu.Unlock()
	for _, c := range clients {
		c.close()
	}
	for _, gs := range servers {
		for ss := range gs.srv.Sessions() {
			ss.Close()
		}
	}
}

// sweep removes the gateways and targets whose deletion has finished.
func (s *Service) sweep() {
	now := s.cfg.Now()
	s.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, b := range []*bolt.Bucket{tx.Bucket(bucketGateways), tx.Bucket(bucketTargets)} {
			var gone [][]byte
			b.ForEach(func(k, v []byte) error {
				var rec struct {
					Status string    `json:"status"`
					GoneAt time.Time `json:"goneAt"`
				}
				if json.Unmarshal(v, &rec) == nil && rec.Status == statusDeleting && !now.Before(rec.GoneAt) {
					gone = append(gone, k)
				}
				return nil
			})
			for _, k := range gone {
				b.Delete(k)
			}
		}
		return nil
	})
}

// IsGateway tells whether r is a Gateway request, of either plane: under /gateways.
func IsGateway(r *http.Request) bool {
	return r.URL.Path == "/gateways" || strings.HasPrefix(r.URL.Path, "/gateways/")
}

// IsMCP tells whether r is for a gateway's MCP URL (/gateways/{gatewayId}/mcp), whose inbound
// auth is the gateway's own rather than the endpoint's SigV4.
func IsMCP(r *http.Request) bool {
	_, ok := mcpGatewayID(r)
	return ok
}

func mcpGatewayID(r *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/gateways/")
	if !ok {
		return "", false
	}
	id, tail, ok := strings.Cut(rest, "/")
	return id, ok && (tail == "mcp" || tail == "mcp/") && id != ""
}

// ServeHTTP answers the control plane by the table api.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", awsproto.RequestID())
	api.Serve(s, w, r)
}

// api is the table of contents of the control plane: the Gateway and GatewayTarget
// operations by method and path, as the model declares them (a trailing slash is ignored).
var api = &awsproto.Routes[*Service]{
	Protocol: protocol,
	Table: []awsproto.Route[*Service]{
		{Method: http.MethodPost, Path: "/gateways", Op: op((*Service).createGateway)},
		{Method: http.MethodGet, Path: "/gateways", Op: op((*Service).listGateways)},
		{Method: http.MethodGet, Path: "/gateways/{gatewayIdentifier}", Op: op((*Service).getGateway)},
		{Method: http.MethodPut, Path: "/gateways/{gatewayIdentifier}", Op: op((*Service).updateGateway)},
		{Method: http.MethodDelete, Path: "/gateways/{gatewayIdentifier}", Op: op((*Service).deleteGateway)},
		{Method: http.MethodPost, Path: "/gateways/{gatewayIdentifier}/targets", Op: op((*Service).createTarget)},
		{Method: http.MethodGet, Path: "/gateways/{gatewayIdentifier}/targets", Op: op((*Service).listTargets)},
		{Method: http.MethodGet, Path: "/gateways/{gatewayIdentifier}/targets/{targetId}", Op: op((*Service).getTarget)},
		{Method: http.MethodPut, Path: "/gateways/{gatewayIdentifier}/targets/{targetId}", Op: op((*Service).updateTarget)},
		{Method: http.MethodDelete, Path: "/gateways/{gatewayIdentifier}/targets/{targetId}", Op: op((*Service).deleteTarget)},
		{Method: http.MethodPut, Path: "/gateways/{gatewayIdentifier}/synchronizeTargets", Op: op((*Service).synchronizeTargets)},
	},
	NotFound: func(r *http.Request) error {
		return awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "no such operation: %s %s", r.Method, r.URL.Path)
	},
}

// reply is an operation's answer: its HTTP status (the model's responseCode) and body.
type reply struct {
	status int
	body   any
}

// op adapts an operation that takes its JSON body decoded into *In.
func op[In any](f func(*Service, *http.Request, *In) (reply, error)) func(*Service, http.ResponseWriter, *http.Request) error {
	return func(s *Service, w http.ResponseWriter, r *http.Request) error {
		in := new(In)
		if r.Method != http.MethodGet && r.Method != http.MethodDelete {
			if err := awsproto.ReadJSON(r, in); err != nil {
				e := validationf("could not parse the request body: %v", err)
				e.Reason = "CannotParse"
				return e
			}
		}
		out, err := f(s, r, in)
		if err != nil {
			return err
		}
		protocol.Write(w, out.status, out.body)
		return nil
	}
}

// none is the input of operations whose every member is in the path or query.
type none struct{}

// ts is the model's DateTimestamp (iso8601).
func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }
