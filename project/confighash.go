package project

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
)

// ConfigHashPrefix starts every config hash made with a key. Hashes recorded by earlier
// versions of agentcore start with "sha256:" (unkeyed); they never equal a keyed one, so the
// first update of an agent after upgrading makes one new version, which records the keyed
// hash, and no more.
const ConfigHashPrefix = "hmac-sha256:"

// ConfigHash fingerprints what an AgentCore runtime version is made of besides its image, so
// update can tell "nothing changed" from "new configuration". env holds the resolved
// environment variables, secrets included: a changed secret changes the hash. The hash is
// keyed (HMAC-SHA-256 with the environment's hash key, kept by its state store), so a state
// shared through git or SSM does not let anyone confirm a guessed secret.
func (a *Agent) ConfigHash(key []byte, env map[string]string) string {
	return a.ConfigHashSecrets(key, env, nil)
}

// ConfigHashSecrets is ConfigHash for an agent with { secret = "NAME" } values: env holds
// their ARNs and secretVersions (variable -> the secret's current VersionId) makes a new
// value of a secret a new configuration, without the value itself in the hash. Without
// secret versions the hash is ConfigHash's, so agents without such values keep their hashes.
func (a *Agent) ConfigHashSecrets(key []byte, env map[string]string, secretVersions map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	doc := map[string]any{"protocol": a.Protocol, "env": env, "env_keys": keys, "idle": a.IdleTimeout,
		"max": a.MaxLifetime, "role": a.ExecutionRole, "description": a.Description, "auth": a.Auth}
	if len(secretVersions) > 0 {
		doc["secret_versions"] = secretVersions
	}
	if a.Network != nil {
		// Only when set, so agents without a VPC keep the hashes they had.
		doc["network"] = a.Network
	}
	if a.Build == BuildZip {
		// The managed runtime and the entry point are configuration of a code deployment (the
		// zip's sha256 is its identity, as a digest is an image's).
		doc["code"] = map[string]any{"runtime": a.Runtime, "entrypoint": a.Entrypoint}
	}
	b, _ := json.Marshal(doc)
	mac := hmac.New(sha256.New, key)
	mac.Write(b)
	return ConfigHashPrefix + hex.EncodeToString(mac.Sum(nil))[:16]
}
