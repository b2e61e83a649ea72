package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Protocol is the wire protocol of a request, which decides the shape of its errors.
type Protocol int

const (
	RestJSON Protocol = iota // bedrock-agentcore(-control), and the endpoint's own /_agentcore/ paths
	AWSJSON                  // awsJson1_1: ECR, SSM
	Query                    // awsQuery: STS
	S3                       // restXml with S3's error shape
	Registry                 // the OCI distribution API under /v2/: registry tokens, not SigV4
	CBOR                     // smithy-rpc-v2-cbor: CloudWatch metrics
)

// Route is what the guard needs to know about a request before it lets it through.
type Route struct {
	Protocol Protocol
	// UserContentType is set for operations whose Content-Type describes the caller's own
	// data (InvokeAgentRuntime's payload, an S3 object), which browsers' form types may be.
	UserContentType bool
	// MaxBody bounds a body hashed before its signature can be checked (the API model's limit
	// on the operation's input); 0 means DefaultMaxBody.
	MaxBody int64
	// Agent is set for the operations an agent's sandbox credentials may call (the data
	// planes); Op names the operation in the refusal of the others.
	Agent bool
	Op    string
}

// Guard is the local endpoint's front door. In order, it refuses: a Host header that is not
// the loopback address and port served (DNS rebinding: a web page's host name resolved to
// 127.0.0.1); any Origin header (only browsers send one); the content types a browser can
// POST across origins without a preflight; then anything not authenticated: SigV4 for the
// AWS APIs, a registry token for /v2/.
type Guard struct {
	Creds    Credentials
	Port     string // the port served; Host must name it
	Classify func(*http.Request) Route
	Now      func() time.Time // default time.Now
	Next     http.Handler
	// Host, when set, is the one host:port this guard answers instead of the loopback names
	// of Port (the agents' listener on the Docker bridge gateway), and only agents' requests
	// to Route.Agent operations get through it.
	Host string
	// AgentLive tells whether an agent runtime still exists: a deleted runtime's sandbox
	// credentials are refused. Nil accepts every runtime.
	AgentLive func(runtimeID string) bool
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// ServeHTTP implements http.Handler.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := g.Classify(r)
	if f := g.front(r, route); f != nil {
		writeFailure(w, route.Protocol, f)
		return
	}
	if route.Protocol == Registry {
		if f := g.registry(r); f != nil {
			writeFailure(w, Registry, f)
			return
		}
		g.Next.ServeHTTP(w, r)
		return
	}
	v := Verifier{Creds: g.Creds, Now: g.Now, MaxBody: route.MaxBody}
	id, f := v.Verify(r)
	defer discardBody(r) // a body spooled to a temporary file is closed after the handler
	if f == nil {
		f = g.scope(id, route)
	}
	if f != nil {
		writeFailure(w, route.Protocol, f)
		return
	}
	g.Next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey{}, id)))
}

// Front applies the front checks alone (Host, Origin, a browser's form content types) and
// answers their refusal; true lets r through to a handler that authenticates it itself: a
// gateway's MCP URL, whose inbound auth (SigV4, a JWT or none) is the gateway's own.
func (g *Guard) Front(w http.ResponseWriter, r *http.Request) bool {
	if f := g.front(r, Route{Protocol: RestJSON}); f != nil {
		writeFailure(w, RestJSON, f)
		return false
	}
	return true
}

// scope refuses an agent's credentials outside the data planes, and on the agents' listener
// anything but an agent's data-plane call.
func (g *Guard) scope(id *Identity, route Route) *Failure {
	op := route.Op
	if op == "" {
		op = "this operation"
	}
	switch {
	case id.Agent != "" && g.AgentLive != nil && !g.AgentLive(id.Agent):
		return &Failure{Kind: UnknownKey, Key: id.AccessKeyID, Msg: msgInvalidToken + " (these are the sandbox credentials of agent runtime " + id.Agent + ", which no longer exists)"}
	case id.Agent != "" && !route.Agent:
		return &Failure{Kind: Denied, Key: id.AccessKeyID, Msg: fmt.Sprintf("agent runtime %s is not authorized to perform %s: its sandbox credentials reach only the data planes (Identity and Memory data planes, Secrets Manager GetSecretValue, STS GetCallerIdentity), never the control planes, ECR or the runtime APIs",
			id.Agent, op)}
	case id.Agent == "" && g.Host != "":
		return &Failure{Kind: Denied, Key: id.AccessKeyID, Msg: "this address serves the agents' sandbox credentials only: use the endpoint's loopback address with the owner's credentials"}
	case g.Host != "" && !route.Agent:
		return &Failure{Kind: Denied, Key: id.AccessKeyID, Msg: fmt.Sprintf("agent runtime %s: this address serves the data planes only, not %s", id.Agent, op)}
	}
	return nil
}

