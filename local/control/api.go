package control

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/local/internal/awsproto"
)

// Patterns from the bedrock-agentcore-control model (anchored here; the model's are implicit).
var (
	namePattern      = lazyRegexp(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)
	runtimeIDPattern = lazyRegexp(`^[a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}$`)
	roleArnPattern   = lazyRegexp(`^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$`)
	versionPattern   = lazyRegexp(`^[1-9][0-9]{0,4}$`)
	// The model only allows ECR hosts; the local provider also takes any registry host:port
	// (the local registry is 127.0.0.1:PORT).
	containerURIPattern = lazyRegexp(`^[a-zA-Z0-9.-]+(:[0-9]+)?/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::([^:@]{1,300}))?(?:@(.+))?$`)
)

// runtimeInput is the body of CreateAgentRuntime and UpdateAgentRuntime.
type runtimeInput struct {
	AgentRuntimeName     *string `json:"agentRuntimeName"`
	AgentRuntimeArtifact *struct {
		ContainerConfiguration *struct {
			ContainerURI *string `json:"containerUri"`
		} `json:"containerConfiguration"`
		CodeConfiguration json.RawMessage `json:"codeConfiguration"`
	} `json:"agentRuntimeArtifact"`
	RoleArn                    *string           `json:"roleArn"`
	NetworkConfiguration       json.RawMessage   `json:"networkConfiguration"`
	ClientToken                string            `json:"clientToken"`
	Description                *string           `json:"description"`
	AuthorizerConfiguration    json.RawMessage   `json:"authorizerConfiguration"`
	RequestHeaderConfiguration json.RawMessage   `json:"requestHeaderConfiguration"`
	ProtocolConfiguration      json.RawMessage   `json:"protocolConfiguration"`
	LifecycleConfiguration     json.RawMessage   `json:"lifecycleConfiguration"`
	MetadataConfiguration      json.RawMessage   `json:"metadataConfiguration"`
	EnvironmentVariables       map[string]string `json:"environmentVariables"`
	FilesystemConfigurations   json.RawMessage   `json:"filesystemConfigurations"`
	Tags                       map[string]string `json:"tags"`
}

// decodeBody reads the JSON body into v; bytes after the JSON document are refused.
func decodeBody(r *http.Request, v any) error {
	if err := awsproto.ReadJSON(r, v); err != nil {
		e := validationf("could not parse the request body as JSON: %v", err)
		e.Reason = "CannotParse"
		return e
	}
	return nil
}

