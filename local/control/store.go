package control

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Status values shared by runtimes, runtime versions and endpoints (AgentRuntimeStatus and
// AgentRuntimeEndpointStatus in the model have the same enum).
const (
	statusCreating     = "CREATING"
	statusCreateFailed = "CREATE_FAILED"
	statusUpdating     = "UPDATING"
	statusUpdateFailed = "UPDATE_FAILED"
	statusReady        = "READY"
	statusDeleting     = "DELETING"
)

const defaultEndpoint = "DEFAULT"

var (
	bucketRuntimes  = []byte("agentcore.runtimes")
	bucketEndpoints = []byte("agentcore.runtime-endpoints")
	bucketSessions  = []byte("agentcore.runtime-sessions")
	bucketMeta      = []byte("agentcore.runtime-meta")
	bucketProcesses = []byte("agentcore.runtime-processes") // runtimeId/version → procRec (code versions run as host processes)
	keyRegistries   = []byte("registry-hosts")
)

// runtimeConfig is what one immutable runtime version was created with. Members the local
// provider does not act on are kept verbatim so Get returns what was sent.
type runtimeConfig struct {
	ContainerURI               string            `json:"containerUri"`                // "" for code versions
	Code                       *codeConfig       `json:"codeConfiguration,omitempty"` // nil for container versions
	RoleArn                    string            `json:"roleArn"`
	Description                string            `json:"description,omitempty"`
	EnvironmentVariables       map[string]string `json:"environmentVariables,omitempty"`
	NetworkConfiguration       json.RawMessage   `json:"networkConfiguration,omitempty"`
	AuthorizerConfiguration    json.RawMessage   `json:"authorizerConfiguration,omitempty"`
	RequestHeaderConfiguration json.RawMessage   `json:"requestHeaderConfiguration,omitempty"`
	ProtocolConfiguration      json.RawMessage   `json:"protocolConfiguration,omitempty"`
	LifecycleConfiguration     json.RawMessage   `json:"lifecycleConfiguration,omitempty"`
	MetadataConfiguration      json.RawMessage   `json:"metadataConfiguration,omitempty"`
	FilesystemConfigurations   json.RawMessage   `json:"filesystemConfigurations,omitempty"`
	// DevBinary is agentcore dev's program mounted over the image's (local only, never in an
	// API answer); nil outside a dev loop's fast swaps (dev.go).
	DevBinary *devBinary `json:"devBinary,omitempty"`
}

// codeConfig is agentRuntimeArtifact.codeConfiguration, in the model's shape.
type codeConfig struct {
	Code struct {
		S3 *s3Location `json:"s3,omitempty"`
	} `json:"code"`
	Runtime    string   `json:"runtime"`
	EntryPoint []string `json:"entryPoint"`
}

type s3Location struct {
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix"`
	VersionID string `json:"versionId,omitempty"`
}

type versionRec struct {
	Version       int           `json:"version"`
	Config        runtimeConfig `json:"config"`
	Status        string        `json:"status"`
	FailureReason string        `json:"failureReason,omitempty"`
	CreatedAt     time.Time     `json:"createdAt"`
	LastUpdatedAt time.Time     `json:"lastUpdatedAt"`
	Idem          idempotency   `json:"idem,omitempty"` // the UpdateAgentRuntime that made it
}

type runtimeRec struct {
	ID            string              `json:"id"`
	Name          string              `json:"name"`
	Arn           string              `json:"arn"`
	ClientToken   string              `json:"clientToken,omitempty"`
	Status        string              `json:"status"`
	FailureReason string              `json:"failureReason,omitempty"`
	CreatedAt     time.Time           `json:"createdAt"`
	LastUpdatedAt time.Time           `json:"lastUpdatedAt"`
	Latest        int                 `json:"latest"`
	Versions      map[int]*versionRec `json:"versions"`
	Tags          map[string]string   `json:"tags,omitempty"`
	Idem          idempotency         `json:"idem,omitempty"` // the CreateAgentRuntime that made it
}

func (r *runtimeRec) latest() *versionRec { return r.Versions[r.Latest] }

type endpointRec struct {
	RuntimeID     string            `json:"runtimeId"`
	Name          string            `json:"name"`
	ID            string            `json:"id"`
	Arn           string            `json:"arn"`
	Description   string            `json:"description,omitempty"`
	LiveVersion   string            `json:"liveVersion,omitempty"`
	TargetVersion string            `json:"targetVersion,omitempty"`
	Status        string            `json:"status"`
	FailureReason string            `json:"failureReason,omitempty"`
	ClientToken   string            `json:"clientToken,omitempty"`
	CreatedAt     time.Time         `json:"createdAt"`
	LastUpdatedAt time.Time         `json:"lastUpdatedAt"`
	Tags          map[string]string `json:"tags,omitempty"`
	Idem          idempotency       `json:"idem,omitempty"`       // the create call
	IdemUpdate    idempotency       `json:"idemUpdate,omitempty"` // the last update call
}

type sessionRec struct {
	RuntimeID string    `json:"runtimeId"`
	SessionID string    `json:"sessionId"`
	Endpoint  string    `json:"endpoint"`
	LastUsed  time.Time `json:"lastUsed"`
	Version   int       `json:"version,omitempty"` // the version that served its first request
	Sandbox   string    `json:"sandbox,omitempty"` // the sandbox serving it: LabelSandbox, procRec.Sandbox
	Started   time.Time `json:"started,omitempty"`
}

func endpointKey(runtimeID, name string) []byte { return []byte(runtimeID + "/" + name) }

// store is the bbolt persistence of the control plane. Every method is one transaction.
type store struct {
	db *bolt.DB

	// gen counts writes; cache holds records read for the data plane at a generation, valid
	// while no write happened since (see cached).
	gen   atomic.Uint64
	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	gen uint64
	v   any
}

// write is db.Update that invalidates the data plane's cache.
func (s *store) write(fn func(tx *bolt.Tx) error) error {
	defer s.gen.Add(1)
	return s.db.Update(fn)
}

// cached serves a data-plane lookup from memory while nothing was written since it was read
// (the generation is taken before reading, so a write during the read invalidates it). The
// records it returns are shared: read them, never change them.
func cached[T any](s *store, key string, load func() (*T, error)) (*T, error) {
	g := s.gen.Load()
	s.mu.Lock()
	e, ok := s.cache[key]
	s.mu.Unlock()
	if ok && e.gen == g {
		return e.v.(*T), nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cache == nil || len(s.cache) > 4096 {
		s.cache = map[string]cacheEntry{}
	}
	s.cache[key] = cacheEntry{gen: g, v: v}
	s.mu.Unlock()
	return v, nil
}

func (s *store) cachedRuntime(id string) (*runtimeRec, error) {
	return cached(s, "r/"+id, func() (*runtimeRec, error) { return s.runtime(id) })
}

func (s *store) cachedEndpoint(runtimeID, name string) (*endpointRec, error) {
	return cached(s, "e/"+runtimeID+"/"+name, func() (*endpointRec, error) { return s.endpoint(runtimeID, name) })
}

func newStore(db *bolt.DB) (*store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketRuntimes, bucketEndpoints, bucketSessions, bucketMeta, bucketProcesses} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	return &store{db: db}, err
}

var errNotFound = errors.New("not found")

func get[T any](tx *bolt.Tx, bucket, key []byte) (*T, error) {
	b := tx.Bucket(bucket).Get(key)
	if b == nil {
		return nil, errNotFound
	}
	v := new(T)
	return v, json.Unmarshal(b, v)
}

func put(tx *bolt.Tx, bucket, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put(key, b)
}

func (s *store) runtime(id string) (*runtimeRec, error) {
	var r *runtimeRec
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		r, err = get[runtimeRec](tx, bucketRuntimes, []byte(id))
		return err
	})
	return r, err
}

