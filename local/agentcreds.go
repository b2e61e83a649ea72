package local

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/control"
	"github.com/agentcore/agentcore/local/identity"
	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/memory"
)

// Agent credentials: every local agent gets AWS credentials of its own (auth.Credentials.Agent,
// derived per runtime from the endpoint's secret) and an AWS_ENDPOINT_URL it can reach: the
// endpoint's loopback port for host processes (a code sandbox forwards it, control/codens.go),
// the agents' listener on the Docker bridge gateway for containers (observability.go). Those
// credentials reach the data planes alone (agentScope); the gateway listener serves nothing
// else, to anyone.

// agentScope tells whether an agent's sandbox credentials may call r, and names r's operation
// for the refusal. Allowed: the Identity data plane, Secrets Manager GetSecretValue and STS
// (GetCallerIdentity, all it serves), and the Memory data plane (of the agent's own memory:
// agentMemoryAllowed).
func agentScope(r *http.Request, p auth.Protocol) (bool, string) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case identity.IsIdentity(r):
		_, ok := identity.DataPlane[r.URL.Path]
		return ok, "bedrock-agentcore:" + identity.Operation(r)
	case memory.IsMemory(r):
		name, _, data, ok := memory.Operation(r)
		if !ok {
			return false, r.Method + " " + r.URL.Path
		}
		return data, "bedrock-agentcore:" + name
	case target != "":
		svc, op, _ := strings.Cut(target, ".")
		return target == "secretsmanager.GetSecretValue", svc + ":" + op
	case p == auth.Query:
		return true, "sts:GetCallerIdentity"
	case strings.HasPrefix(r.URL.Path, "/runtimes"):
		return false, "the runtime APIs (" + r.Method + " " + r.URL.Path + ")"
	case strings.HasPrefix(r.URL.Path, "/v2"):
		return false, "the registry"
	}
	return false, r.Method + " " + r.URL.Path
}

// scoped is classify with the agents' scope filled in.
func (s *Server) scoped(r *http.Request) auth.Route {
	route := s.classify(r)
	route.Agent, route.Op = agentScope(r, route.Protocol)
	return route
}

// agentAWSEnv is the AWS environment of an agent being started: its sandbox credentials and
// the endpoint it reaches (empty when the sandbox has no way to the endpoint).
func (s *Server) agentAWSEnv(info control.AgentInfo, endpoint string) []string {
	if endpoint == "" {
		return nil
	}
	c := s.cfg.Credentials.Agent(info.RuntimeID)
	return []string{
		"AWS_ACCESS_KEY_ID=" + c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + c.SessionToken,
		"AWS_ENDPOINT_URL=" + endpoint,
	}
}

// agentGuard is the front door of the agents' listener at host (the Docker bridge gateway):
// agents' sandbox credentials only, data-plane operations only.
func (s *Server) agentGuard(host string) *auth.Guard {
	return &auth.Guard{Creds: s.cfg.Credentials, Host: host, Classify: s.scoped, Now: s.cfg.Now,
		AgentLive: s.control.RuntimeExists, Next: http.HandlerFunc(s.dispatch)}
}

// derivedKey is a key for one purpose, derived from the endpoint's secret key (a reset, which
// makes new credentials, voids everything signed with it).
func derivedKey(c auth.Credentials, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(c.SecretAccessKey))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// agentSecretAllowed refuses an agent's GetSecretValue of a secret its runtime's environment
// variables do not name (by name, full ARN, or ARN without its random suffix): what an
// AgentCore runtime's role would be granted. It reads the SecretId and puts the body back;
// false means it answered the refusal.
func (s *Server) agentSecretAllowed(w http.ResponseWriter, r *http.Request) bool {
	id := auth.FromContext(r.Context())
	if id == nil || id.Agent == "" {
		return true
	}
	var in struct {
		SecretID string `json:"SecretId"`
	}
	if !peekJSON(r, &in) {
		return true // the service answers the unreadable body
	}
	if in.SecretID != "" {
		for _, v := range s.control.RuntimeEnvValues(id.Agent) {
			if sameSecret(v, in.SecretID) {
				return true
			}
		}
	}
	awsproto.JSON{Version: "1.1"}.WriteError(w, r, awsproto.Errorf(http.StatusForbidden, "AccessDeniedException",
		"%s", fmt.Sprintf("agent runtime %s is not authorized to perform secretsmanager:GetSecretValue on %q: its sandbox credentials read only the secrets its environment variables name", id.Agent, in.SecretID)))
	return false
}

