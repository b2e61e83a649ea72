// Package ecr serves the Amazon ECR API (awsJson1_1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*)
// for the local provider, backed by the local OCI registry.
//
// Repositories (settings, tags, lifecycle policy) live in bbolt; images live in the registry.
// The service installs hooks on the registry so that pushes to a repository that was never
// created fail like ECR's, and IMMUTABLE repositories refuse to move a tag.
package ecr

import (
	"errors"
	"net/http"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/internal/awsproto"
	"github.com/agentcore/agentcore/local/registry"
)

// Config is what the ECR service is built from: the common service config (DB, Account,
// Region, Now) and the registry it fronts.
type Config struct {
	awsproto.Config
	Registry     *registry.Registry
	RegistryHost string // host:port of the loopback registry, used in repositoryUri

	// RegistryHostFunc, when set, is asked for the registry host at each request instead of
	// RegistryHost: the server learns its port only once it listens.
	RegistryHostFunc func() string

	// AuthorizationToken mints GetAuthorizationToken's token, base64("AWS:" + password),
	// which the registry in front of which this service runs accepts until expires (see
	// local/auth). Nil: a token of the right shape that nothing checks.
	AuthorizationToken func(now time.Time) (token string, expires time.Time)
}

// bucketRepos holds one JSON record per repository, keyed by name.
var bucketRepos = []byte("ecr.repositories")

// Service is the ECR API handler.
type Service struct {
	db  *bolt.DB
	reg *registry.Registry
	cfg Config

	hostMu sync.RWMutex
	host   string
}

// New returns the ECR API handler. repositoryUri and proxyEndpoint use cfg.RegistryHost, or
// cfg.RegistryHostFunc when set, or what SetRegistryHost set later. New installs the
// registry's repository-exists and tag-immutability hooks.
func New(cfg Config) (*Service, error) {
	if cfg.Account == "" {
		return nil, errors.New("ecr: Config.Account is required")
	}
	cfg.Config = cfg.Config.WithDefaults()
	if err := cfg.Open("ecr", bucketRepos); err != nil {
		return nil, err
	}
	db, reg := cfg.DB, cfg.Registry
	s := &Service{db: db, reg: reg, cfg: cfg, host: cfg.RegistryHost}
	if reg != nil {
		reg.SetRegistryID(cfg.Account)
		reg.SetRepositoryExists(func(name string) bool {
			_, err := s.getRepo(name)
			return err == nil
		})
		reg.SetTagImmutable(func(name string) bool {
			r, err := s.getRepo(name)
			return err == nil && r.ImageTagMutability == "IMMUTABLE"
		})
	}
	return s, nil
}

// SetRegistryHost sets the host:port used in repositoryUri and proxyEndpoint; the server
// calls it once it knows the port it listens on.
func (s *Service) SetRegistryHost(hostport string) {
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	s.host = hostport
}

func (s *Service) registryHost() string {
	if s.cfg.RegistryHostFunc != nil {
		return s.cfg.RegistryHostFunc()
	}
	s.hostMu.RLock()
	defer s.hostMu.RUnlock()
	return s.host
}

// api is the table of contents of the service: X-Amz-Target suffix → operation.
var api = &awsproto.JSONService[*Service]{Prefix: targetPrefix, Protocol: awsproto.JSON{Version: "1.1", BothMessages: true, Internal: "ServerException"}, Ops: map[string]awsproto.Handler[*Service]{
	"CreateRepository":      awsproto.Op((*Service).createRepository),
	"DescribeRepositories":  awsproto.Op((*Service).describeRepositories),
	"DeleteRepository":      awsproto.Op((*Service).deleteRepository),
	"GetAuthorizationToken": awsproto.Op((*Service).getAuthorizationToken),
	"DescribeImages":        awsproto.Op((*Service).describeImages),
	"ListImages":            awsproto.Op((*Service).listImages),
	"BatchDeleteImage":      awsproto.Op((*Service).batchDeleteImage),
	"PutLifecyclePolicy":    awsproto.Op((*Service).putLifecyclePolicy),
	"GetLifecyclePolicy":    awsproto.Op((*Service).getLifecyclePolicy),
	"DeleteLifecyclePolicy": awsproto.Op((*Service).deleteLifecyclePolicy),
	"TagResource":           awsproto.Op((*Service).tagResource),
	"UntagResource":         awsproto.Op((*Service).untagResource),
	"ListTagsForResource":   awsproto.Op((*Service).listTagsForResource),

	"BatchGetImage":                 awsproto.Op((*Service).batchGetImage),
	"PutImage":                      awsproto.Op((*Service).putImage),
	"PutImageTagMutability":         awsproto.Op((*Service).putImageTagMutability),
	"PutImageScanningConfiguration": awsproto.Op((*Service).putImageScanningConfiguration),
}}

// ---- awsJson1_1 plumbing ----

const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// ServeHTTP dispatches on X-Amz-Target.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) { api.Serve(s, w, req) }

// newErr returns a 400 error of the given code; every operation's errors are
// *awsproto.Error.
var newErr = awsproto.ClientErrorf

func invalidParam(format string, args ...any) *awsproto.Error {
	return newErr("InvalidParameterException", format, args...)
}

// epoch is how awsJson encodes timestamps.
type epoch = awsproto.Epoch

func pageToken(after string) *string {
	t := awsproto.PageToken(after)
	return &t
}

func parsePageToken(tok *string) (string, error) {
	return awsproto.ParsePageToken(tok, invalidParam("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'"))
}

// withToken adds nextToken to a list response when there is a next page.
func withToken(m map[string]any, next *string) map[string]any {
	if next != nil {
		m["nextToken"] = *next
	}
	return m
}