func (s *store) runtimes() ([]*runtimeRec, error) {
	var out []*runtimeRec
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuntimes).ForEach(func(k, v []byte) error {
			r := new(runtimeRec)
			if err := json.Unmarshal(v, r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

func (s *store) endpoint(runtimeID, name string) (*endpointRec, error) {
	var e *endpointRec
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		e, err = get[endpointRec](tx, bucketEndpoints, endpointKey(runtimeID, name))
		return err
	})
	return e, err
}

// endpoints lists a runtime's endpoints in creation order (DEFAULT first).
func (s *store) endpoints(runtimeID string) ([]*endpointRec, error) {
	var out []*endpointRec
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		out, err = endpointsTx(tx, runtimeID)
		return err
	})
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].Name < out[j].Name
	})
	return out, err
}

func endpointsTx(tx *bolt.Tx, runtimeID string) ([]*endpointRec, error) {
	var out []*endpointRec
	prefix := []byte(runtimeID + "/")
	c := tx.Bucket(bucketEndpoints).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		e := new(endpointRec)
		if err := json.Unmarshal(v, e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }

// update runs fn on a runtime and its endpoints in one transaction and writes back what fn
// leaves in them (an endpoint set to nil is deleted).
func (s *store) update(id string, fn func(r *runtimeRec, eps map[string]*endpointRec) error) error {
	return s.write(func(tx *bolt.Tx) error {
		r, err := get[runtimeRec](tx, bucketRuntimes, []byte(id))
		if err != nil {
			return err
		}
		list, err := endpointsTx(tx, id)
		if err != nil {
			return err
		}
		eps := map[string]*endpointRec{}
		for _, e := range list {
			eps[e.Name] = e
		}
		if err := fn(r, eps); err != nil {
			return err
		}
		for k := range eps {
			if eps[k] == nil {
				if err := tx.Bucket(bucketEndpoints).Delete(endpointKey(id, k)); err != nil {
					return err
				}
				continue
			}
			if err := put(tx, bucketEndpoints, endpointKey(id, k), eps[k]); err != nil {
				return err
			}
		}
		return put(tx, bucketRuntimes, []byte(id), r)
	})
}

// insert stores a new runtime and its DEFAULT endpoint; check runs inside the transaction so
// the name check and the insert are atomic.
func (s *store) insert(check func(tx *bolt.Tx) error, r *runtimeRec, eps ...*endpointRec) error {
	return s.write(func(tx *bolt.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		for _, e := range eps {
			if err := put(tx, bucketEndpoints, endpointKey(e.RuntimeID, e.Name), e); err != nil {
				return err
			}
		}
		return put(tx, bucketRuntimes, []byte(r.ID), r)
	})
}

// remove deletes a runtime with its endpoints and sessions.
func (s *store) remove(id string) error {
	return s.write(func(tx *bolt.Tx) error {
		prefix := []byte(id + "/")
		for _, name := range [][]byte{bucketEndpoints, bucketSessions} {
			b := tx.Bucket(name)
			var keys [][]byte
			c := b.Cursor()
			for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k...))
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketRuntimes).Delete([]byte(id))
	})
}

