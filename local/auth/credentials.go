// Package auth makes the local AgentCore endpoint its owner's alone, the way AWS does it: an
// access key pair generated at the first start and kept in a mode-0600 file, AWS Signature
// Version 4 verified on every AWS API call (any service: the scope names it), registry tokens
// minted by ECR's GetAuthorizationToken and checked without state, and a front door that
// refuses what only a browser would send (foreign Host headers, Origin, form content types).
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/sharefile"
)

// FileName is the credentials file's name in the local endpoint's data directory.
const FileName = "credentials.json"

// AccessKeyPrefix starts every generated access key id: AWS's long-term key prefix (AKIA)
// followed by LOCAL, so a key copied somewhere it does not belong is recognisable.
const AccessKeyPrefix = "AKIALOCAL"

// Credentials is the access key pair the local endpoint accepts.
type Credentials struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	Created         time.Time `json:"created"`
}

// Generate returns a fresh key pair: a 20-character key id and a 40-character secret, like
// AWS's.
func Generate() (Credentials, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	id := make([]byte, 20-len(AccessKeyPrefix))
	if _, err := rand.Read(id); err != nil {
		return Credentials{}, err
	}
	for i, b := range id {
		id[i] = alphabet[int(b)%len(alphabet)]
	}
	secret := make([]byte, 30)
	if _, err := rand.Read(secret); err != nil {
		return Credentials{}, err
	}
	return Credentials{
		AccessKeyID:     AccessKeyPrefix + string(id),
		SecretAccessKey: base64.RawURLEncoding.EncodeToString(secret),
		Created:         time.Now().UTC().Truncate(time.Second),
	}, nil
}

// Load reads the credentials file at path.
func Load(path string) (Credentials, error) {
	b, err := sharefile.ReadFile(path)
	if err != nil {
		return Credentials{}, err
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return Credentials{}, fmt.Errorf("reading the local endpoint's credentials %s: %w (delete the file to have new ones generated)", path, err)
	}
	if c.AccessKeyID == "" || len(c.SecretAccessKey) < 16 {
		return Credentials{}, fmt.Errorf("reading the local endpoint's credentials %s: no access key id or secret in it (delete the file to have new ones generated)", path)
	}
	return c, nil
}

// LoadOrCreate reads the credentials file at path, generating it (mode 0600, its directory
// 0700) when there is none. Creation is atomic and exclusive: when two processes race, both
// end up with the pair that was written first.
func LoadOrCreate(path string) (Credentials, error) {
	c, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("creating %s for the local endpoint's credentials: %w", dir, err)
	}
	// The directory holds the secret (and the endpoint's state): only its owner may list it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return Credentials{}, err
	}
	if c, err = Generate(); err != nil {
		return Credentials{}, err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp, err := os.CreateTemp(dir, ".credentials-*")
	if err != nil {
		return Credentials{}, fmt.Errorf("writing the local endpoint's credentials: %w", err)
	}
	defer sharefile.Remove(tmp.Name()) // on Windows, busy while a reader opens path (the same file)
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(b, '\n'))
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return Credentials{}, fmt.Errorf("writing the local endpoint's credentials: %w", err)
		}
	} else {
		tmp.Close()
		return Credentials{}, err
	}
	// A hard link publishes the complete file under its name, and fails if another process
	// published first; rename would silently replace that process's pair.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Load(path)
		}
		return Credentials{}, fmt.Errorf("writing the local endpoint's credentials %s: %w", path, err)
	}
	return c, nil
}

// String shows the key id and hides the secret, so a pair logged by mistake leaks nothing.
func (c Credentials) String() string {
	return c.AccessKeyID + ":" + strings.Repeat("*", 8)
}
