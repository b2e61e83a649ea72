// Package ecr serves the Amazon ECR API (awsJson1_1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*)
// for the local provider, backed by the local OCI registry.
//
// Repositories (settings, tags, lifecycle policy) live in bbolt; images live in the registry.
// The service installs hooks on the registry so that pushes to a repository that was never
// created fail like ECR's, and IMMUTABLE repositories refuse to move a tag.
package ecr

import (
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/agentcore/agentcore/local/internal/awsjson"
	"net/http"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/registry"
)

// Config is what the ECR service needs to build ARNs and repository URIs.
type Config struct {
	Account      string // 12-digit account id used in every ARN
	Region       string
	RegistryHost string // host:port of the loopback registry, used in repositoryUri

	// RegistryHostFunc, when set, is asked for the registry host at each request instead of
	// RegistryHost: the server learns its port only once it listens.
	RegistryHostFunc func() string

	// Now is the clock; nil means time.Now.
	Now func() time.Time

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

// New returns the ECR API handler, a *Service. repositoryUri and proxyEndpoint use
// cfg.RegistryHost, or cfg.RegistryHostFunc when set, or what SetRegistryHost set later.
// New installs the registry's repository-exists and tag-immutability hooks.
func New(db *bolt.DB, reg *registry.Registry, cfg Config) (http.Handler, error) {
	return NewService(db, reg, cfg)
}

// NewService is New with the concrete type, for callers that need SetRegistryHost.
func NewService(db *bolt.DB, reg *registry.Registry, cfg Config) (*Service, error) {
	if cfg.Account == "" || cfg.Region == "" {
		return nil, errors.New("ecr: account and region are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketRepos)
		return err
	}); err != nil {
		return nil, fmt.Errorf("ecr: creating bucket: %w", err)
	}
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

// operations is the table of contents of the service: X-Amz-Target suffix → handler.
var api = &awsjson.Service[*Service]{Prefix: targetPrefix, InternalCode: "ServerException", Ops: map[string]awsjson.Op[*Service]{
	"CreateRepository":      (*Service).createRepository,
	"DescribeRepositories":  (*Service).describeRepositories,
	"DeleteRepository":      (*Service).deleteRepository,
	"GetAuthorizationToken": (*Service).getAuthorizationToken,
	"DescribeImages":        (*Service).describeImages,
	"ListImages":            (*Service).listImages,
	"BatchDeleteImage":      (*Service).batchDeleteImage,
	"PutLifecyclePolicy":    (*Service).putLifecyclePolicy,
	"GetLifecyclePolicy":    (*Service).getLifecyclePolicy,
	"DeleteLifecyclePolicy": (*Service).deleteLifecyclePolicy,
	"TagResource":           (*Service).tagResource,
	"UntagResource":         (*Service).untagResource,
	"ListTagsForResource":   (*Service).listTagsForResource,

	"BatchGetImage":                 (*Service).batchGetImage,
	"PutImage":                      (*Service).putImage,
	"PutImageTagMutability":         (*Service).putImageTagMutability,
	"PutImageScanningConfiguration": (*Service).putImageScanningConfiguration,
}}

// ---- awsJson1_1 plumbing ----

const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// apiError is an awsJson1_1 error (local/internal/awsjson).
type apiError = awsjson.Error

func newErr(code, format string, args ...any) *apiError { return awsjson.Errorf(code, format, args...) }

func invalidParam(format string, args ...any) *apiError {
	return newErr("InvalidParameterException", format, args...)
}

// epoch is how awsJson1_1 encodes timestamps.
type epoch = awsjson.Epoch

// ServeHTTP dispatches on X-Amz-Target.
func (s *Service) ServeHTTP(w http.ResponseWriter, req *http.Request) { api.Serve(s, w, req) }

func decode(req *http.Request, v any) error { return awsjson.Decode(req, v) }

func pageToken(after string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte(after))
	return &t
}

func parsePageToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", invalidParam("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid token'")
	}
	return string(b), nil
}

// withToken adds nextToken to a list response when there is a next page.
func withToken(m map[string]any, next *string) map[string]any {
	if next != nil {
		m["nextToken"] = *next
	}
	return m
}
