package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// FileStore keeps each environment's state in DIR/ENV.json and its lock in DIR/ENV.lock.
type FileStore struct {
	Dir string
	// Poll is how often Lock checks a held lock when waiting (default 200ms).
	Poll time.Duration
}

// NewFileStore returns a store rooted at dir (usually PROJECT/.agentcore/state).
func NewFileStore(dir string) *FileStore { return &FileStore{Dir: dir} }

func (s *FileStore) path(env string) string { return filepath.Join(s.Dir, env+".json") }

// Path returns the file that holds env's state.
func (s *FileStore) Path(env string) string { return s.path(env) }

// Where says where env's state is kept, for messages.
func (s *FileStore) Where(env string) string { return s.path(env) }

// New returns an empty state for env.
func New(env string) *State {
	return &State{Schema: SchemaVersion, Environment: env, Agents: map[string]*Agent{}}
}

// Decode parses a state document strictly: unknown fields and newer schemas are refused.
func Decode(data []byte, source string) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%s is not a valid state document: %w", source, err)
	}
	if st.Schema > SchemaVersion {
		return nil, fmt.Errorf("%s has schema %d, newer than this agentcore understands (%d): upgrade agentcore", source, st.Schema, SchemaVersion)
	}
	if st.Schema == 0 {
		return nil, fmt.Errorf("%s has no schema version", source)
	}
	st.normalize()
	return &st, nil
}

func (st *State) normalize() {
	if st.Agents == nil {
		st.Agents = map[string]*Agent{}
	}
	for _, a := range st.Agents {
		if a == nil {
			continue
		}
		if a.Endpoints == nil {
			a.Endpoints = map[string]*Endpoint{}
		}
		if a.Versions == nil {
			a.Versions = []Version{}
		}
		if a.Resources == nil {
			a.Resources = []Resource{}
		}
	}
}

// Validate checks invariants a save must keep.
func (st *State) Validate() error {
	for name, a := range st.Agents {
		if a == nil {
			return fmt.Errorf("agent %q has no state", name)
		}
		seen := map[int]bool{}
		for _, v := range a.Versions {
			if v.Number < 1 {
				return fmt.Errorf("agent %q: version number %d is not positive", name, v.Number)
			}
			if seen[v.Number] {
				return fmt.Errorf("agent %q: version %d recorded twice", name, v.Number)
			}
			seen[v.Number] = true
		}
		for en, e := range a.Endpoints {
			if e == nil {
				return fmt.Errorf("agent %q: endpoint %q has no state", name, en)
			}
		}
		if err := a.validatePending(name); err != nil {
			return err
		}
	}
	return nil
}

// Load implements Store.
func (s *FileStore) Load(_ context.Context, env string) (*State, error) {
	data, err := os.ReadFile(s.path(env))
	if errors.Is(err, fs.ErrNotExist) {
		return New(env), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return Decode(data, s.path(env))
}

// Save implements Store: it writes a temporary file in the same directory, syncs it, and
// renames it over the old one, so a crash leaves either the old or the new state.
func (s *FileStore) Save(_ context.Context, env string, st *State) error {
	if err := st.Validate(); err != nil {
		return fmt.Errorf("refusing to save state of %s: %w", env, err)
	}
	st.normalize()
	st.Schema = SchemaVersion
	st.Environment = env
	st.Serial++
	st.UpdatedAt = time.Now().UTC()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.path(env), append(data, '\n'), 0o644)
}

// Put implements Store.
func (s *FileStore) Put(_ context.Context, env string, st *State) error {
	if err := st.Validate(); err != nil {
		return fmt.Errorf("refusing to write state of %s: %w", env, err)
	}
	st.normalize()
	st.Schema = SchemaVersion
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(s.path(env), append(data, '\n'), 0o644)
}

// WriteFileAtomic writes data to path through a synced temporary file and a rename.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LockedError says the environment is locked by another run.
type LockedError struct {
	Env    string
	Holder LockInfo
}

func (e *LockedError) Error() string {
	h := e.Holder
	return fmt.Sprintf("environment %s is locked by pid %d on %s (%s) since %s", e.Env, h.PID, h.Host, h.Command,
		h.Since.Local().Format(time.DateTime))
}

// Lock implements Store. The lock file is written complete before it appears (hard link of a
// temporary file), so readers never see a half-written holder. A lock whose holder was on this
// host and is no longer running is broken by renaming it away, which only one breaker can win.
func (s *FileStore) Lock(ctx context.Context, env string, info LockInfo, wait bool) (func() error, error) {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(s.Dir, env+".lock")
	data, _ := json.Marshal(info)
	poll := s.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	for {
		err := createExclusive(path, data)
		if err == nil {
			return func() error { return releaseLock(path, data) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking lock %s: %w", path, err)
		}
		holder, rerr := readLock(path)
		switch {
		case rerr != nil && errors.Is(rerr, fs.ErrNotExist):
			continue // released meanwhile
		case rerr != nil:
			// Unreadable lock (a foreign or corrupt file): break it only when old.
			if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > time.Minute {
				breakLock(path)
				continue
			}
		case isStale(holder):
			breakLock(path)
			continue
		}
		if !wait {
			return nil, &LockedError{Env: env, Holder: holder}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the lock of %s (held by pid %d on %s): %w", env, holder.PID, holder.Host, ctx.Err())
		case <-time.After(poll):
		}
	}
}

func createExclusive(path string, data []byte) error {
	tmp := fmt.Sprintf("%s.%s", path, randHex())
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if f, err := os.Open(tmp); err == nil {
		_ = f.Sync()
		f.Close()
	}
	return os.Link(tmp, path)
}

func readLock(path string) (LockInfo, error) {
	var li LockInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return li, err
	}
	if err := json.Unmarshal(b, &li); err != nil {
		return li, fmt.Errorf("lock file %s is not readable: %w", path, err)
	}
	return li, nil
}

// isStale reports whether the holder ran on this host and its process is gone.
func isStale(h LockInfo) bool {
	host, _ := os.Hostname()
	if h.Host != host || h.PID <= 0 {
		return false
	}
	err := syscall.Kill(h.PID, 0)
	return errors.Is(err, syscall.ESRCH)
}

func breakLock(path string) {
	stale := path + ".stale-" + randHex()
	if os.Rename(path, stale) == nil {
		os.Remove(stale)
	}
}

func releaseLock(path string, ours []byte) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(b, ours) {
		return fmt.Errorf("lock %s is no longer ours (it was broken and retaken); not removing it", path)
	}
	return os.Remove(path)
}

func randHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