// front refuses what no AWS client sends and a browser does.
func (g *Guard) front(r *http.Request, route Route) *Failure {
	if !g.hostAllowed(r.Host) {
		return &Failure{Kind: Denied, Msg: fmt.Sprintf("the local AgentCore endpoint answers only requests addressed to 127.0.0.1:%[1]s, localhost:%[1]s or [::1]:%[1]s, not to %[2]q: other host names are refused so that no web page can reach it through DNS rebinding; use http://127.0.0.1:%[1]s as the endpoint URL",
			g.Port, r.Host)}
	}
	if o := r.Header.Get("Origin"); o != "" {
		return &Failure{Kind: Denied, Msg: fmt.Sprintf("the local AgentCore endpoint refuses requests with an Origin header (%q): they come from web pages, and the endpoint is its owner's alone; AWS SDKs and CLIs send none", o)}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !route.UserContentType {
		mt, _, _ := mime.ParseMediaType(ct)
		switch strings.ToLower(mt) {
		case "application/x-www-form-urlencoded":
			if route.Protocol == Query {
				break // awsQuery's own encoding; the signature keeps pages out
			}
			fallthrough
		case "text/plain", "multipart/form-data":
			return &Failure{Kind: Denied, Msg: fmt.Sprintf("the local AgentCore endpoint refuses Content-Type %q on its APIs: it is what a web page's form sends, and AWS clients never use it here", mt)}
		}
	}
	return nil
}

// hostAllowed accepts the loopback names of the port served.
func (g *Guard) hostAllowed(host string) bool {
	if g.Host != "" {
		return strings.EqualFold(host, g.Host)
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != g.Port {
		return false
	}
	switch strings.ToLower(h) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// registry accepts ECR-style Basic credentials: user AWS, a token from GetAuthorizationToken.
func (g *Guard) registry(r *http.Request) *Failure {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &Failure{Kind: Missing, Msg: "authentication required: log in with the token of the local ECR's GetAuthorizationToken (aws ecr get-login-password | docker login --username AWS --password-stdin " + r.Host + ")"}
	}
	scheme, cred, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "basic") {
		return &Failure{Kind: Malformed, Msg: "authentication required: the local registry accepts Basic credentials (user AWS, the password of ecr get-login-password), not " + scheme}
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	user, pw, ok := strings.Cut(string(b), ":")
	if err != nil || !ok || user != RegistryUser {
		return &Failure{Kind: UnknownKey, Msg: "authentication required: the local registry accepts user AWS with the password of ecr get-login-password"}
	}
	switch g.Creds.CheckRegistryToken(pw, g.now()) {
	case TokenValid:
		return nil
	case TokenExpired:
		return &Failure{Kind: Expired, Msg: "Your authorization token has expired. Reauthenticate and try again. (tokens of the local ECR last 12 hours: docker login again with the password of ecr get-login-password)"}
	}
	return &Failure{Kind: BadSignature, Msg: "authentication required: the registry token is not one this local endpoint issued (a reset gives the endpoint new credentials): log in again with the password of ecr get-login-password"}
}

// codes names each kind of refusal in each protocol, as AWS does.
var codes = map[Kind]struct{ json, query, s3 string }{
	Missing:      {"MissingAuthenticationTokenException", "MissingAuthenticationToken", "AccessDenied"},
	Malformed:    {"IncompleteSignatureException", "IncompleteSignature", "AuthorizationHeaderMalformed"},
	UnknownKey:   {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId"},
	BadSignature: {"InvalidSignatureException", "SignatureDoesNotMatch", "SignatureDoesNotMatch"},
	Skewed:       {"InvalidSignatureException", "SignatureDoesNotMatch", "RequestTimeTooSkewed"},
	Expired:      {"InvalidSignatureException", "SignatureDoesNotMatch", "AccessDenied"},
	BadDigest:    {"InvalidSignatureException", "SignatureDoesNotMatch", "XAmzContentSHA256Mismatch"},
	Denied:       {"AccessDeniedException", "AccessDenied", "AccessDenied"},
}

// hint is added to the AWS wording of the refusals a user can fix by signing with the
// endpoint's own key pair.
const hint = " (the local AgentCore endpoint accepts only requests signed with its own key pair: `agentcore local env` prints it as AWS_* variables)"

// encoders writes each protocol's refusals, with the encoder its services use.
var encoders = map[Protocol]awsproto.Protocol{
	RestJSON: awsproto.RestJSON{},
	AWSJSON:  awsproto.JSON{Version: "1.1"},
	Query:    awsproto.Query{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/"},
	S3:       awsproto.RestXML{},
	Registry: awsproto.Registry{},
	CBOR:     awsproto.CBOR{QueryCompatible: true},
}

func writeFailure(w http.ResponseWriter, p Protocol, f *Failure) {
	switch p {
	case Registry:
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	case S3:
		w.Header().Set("x-amz-request-id", awsproto.S3RequestID())
	default:
		w.Header().Set("x-amzn-RequestId", awsproto.RequestID())
	}
	encoders[p].WriteError(w, nil, failureError(p, f))
}

// failureError is the refusal f as protocol p phrases it: its status, code and message.
func failureError(p Protocol, f *Failure) *awsproto.Error {
	msg := f.Msg
	switch f.Kind {
	case Missing, UnknownKey, BadSignature:
		if p != Registry {
			msg += hint
		}
	}
	c := codes[f.Kind]
	e := &awsproto.Error{Status: http.StatusBadRequest, Code: c.json, QueryCode: c.query, Message: msg}
	if f.Kind == Denied {
		e.Status = http.StatusForbidden
	}
	switch p {
	case Registry:
		e.Status, e.Code = http.StatusUnauthorized, "UNAUTHORIZED"
		if f.Kind == Denied {
			e.Status, e.Code = http.StatusForbidden, "DENIED"
		}
	case CBOR, AWSJSON:
		// awsJson and rpc-v2-cbor services answer authentication failures with 400, as
		// DynamoDB, SSM and ECR do.
	case Query:
		e.Status, e.Code = http.StatusForbidden, c.query
	case S3:
		e.Status, e.Code = http.StatusForbidden, c.s3
		switch f.Kind {
		case Malformed, BadDigest:
			e.Status = http.StatusBadRequest
		case Missing:
			e.Message = "Access Denied" + hint
		case UnknownKey:
			e.Message = "The AWS Access Key Id you provided does not exist in our records." + hint
		}
		if (f.Kind == UnknownKey || f.Kind == BadSignature) && f.Key != "" {
			e.With("AWSAccessKeyId", f.Key)
		}
	default: // RestJSON: API Gateway's 403 with the type in X-Amzn-ErrorType
		e.Status = http.StatusForbidden
	}
	return e
}
