// Package sts serves STS GetCallerIdentity (awsQuery protocol) for the local provider.
//
// The endpoint's owner is the IAM user arn:aws:iam::ACCOUNT:user/local; an agent signing with
// its sandbox credentials (local/auth) is a session of a role named after its runtime, as an
// AgentCore runtime's execution role session is: AgentArn.
package sts

import (
	"encoding/xml"
	"net/http"
	"net/url"

	"github.com/agentcore/agentcore/local/auth"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// UserID is the unique id reported for the local user (IAM user ids start with AIDA).
const UserID = "AIDALOCALAGENTCORE00"

// Service answers awsQuery requests (form-encoded POST, or GET with a query string); it
// implements http.Handler.
type Service struct {
	cfg   awsproto.Config
	agent string // the agent runtime of the request being served, "" for the owner
}

// Config is what the service is built from: the account it reports.
type Config = awsproto.Config

// New returns the STS service.
func New(cfg Config) (*Service, error) {
	return awsproto.NewService(cfg, "sts", func(c Config) *Service { return &Service{cfg: c} })
}

// Arn is the identity every caller has.
func Arn(account string) string { return "arn:aws:iam::" + account + ":user/local" }

// api is the table of contents of the service: Action → operation.
var api = &awsproto.QueryService[*Service]{
	Version:  "2011-06-15",
	Protocol: awsproto.Query{Xmlns: "https://sts.amazonaws.com/doc/2011-06-15/"},
	Ops: map[string]func(*Service, url.Values) (any, error){
		"GetCallerIdentity": (*Service).getCallerIdentity,
	},
}

// AgentArn is the identity of an agent's sandbox credentials.
func AgentArn(account, runtimeID string) string {
	return "arn:aws:sts::" + account + ":assumed-role/AgentCoreLocalAgent/" + runtimeID
}

// AgentRoleID is the unique id of the role of AgentArn (role ids start with AROA).
const AgentRoleID = "AROALOCALAGENTCORE00"

// ServeHTTP dispatches on Action.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if id := auth.FromContext(req.Context()); id != nil && id.Agent != "" {
		api.Serve(&Service{cfg: s.cfg, agent: id.Agent}, w, req)
		return
	}
	api.Serve(s, w, req)
}

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

func (s *Service) getCallerIdentity(url.Values) (any, error) {
	if s.agent != "" {
		return getCallerIdentityResult{Arn: AgentArn(s.cfg.Account, s.agent), UserID: AgentRoleID + ":" + s.agent, Account: s.cfg.Account}, nil
	}
	return getCallerIdentityResult{Arn: Arn(s.cfg.Account), UserID: UserID, Account: s.cfg.Account}, nil
}
