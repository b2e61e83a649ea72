package local

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"

	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/control"
	"github.com/agentcore/agentcore/local/identity"
)

// Agent credentials: every local agent gets AWS credentials of its own (auth.Credentials.Agent,
// derived per runtime from the endpoint's secret) and an AWS_ENDPOINT_URL it can reach: the
// endpoint's loopback port for host processes (a code sandbox forwards it, control/codens.go),
// the agents' listener on the Docker bridge gateway for containers (observability.go). Those
// credentials reach the data planes alone (agentScope); the gateway listener serves nothing
// else, to anyone.

// agentScope tells whether an agent's sandbox credentials may call r, and names r's operation
// for the refusal. Allowed: the Identity data plane, Secrets Manager GetSecretValue and STS
// (GetCallerIdentity, all it serves). The Memory data plane belongs here too once served.
func agentScope(r *http.Request, p auth.Protocol) (bool, string) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case identity.IsIdentity(r):
		_, ok := identity.DataPlane[r.URL.Path]
		return ok, "bedrock-agentcore:" + identity.Operation(r)
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
func (s *Server) agentGuard(host string) http.Handler {
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
