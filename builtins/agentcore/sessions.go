package agentcore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// dataPlaneService is the SigV4 signing name of the AgentCore data plane.
const dataPlaneService = "bedrock-agentcore"

var emptySHA256 = func() string { h := sha256.Sum256(nil); return hex.EncodeToString(h[:]) }()

// dataPlaneURL is the URL of a data plane path of a runtime (its ARN one escaped segment), on
// the environment's endpoint: the local endpoint's, or AWS's of the session's region.
func dataPlaneURL(s *awscall.Session, arn, suffix string, q url.Values) *url.URL {
	base := s.Endpoint()
	if base == "" {
		base = "https://bedrock-agentcore." + s.Config.Region + ".amazonaws.com"
	}
	u, _ := url.Parse(strings.TrimSuffix(base, "/"))
	u.RawPath = u.Path + "/runtimes/" + url.PathEscape(arn) + suffix
	u.Path = u.Path + "/runtimes/" + arn + suffix
	u.RawQuery = q.Encode()
	return u
}

// signedHeaders signs a bodiless request to u with the session's credentials (SigV4 in
// headers, as the SDKs sign) and returns the headers to send: header plus the signature's.
func signedHeaders(ctx context.Context, s *awscall.Session, method string, u *url.URL, header http.Header) (http.Header, error) {
	creds, err := s.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("getting AWS credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, dataPlaneService, s.Config.Region, time.Now()); err != nil {
		return nil, fmt.Errorf("signing the request: %w", err)
	}
	return req.Header, nil
}

// sessionInfo is one live session as the local endpoint lists it.
type sessionInfo struct {
	RuntimeSessionID string `json:"runtimeSessionId"`
	EndpointName     string `json:"endpointName"`
	Version          string `json:"agentRuntimeVersion,omitempty"`
	StartedAt        string `json:"startedAt,omitempty"`
	LastRequestAt    string `json:"lastRequestAt"`
	IdleTimeoutAt    string `json:"idleTimeoutAt"`
	MaxLifetimeAt    string `json:"maxLifetimeAt,omitempty"`
	IdleTimeout      int    `json:"idleRuntimeSessionTimeout"`
	MaxLifetime      int    `json:"maxLifetime"`
}

type sessionList struct {
	AgentRuntimeArn string        `json:"agentRuntimeArn"`
	Sessions        []sessionInfo `json:"sessions"`
}

// luaListSessions asks the local endpoint's own route (AgentCore has no API that lists
// runtime sessions).
func (m *module) luaListSessions(L *lua.LState, arn string) (*sessionList, error) {
	doing := "listing the sessions of agent runtime " + arn
	return engine.Unlocked(L, func(ctx context.Context) (*sessionList, error) {
		s, err := m.dataPlane.AWS.Session(ctx, engine.FromL(L))
		if err != nil {
			return nil, err
		}
		if s.Endpoint() == "" {
			return nil, engine.Usagef("on AWS, list the project's own sessions and the runtime's log streams instead (agentcore sessions does)",
				"%s: AgentCore has no API that lists runtime sessions; only the local endpoint answers list_sessions", doing)
		}
		u := dataPlaneURL(s, arn, "/sessions", nil)
		h, err := signedHeaders(ctx, s, http.MethodGet, u, http.Header{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", doing, err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, restError(doing, resp, body)
		}
		out := &sessionList{}
		if err := json.Unmarshal(body, out); err != nil {
			return nil, fmt.Errorf("%s: the answer is not JSON: %w", doing, err)
		}
		if out.Sessions == nil {
			out.Sessions = []sessionInfo{}
		}
		return out, nil
	})
}

// restError turns a restJson1 error answer into an error that keeps its AWS code first, as
// the SDK's errors do.
func restError(doing string, resp *http.Response, body []byte) error {
	var e struct {
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	json.Unmarshal(body, &e)
	code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-Errortype"), ":")
	if code == "" {
		code = http.StatusText(resp.StatusCode)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Message2
	}
	err := engine.Failf("", "%s: %s: %s", doing, code, msg)
	err.AWSCode = code
	if resp.StatusCode == http.StatusNotFound {
		err.Hint = "check the agent is deployed in this environment: agentcore status"
	}
	return err
}
