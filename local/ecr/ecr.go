// Package ecr serves the Amazon ECR API (awsJson1_1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*)
// for the local provider, backed by the local OCI registry.
package ecr

import (
	"net/http"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/local/registry"
)

// Config is what the ECR service needs to build ARNs and repository URIs.
type Config struct {
	Account      string // 12-digit account id used in every ARN
	Region       string
	RegistryHost string // host:port of the loopback registry, used in repositoryUri
}

// New returns the ECR API handler. TODO(local-ecr helper): implement.
func New(db *bolt.DB, reg *registry.Registry, cfg Config) (http.Handler, error) {
	return http.NotFoundHandler(), nil
}