// sameSecret tells whether two secret ids (names, full ARNs, or ARNs without the random
// suffix) name the same secret: their names are equal, or one is the other and the 7
// characters of a full ARN's "-XXXXXX".
func sameSecret(a, b string) bool {
	name := func(id string) string {
		if _, n, ok := strings.Cut(id, ":secret:"); ok && strings.HasPrefix(id, "arn:") {
			return n
		}
		return id
	}
	a, b = name(a), name(b)
	if len(a) < len(b) {
		a, b = b, a
	}
	return b != "" && (a == b || (len(a) == len(b)+7 && a[:len(b)+1] == b+"-"))
}

// agentMemoryAllowed refuses an agent's Memory data-plane call on a memory its runtime's
// environment variables do not name (BEDROCK_AGENTCORE_MEMORY_ID, which create sets): what an
// AgentCore runtime's role is granted, exactly its memory's ARN. false means it answered the
// refusal.
func (s *Server) agentMemoryAllowed(w http.ResponseWriter, r *http.Request) bool {
	id := auth.FromContext(r.Context())
	if id == nil || id.Agent == "" {
		return true
	}
	name, memoryID, _, _ := memory.Operation(r)
	if memoryID != "" {
		for _, v := range s.control.RuntimeEnvValues(id.Agent) {
			if v == memoryID {
				return true
			}
		}
	}
	awsproto.RestJSON{}.WriteError(w, r, awsproto.Errorf(http.StatusForbidden, "AccessDeniedException",
		"%s", fmt.Sprintf("agent runtime %s is not authorized to perform bedrock-agentcore:%s on memory %q: its sandbox credentials use only the memory its environment names (BEDROCK_AGENTCORE_MEMORY_ID)", id.Agent, name, memoryID)))
	return false
}

// agentProviderAllowed refuses an agent's GetResourceApiKey or GetResourceOauth2Token of a
// credential provider its runtime's environment variables do not name
// (AGENTCORE_CREDENTIAL_NAME, which agentcore create sets): what an AgentCore runtime's role is
// granted, exactly the providers its agent lists. It reads the provider's name and puts the
// body back; false means it answered the refusal.
func (s *Server) agentProviderAllowed(w http.ResponseWriter, r *http.Request) bool {
	id := auth.FromContext(r.Context())
	op := identity.DataPlane[r.URL.Path]
	if id == nil || id.Agent == "" || op != "GetResourceApiKey" && op != "GetResourceOauth2Token" {
		return true
	}
	var in struct {
		Provider string `json:"resourceCredentialProviderName"`
	}
	if !peekJSON(r, &in) {
		return true // the service answers the unreadable body
	}
	if in.Provider != "" {
		for _, v := range s.control.RuntimeEnvValues(id.Agent) {
			if v == in.Provider {
				return true
			}
		}
	}
	awsproto.RestJSON{}.WriteError(w, r, awsproto.Errorf(http.StatusForbidden, "AccessDeniedException",
		"%s", fmt.Sprintf("agent runtime %s is not authorized to perform bedrock-agentcore:%s on credential provider %q: its sandbox credentials read only the providers its environment names (AGENTCORE_CREDENTIAL_NAME)", id.Agent, op, in.Provider)))
	return false
}

// peekJSON decodes r's JSON body (its first MiB) into v and puts the body back for the
// service; false when the body cannot be read. A body that is not JSON leaves v as it was.
func peekJSON(r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	json.Unmarshal(body, v)
	return true
}
