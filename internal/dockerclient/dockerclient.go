// Package dockerclient connects to the Docker engine the way the docker CLI does: DOCKER_HOST
// first, then the docker context (DOCKER_CONTEXT or the config's currentContext), then the
// default socket. Both the docker builtin and the local endpoint use it.
package dockerclient

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docker/docker/client"
)

// New returns an API client with version negotiation (the engine may be older than the client).
func New() (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if os.Getenv("DOCKER_HOST") == "" {
		host, err := contextHost()
		if err != nil {
			return nil, err
		}
		if host != "" {
			opts = append(opts, client.WithHost(host))
		}
	}
	return client.NewClientWithOpts(opts...)
}

// Host returns the engine address New would use, for messages.
func Host() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	if h, err := contextHost(); err == nil && h != "" {
		return h
	}
	return client.DefaultDockerHost
}

func configDir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker")
}

// contextHost resolves the current docker context's engine endpoint; "" for the default one.
func contextHost() (string, error) {
	name := os.Getenv("DOCKER_CONTEXT")
	dir := configDir()
	if name == "" && dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, "config.json"))
		if err == nil {
			var cfg struct {
				CurrentContext string `json:"currentContext"`
			}
			if json.Unmarshal(b, &cfg) == nil {
				name = cfg.CurrentContext
			}
		}
	}
	if name == "" || name == "default" {
		return "", nil
	}
	sum := sha256.Sum256([]byte(name))
	path := filepath.Join(dir, "contexts", "meta", hex.EncodeToString(sum[:]), "meta.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("docker context %q: %w (list contexts with: docker context ls)", name, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", fmt.Errorf("docker context %q: reading %s: %w", name, path, err)
	}
	return meta.Endpoints["docker"].Host, nil
}