// config validates a create/update body and returns the version config it describes.
func (in *runtimeInput) config() (runtimeConfig, error) {
	var cfg runtimeConfig
	if in.AgentRuntimeArtifact == nil {
		return cfg, fieldMissing("agentRuntimeArtifact")
	}
	art := in.AgentRuntimeArtifact
	if art.CodeConfiguration != nil && art.ContainerConfiguration != nil {
		return cfg, validationf("agentRuntimeArtifact is a union: set exactly one of containerConfiguration and codeConfiguration")
	}
	if art.CodeConfiguration != nil {
		code, err := parseCodeConfiguration(art.CodeConfiguration)
		if err != nil {
			return cfg, err
		}
		cfg.Code = code
	} else {
		cc := art.ContainerConfiguration
		if cc == nil {
			return cfg, fieldMissing("agentRuntimeArtifact.containerConfiguration")
		}
		if cc.ContainerURI == nil || *cc.ContainerURI == "" {
			return cfg, fieldMissing("agentRuntimeArtifact.containerConfiguration.containerUri")
		}
		if len(*cc.ContainerURI) > 1024 || !containerURIPattern().MatchString(*cc.ContainerURI) {
			return cfg, fieldInvalid("agentRuntimeArtifact.containerConfiguration.containerUri", *cc.ContainerURI,
				"Member must be a container image reference REGISTRY/REPOSITORY[:TAG][@DIGEST], e.g. 127.0.0.1:PORT/my-agent:latest")
		}
		cfg.ContainerURI = *cc.ContainerURI
	}
	if in.RoleArn == nil {
		return cfg, fieldMissing("roleArn")
	}
	if !roleArnPattern().MatchString(*in.RoleArn) || len(*in.RoleArn) > 2048 {
		return cfg, fieldInvalid("roleArn", *in.RoleArn, "Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
	}
	if in.NetworkConfiguration == nil {
		return cfg, fieldMissing("networkConfiguration")
	}
	var nc struct {
		NetworkMode       *string         `json:"networkMode"`
		NetworkModeConfig json.RawMessage `json:"networkModeConfig"`
	}
	if err := json.Unmarshal(in.NetworkConfiguration, &nc); err != nil {
		return cfg, fieldInvalid("networkConfiguration", string(in.NetworkConfiguration), "Member must be a NetworkConfiguration structure")
	}
	if nc.NetworkMode == nil {
		return cfg, fieldMissing("networkConfiguration.networkMode")
	}
	if *nc.NetworkMode != "PUBLIC" && *nc.NetworkMode != "VPC" {
		return cfg, fieldInvalid("networkConfiguration.networkMode", *nc.NetworkMode, "Member must satisfy enum value set: [PUBLIC, VPC]")
	}
	if *nc.NetworkMode == "VPC" && nc.NetworkModeConfig == nil {
		return cfg, fieldMissing("networkConfiguration.networkModeConfig")
	}
	if in.Description != nil && (len(*in.Description) < 1 || len(*in.Description) > 4096) {
		return cfg, fieldInvalid("description", "***", "Member must have length between 1 and 4096")
	}
	if len(in.EnvironmentVariables) > 50 {
		return cfg, fieldInvalid("environmentVariables", fmt.Sprintf("%d entries", len(in.EnvironmentVariables)), "Member must have at most 50 entries")
	}
	for k, v := range in.EnvironmentVariables {
		if len(k) < 1 || len(k) > 100 || len(v) > 5000 {
			return cfg, fieldInvalid("environmentVariables", k, "Member keys must have length between 1 and 100 and values at most 5000")
		}
	}
	cfg = runtimeConfig{
		ContainerURI:               cfg.ContainerURI,
		Code:                       cfg.Code,
		RoleArn:                    *in.RoleArn,
		EnvironmentVariables:       in.EnvironmentVariables,
		NetworkConfiguration:       in.NetworkConfiguration,
		AuthorizerConfiguration:    in.AuthorizerConfiguration,
		RequestHeaderConfiguration: in.RequestHeaderConfiguration,
		ProtocolConfiguration:      in.ProtocolConfiguration,
		LifecycleConfiguration:     in.LifecycleConfiguration,
		MetadataConfiguration:      in.MetadataConfiguration,
		FilesystemConfigurations:   in.FilesystemConfigurations,
	}
	if in.Description != nil {
		cfg.Description = *in.Description
	}
	return cfg, nil
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

func (s *Service) createRuntime(w http.ResponseWriter, r *http.Request) error {
	var in runtimeInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.AgentRuntimeName == nil {
		return fieldMissing("agentRuntimeName")
	}
	name := *in.AgentRuntimeName
	if !namePattern().MatchString(name) {
		return fieldInvalid("agentRuntimeName", name, "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,47}")
	}
	cfg, err := in.config()
	if err != nil {
		return err
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	idem := in.idempotency()
	now := time.Now().UTC()
	id := name + "-" + randomAlnum(10)
	rt := &runtimeRec{
		ID: id, Name: name, Arn: s.runtimeArn(id), ClientToken: in.ClientToken, Idem: idem,
		Status: statusCreating, CreatedAt: now, LastUpdatedAt: now, Latest: 1, Tags: in.Tags,
		Versions: map[int]*versionRec{1: {Version: 1, Config: cfg, Status: statusCreating, CreatedAt: now, LastUpdatedAt: now}},
	}
	ep := &endpointRec{
		RuntimeID: id, Name: defaultEndpoint, ID: defaultEndpoint + "-" + randomAlnum(10), Arn: s.endpointArn(id, defaultEndpoint),
		TargetVersion: "1", Status: statusCreating, CreatedAt: now, LastUpdatedAt: now,
	}
	var existing *runtimeRec
	err = s.store.insert(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRuntimes).ForEach(func(k, v []byte) error {
			var o runtimeRec
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if o.Name != name {
				return nil
			}
			if retry, err := o.retriedBy(idem, in.ClientToken); err != nil {
				return err
			} else if retry {
				existing = &o
				return errIdempotent
			}
			return conflictf("An agent runtime with the name '%s' already exists (agentRuntimeId %s)", name, o.ID)
		})
	}, rt, ep)
	if errors.Is(err, errIdempotent) {
		rt = existing
	} else if err != nil {
		return err
	}
	if s.cfg.Workloads != nil {
		// Before the rollout, whose sandboxes act for it; a retry converges after a kill.
		if _, err := s.cfg.Workloads.EnsureRuntimeWorkload(rt.ID, rt.Name); err != nil {
			s.cfg.Logf("control: creating the workload identity of runtime %s: %v", rt.ID, err)
		}
	}
	if existing == nil {
		s.rollout(id, 1)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"agentRuntimeArn":         rt.Arn,
		"agentRuntimeId":          rt.ID,
		"agentRuntimeVersion":     "1",
		"createdAt":               ts(rt.CreatedAt),
		"status":                  rt.Status,
		"workloadIdentityDetails": map[string]string{"workloadIdentityArn": s.workloadIdentityArn(rt.Name)},
	})
	return nil
}

