// Package registry is the local provider's OCI distribution registry (/v2/), storing blobs and
// manifests on disk so images survive a restart.
package registry

import "net/http"

// Registry is a disk-backed OCI registry.
type Registry struct{ http.Handler }

// Open opens (or creates) a registry rooted at dir. TODO(local-ecr helper): implement.
func Open(dir string) (*Registry, error) { return &Registry{http.NotFoundHandler()}, nil }
