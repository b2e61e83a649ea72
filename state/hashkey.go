package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// HashKeyer is a store that keeps, per environment, a random secret key for keyed hashes
// (the config_hash of a version is an HMAC with it). The key never leaves the store: whoever
// can read the state but not the key cannot confirm a guessed secret from a recorded hash.
type HashKeyer interface {
	// HashKey returns env's key, creating it on first use.
	HashKey(ctx context.Context, env string) ([]byte, error)
}

// HashKeySize is the length of a new key in bytes.
const HashKeySize = 32

// NewHashKey returns a new random key.
func NewHashKey() []byte {
	b := make([]byte, HashKeySize)
	_, _ = rand.Read(b)
	return b
}

// EncodeHashKey and DecodeHashKey are how a key is written down (hex).
func EncodeHashKey(k []byte) string { return hex.EncodeToString(k) }

// DecodeHashKey reads a key written by EncodeHashKey.
func DecodeHashKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) < 16 {
		return nil, errors.New("not a hash key (hex, at least 16 bytes)")
	}
	return k, nil
}

// HashKeyPath is the file holding env's hash key (next to its state, so gitignored with it).
func (s *FileStore) HashKeyPath(env string) string { return filepath.Join(s.Dir, env+".key") }

// HashKey implements HashKeyer: DIR/ENV.key, mode 0600, created on first use. The file appears
// complete (hard link of a synced temporary file), and when two runs create it at once the
// first one wins and both use its key.
func (s *FileStore) HashKey(_ context.Context, env string) ([]byte, error) {
	path := s.HashKeyPath(env)
	for attempt := 0; attempt < 3; attempt++ {
		b, err := os.ReadFile(path)
		if err == nil {
			k, derr := DecodeHashKey(string(b))
			if derr != nil {
				return nil, fmt.Errorf("%s: %w; remove it to make a new one (the next update of each agent then makes one new version)", path, derr)
			}
			return k, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading the hash key: %w", err)
		}
		if err := os.MkdirAll(s.Dir, 0o755); err != nil {
			return nil, err
		}
		if err := createExclusivePerm(path, []byte(EncodeHashKey(NewHashKey())+"\n"), 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("creating the hash key %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("the hash key %s keeps disappearing", path)
}

// SetHashKey replaces env's hash key (sync adopts the shared one), unless it is already k.
func (s *FileStore) SetHashKey(env string, k []byte) error {
	if old, err := os.ReadFile(s.HashKeyPath(env)); err == nil && strings.TrimSpace(string(old)) == EncodeHashKey(k) {
		return nil
	}
	return WriteFileAtomic(s.HashKeyPath(env), []byte(EncodeHashKey(k)+"\n"), 0o600)
}