var errIdempotent = errors.New("idempotent retry")

// loadRuntime reads a runtime by id from a URI, with the model's errors.
func (s *Service) loadRuntime(id string) (*runtimeRec, error) {
	if !runtimeIDPattern().MatchString(id) {
		return nil, fieldInvalid("agentRuntimeId", id, "Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_]{0,99}-[a-zA-Z0-9]{10}")
	}
	rt, err := s.store.runtime(id)
	if errors.Is(err, errNotFound) {
		return nil, notFoundf("AgentRuntime not found: %s", id)
	}
	return rt, err
}

// mutate is store.update for API handlers: a runtime deleted meanwhile is a
// ResourceNotFoundException.
func (s *Service) mutate(id string, fn func(r *runtimeRec, eps map[string]*endpointRec) error) error {
	err := s.store.update(id, fn)
	if errors.Is(err, errNotFound) {
		return notFoundf("AgentRuntime not found: %s", id)
	}
	return err
}

func (s *Service) updateRuntime(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	if _, err := s.loadRuntime(id); err != nil {
		return err
	}
	var in runtimeInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	cfg, err := in.config()
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	idem := in.idempotency()
	var out *runtimeRec
	var retried *versionRec
	err = s.mutate(id, func(rt *runtimeRec, eps map[string]*endpointRec) error {
		if v, err := rt.versionMadeBy(idem); err != nil || v != nil {
			retried, out = v, rt
			return err
		}
		switch rt.Status {
		case statusCreating, statusUpdating, statusDeleting:
			return conflictf("AgentRuntime %s is %s; wait until it is READY (or failed) before updating it", id, rt.Status)
		}
		if err := sameArtifactType(rt.latest().Config, cfg); err != nil {
			return err
		}
		v := rt.Latest + 1
		rt.Latest = v
		rt.Versions[v] = &versionRec{Version: v, Config: cfg, Status: statusUpdating, CreatedAt: now, LastUpdatedAt: now, Idem: idem}
		rt.Status, rt.FailureReason, rt.LastUpdatedAt = statusUpdating, "", now
		if d := eps[defaultEndpoint]; d != nil {
			d.TargetVersion, d.Status, d.FailureReason, d.LastUpdatedAt = itoa(v), statusUpdating, "", now
		}
		out = rt
		return nil
	})
	if err != nil {
		return err
	}
	version := out.Latest
	if retried != nil {
		version = retried.Version // the retried call's version, nothing rolled out again
	} else {
		s.rollout(id, out.Latest)
	}
	writeJSON(w, http.StatusAccepted, map[string]any{
		"agentRuntimeArn":         out.Arn,
		"agentRuntimeId":          out.ID,
		"agentRuntimeVersion":     itoa(version),
		"createdAt":               ts(out.CreatedAt),
		"lastUpdatedAt":           ts(out.LastUpdatedAt),
		"status":                  out.Status,
		"workloadIdentityDetails": map[string]string{"workloadIdentityArn": s.workloadIdentityArn(out.Name)},
	})
	return nil
}

var defaultLifecycle = json.RawMessage(`{"idleRuntimeSessionTimeout":900,"maxLifetime":28800}`)

