// Package sts serves STS GetCallerIdentity (awsQuery protocol) for the local provider.
//
// Every caller is the same IAM user, arn:aws:iam::ACCOUNT:user/local: the endpoint's guard
// (local/auth) lets through only requests signed with the endpoint's own key pair.
package sts

import (
	"encoding/xml"
	"net/http"
	"net/url"

	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// UserID is the unique id reported for the local user (IAM user ids start with AIDA).
const UserID = "AIDALOCALAGENTCORE00"

// Service answers awsQuery requests (form-encoded POST, or GET with a query string); it
// implements http.Handler.
type Service struct{ cfg awsproto.Config }

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

// ServeHTTP dispatches on Action.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) { api.Serve(s, w, req) }

type getCallerIdentityResult struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

func (s *Service) getCallerIdentity(url.Values) (any, error) {
	return getCallerIdentityResult{Arn: Arn(s.cfg.Account), UserID: UserID, Account: s.cfg.Account}, nil
}
