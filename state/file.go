package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/agentcore/agentcore/internal/sharefile"
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
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s is not a valid state document: bytes follow its JSON document at offset %d: remove them, or restore the file from a backup", source, dec.InputOffset())
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
			for _, m := range e.History {
				if m.To < 1 || m.From < 0 {
					return fmt.Errorf("agent %q: endpoint %q: a move from %d to %d names no version", name, en, m.From, m.To)
				}
			}
			if n := len(e.History); n > MaxEndpointHistory {
				e.History = append([]EndpointMove(nil), e.History[n-MaxEndpointHistory:]...)
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
	data, err := sharefile.ReadFile(s.path(env))
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
//
// The file is shared by the environment's agents. A run that holds agent locks and not the
// environment's (see Holdings) writes only those agents' entries: under the environment's
// gate it reads the file as it is now, puts its agents' entries in (removing those it
// removed), and writes that, so runs on other agents at the same time keep theirs. st gets
// the saved serial and time; its other agents' entries are left as the caller had them.
func (s *FileStore) Save(ctx context.Context, env string, st *State) error {
	if err := st.Validate(); err != nil {
		return fmt.Errorf("refusing to save state of %s: %w", env, err)
	}
	agents, merge := holdingsFrom(ctx).mergeAgents(s.Dir, env)
	if !merge {
		return s.write(env, st)
	}
	release, err := s.gate(ctx, env)
	if err != nil {
		return err
	}
	defer release()
	cur, err := s.Load(ctx, env)
	if err != nil {
		return err
	}
	for _, name := range agents {
		if a := st.Agents[name]; a != nil {
			cur.Agents[name] = a
		} else {
			delete(cur.Agents, name)
		}
	}
	cur.UpdatedBy = st.UpdatedBy
	if err := s.write(env, cur); err != nil {
		return err
	}
	st.Schema, st.Environment, st.Serial, st.UpdatedAt = cur.Schema, cur.Environment, cur.Serial, cur.UpdatedAt
	return nil
}

func (s *FileStore) write(env string, st *State) error {
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
	if err := sharefile.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LockPoll is how often Acquire tries a held file lock again.
func (s *FileStore) LockPoll() time.Duration {
	if s.Poll == 0 {
		return 200 * time.Millisecond
	}
	return s.Poll
}

// LockPath is the file that holds env's lock.
func (s *FileStore) LockPath(env string) string { return filepath.Join(s.Dir, env+".lock") }

// Lock implements Store. The lock file is written complete before it appears (hard link of a
// temporary file), so readers never see a half-written holder. A lock whose holder was on this
// host and is gone (see Stale) is broken by renaming it away, which only one breaker can win.
// A lock file that is not a lock (empty, not JSON, no holder) is reported as an
// *InvalidLockError, never broken silently. With wait, Acquire does the waiting.
func (s *FileStore) Lock(ctx context.Context, env string, info LockInfo, wait bool) (func() error, error) {
	if wait {
		return Acquire(ctx, s, env, info, WaitOptions{Wait: true, Timeout: 100 * 365 * 24 * time.Hour})
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	release, err := s.gate(ctx, env)
	if err != nil {
		return nil, err
	}
	defer release()
	path := s.LockPath(env)
	data, _ := json.Marshal(info)
	for attempt := 0; ; attempt++ {
		err := createExclusive(path, data)
		if err == nil {
			// no run may hold an agent's lock while the environment's is held
			agent, holder, live, aerr := s.liveAgentLock(env)
			if aerr != nil || live {
				_ = releaseLock(path, data)
				if aerr != nil {
					return nil, aerr
				}
				return nil, &LockedError{Env: env, Agent: agent, Holder: holder}
			}
			done := holdingsFrom(ctx).add(s.Dir, env, "")
			return func() error { done(); return releaseLock(path, data) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking lock %s: %w", path, err)
		}
		raw, rerr := sharefile.ReadFile(path)
		if errors.Is(rerr, fs.ErrNotExist) && attempt < 100 {
			continue // released meanwhile
		}
		if rerr != nil {
			return nil, fmt.Errorf("reading lock %s: %w", path, rerr)
		}
		holder, perr := ParseLock(raw)
		if perr != nil {
			return nil, &InvalidLockError{Env: env, Where: path, Reason: perr.Error(),
				Break: func(context.Context) error { return breakIfUnchanged(path, raw) }}
		}
		if stale, _ := Stale(holder); stale && attempt < 100 {
			breakLock(path)
			continue
		}
		return nil, &LockedError{Env: env, Holder: holder}
	}
}

// ParseLock decodes a lock holder record, saying what is wrong with one that is not.
func ParseLock(b []byte) (LockInfo, error) {
	var li LockInfo
	if len(bytes.TrimSpace(b)) == 0 {
		return li, errors.New("it is empty")
	}
	if err := json.Unmarshal(b, &li); err != nil {
		return li, fmt.Errorf("it is not JSON (%v)", err)
	}
	if err := li.Check(); err != nil {
		return li, fmt.Errorf("it names no holder (%v)", err)
	}
	return li, nil
}

func createExclusive(path string, data []byte) error { return createExclusivePerm(path, data, 0o644) }

// createExclusivePerm makes path appear with data complete, or fails with fs.ErrExist.
func createExclusivePerm(path string, data []byte, perm fs.FileMode) error {
	tmp := fmt.Sprintf("%s.%s", path, randHex())
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if f, err := os.Open(tmp); err == nil {
		_ = f.Sync()
		f.Close()
	}
	return os.Link(tmp, path)
}

func breakLock(path string) {
	stale := path + ".stale-" + randHex()
	if sharefile.Rename(path, stale) == nil {
		sharefile.Remove(stale)
	}
}

// breakIfUnchanged removes an invalid lock file, unless it changed since it was read (a run
// took the lock meanwhile, after someone else removed the bad one).
func breakIfUnchanged(path string, seen []byte) error {
	now, err := sharefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(now, seen) {
		return fmt.Errorf("lock %s changed meanwhile; not removing it", path)
	}
	breakLock(path)
	return nil
}

func releaseLock(path string, ours []byte) error {
	b, err := sharefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !bytes.Equal(b, ours) {
		return fmt.Errorf("lock %s is no longer ours (it was broken and retaken); not removing it", path)
	}
	return sharefile.Remove(path)
}

func randHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