func (s *Service) getRuntime(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	rt, err := s.loadRuntime(id)
	if err != nil {
		return err
	}
	ver := rt.latest()
	status, reason := rt.Status, rt.FailureReason
	if q := r.URL.Query().Get("version"); q != "" {
		if !versionPattern().MatchString(q) {
			return fieldInvalid("agentRuntimeVersion", q, "Member must satisfy regular expression pattern: ([1-9][0-9]{0,4})")
		}
		n, _ := strconv.Atoi(q)
		if ver = rt.Versions[n]; ver == nil {
			return notFoundf("AgentRuntime %s has no version %s", id, q)
		}
		status, reason = ver.Status, ver.FailureReason
		if rt.Status == statusDeleting {
			status = statusDeleting
		}
	}
	c := ver.Config
	out := map[string]any{
		"agentRuntimeArn":         rt.Arn,
		"agentRuntimeName":        rt.Name,
		"agentRuntimeId":          rt.ID,
		"agentRuntimeVersion":     itoa(ver.Version),
		"createdAt":               ts(rt.CreatedAt),
		"lastUpdatedAt":           ts(ver.LastUpdatedAt),
		"roleArn":                 c.RoleArn,
		"networkConfiguration":    c.NetworkConfiguration,
		"status":                  status,
		"lifecycleConfiguration":  defaultLifecycle,
		"agentRuntimeArtifact":    artifactShape(c),
		"workloadIdentityDetails": map[string]string{"workloadIdentityArn": s.workloadIdentityArn(rt.Name)},
	}
	if c.LifecycleConfiguration != nil {
		out["lifecycleConfiguration"] = c.LifecycleConfiguration
	}
	if reason != "" {
		out["failureReason"] = reason
	}
	if c.Description != "" {
		out["description"] = c.Description
	}
	if c.EnvironmentVariables != nil {
		out["environmentVariables"] = c.EnvironmentVariables
	}
	for k, v := range map[string]json.RawMessage{
		"protocolConfiguration":      c.ProtocolConfiguration,
		"authorizerConfiguration":    c.AuthorizerConfiguration,
		"requestHeaderConfiguration": c.RequestHeaderConfiguration,
		"metadataConfiguration":      c.MetadataConfiguration,
		"filesystemConfigurations":   c.FilesystemConfigurations,
	} {
		if v != nil {
			out[k] = v
		}
	}
	if c.ProtocolConfiguration == nil {
		out["protocolConfiguration"] = map[string]string{"serverProtocol": "HTTP"}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) summary(rt *runtimeRec, ver *versionRec, status string) map[string]any {
	return map[string]any{
		"agentRuntimeArn":     rt.Arn,
		"agentRuntimeId":      rt.ID,
		"agentRuntimeVersion": itoa(ver.Version),
		"agentRuntimeName":    rt.Name,
		"description":         ver.Config.Description,
		"lastUpdatedAt":       ts(ver.LastUpdatedAt),
		"status":              status,
	}
}

func (s *Service) listRuntimes(w http.ResponseWriter, r *http.Request) error {
	all, err := s.store.runtimes()
	if err != nil {
		return err
	}
	page, next, err := paginate(r, all, func(rt *runtimeRec) string {
		return fmt.Sprintf("%020d/%s", rt.CreatedAt.UnixNano(), rt.ID)
	})
	if err != nil {
		return err
	}
	items := []any{}
	for _, rt := range page {
		items = append(items, s.summary(rt, rt.latest(), rt.Status))
	}
	writeList(w, "agentRuntimes", items, next)
	return nil
}

func (s *Service) listVersions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	rt, err := s.loadRuntime(id)
	if err != nil {
		return err
	}
	var vers []*versionRec
	for _, v := range rt.Versions {
		vers = append(vers, v)
	}
	// Newest first, as moto answers (AWS documents no order; builtins/agentcore sorts anyway).
	// The page key must grow along the list: it counts down from the highest version number.
	sort.Slice(vers, func(i, j int) bool { return vers[i].Version > vers[j].Version })
	page, next, err := paginate(r, vers, func(v *versionRec) string { return fmt.Sprintf("%06d", 999999-v.Version) })
	if err != nil {
		return err
	}
	items := []any{}
	for _, v := range page {
		status := v.Status
		if rt.Status == statusDeleting {
			status = statusDeleting
		}
		items = append(items, s.summary(rt, v, status))
	}
	writeList(w, "agentRuntimes", items, next)
	return nil
}

func (s *Service) deleteRuntime(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("agentRuntimeId")
	if _, err := s.loadRuntime(id); err != nil {
		return err
	}
	err := s.mutate(id, func(rt *runtimeRec, eps map[string]*endpointRec) error {
		now := time.Now().UTC()
		rt.Status, rt.LastUpdatedAt = statusDeleting, now
		for _, e := range eps {
			e.Status, e.LastUpdatedAt = statusDeleting, now
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.deleteRuntimeAsync(id)
	writeJSON(w, http.StatusAccepted, map[string]any{"status": statusDeleting, "agentRuntimeId": id})
	return nil
}

// paginate applies maxResults and nextToken. Tokens are opaque (base64 of the sort key of the
// last item returned), so a page boundary survives items being added or deleted.
func paginate[T any](r *http.Request, items []T, key func(T) string) ([]T, string, error) {
	q := r.URL.Query()
	max := 100
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 100 {
			return nil, "", fieldInvalid("maxResults", m, "Member must have value between 1 and 100")
		}
		max = n
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		after, ok := strings.CutPrefix(string(raw), "v1:")
		if err != nil || !ok {
			return nil, "", validationf("Invalid nextToken: %s", tok)
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("v1:" + key(items[end-1])))
	}
	return items[start:end], next, nil
}

func writeList(w http.ResponseWriter, member string, items []any, next string) {
	out := map[string]any{member: items}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// lazyRegexp compiles a pattern on first use: the binary links this package for every
// command, and compiling these at start-up cost every command (even --help) milliseconds.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return lazyregexp.New(pattern).Regexp
}