func (s *store) touchSession(rec sessionRec) error {
	return s.write(func(tx *bolt.Tx) error {
		return put(tx, bucketSessions, endpointKey(rec.RuntimeID, rec.SessionID), rec)
	})
}

// sessionRecs lists every recorded session.
func (s *store) sessionRecs() ([]*sessionRec, error) {
	var out []*sessionRec
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			r := new(sessionRec)
			if json.Unmarshal(v, r) == nil {
				out = append(out, r)
			}
			return nil
		})
	})
	return out, err
}

// stopSession deletes a session and reports whether it existed.
func (s *store) stopSession(runtimeID, sessionID string) (bool, error) {
	found := false
	err := s.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		k := endpointKey(runtimeID, sessionID)
		found = b.Get(k) != nil
		return b.Delete(k)
	})
	return found, err
}

func itoa(n int) string { return strconv.Itoa(n) }

// registryHosts records current as an address the local registry is served on and returns every
// address recorded so far.
func (s *store) registryHosts(current string) (map[string]bool, error) {
	hosts := map[string]bool{}
	err := s.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if v := b.Get(keyRegistries); v != nil {
			var list []string
			if err := json.Unmarshal(v, &list); err != nil {
				return err
			}
			for _, h := range list {
				hosts[h] = true
			}
		}
		hosts[current] = true
		list := make([]string, 0, len(hosts))
		for h := range hosts {
			list = append(list, h)
		}
		sort.Strings(list)
		return put(tx, bucketMeta, keyRegistries, list)
	})
	return hosts, err
}

// procRec identifies the host process serving a code version, so that a restarted server adopts
// it (or, when it is gone or no longer wanted, kills what is left of it).
type procRec struct {
	RuntimeID  string `json:"runtimeId"`
	Version    int    `json:"version"`
	Sandbox    string `json:"sandbox,omitempty"` // "" in records of endpoints before sessions had sandboxes
	Session    string `json:"session,omitempty"` // the session it was started for ("" for a pooled one)
	Log        string `json:"log,omitempty"`
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"startTicks"` // /proc/PID/stat start time: tells our process from a reused pid
	Port       int    `json:"port"`
	Dir        string `json:"dir"` // its working directory
	// NetNS is the state directory of the netns sandbox it runs in (codens.go), recorded
	// before the sandbox starts; "" for a plain host process on Port.
	NetNS   string    `json:"netns,omitempty"`
	Command []string  `json:"command"`
	Started time.Time `json:"started"`
}

// key is where the record is kept: RUNTIME/VERSION/SANDBOX (RUNTIME/VERSION in older records).
func (p *procRec) key() []byte {
	k := p.RuntimeID + "/" + itoa(p.Version)
	if p.Sandbox != "" {
		k += "/" + p.Sandbox
	}
	return []byte(k)
}

// processes lists the recorded processes of a runtime ("" for all).
func (s *store) processes(runtimeID string) ([]*procRec, error) {
	var out []*procRec
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketProcesses).ForEach(func(k, v []byte) error {
			p := new(procRec)
			if err := json.Unmarshal(v, p); err != nil {
				return err
			}
			if runtimeID == "" || p.RuntimeID == runtimeID {
				out = append(out, p)
			}
			return nil
		})
	})
	return out, err
}

func (s *store) putProcess(p *procRec) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketProcesses, p.key(), p) })
}

func (s *store) deleteProcess(p *procRec) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketProcesses).Delete(p.key()) })
}
