// Package state owns an environment's recorded state: its schema, the atomic file store and
// the per-environment lock. The Store interface lets a later backend (SSM) replace the file.
package state

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// SchemaVersion is written into every state document; Load refuses newer ones. Version 2 added
// Agent.Pending (write-ahead intents), version 3 Version.SourceHash and Intent.SourceHash,
// version 4 Endpoint.History (the moves of a named endpoint, which rollback follows back),
// version 5 Agent.Memory (the AgentCore memory the agent uses), version 6 Agent.Credentials
// (the AgentCore Identity credential providers it reads);
// older documents load unchanged (they have none), and an older agentcore refuses a newer
// document with "upgrade agentcore" rather than an unknown field.
const SchemaVersion = 6

// MaxEndpointHistory bounds the moves kept per endpoint: the oldest go first.
const MaxEndpointHistory = 50

// State is what agentcore recorded about one environment.
type State struct {
	Schema      int               `json:"schema"`
	Environment string            `json:"environment"`
	Serial      int64             `json:"serial"` // incremented by every save
	UpdatedAt   time.Time         `json:"updated_at"`
	UpdatedBy   string            `json:"updated_by,omitempty"` // user@host: command
	Agents      map[string]*Agent `json:"agents"`
}

// Agent is one agent's deployment in an environment.
type Agent struct {
	RuntimeName string               `json:"runtime_name"`
	RuntimeID   string               `json:"runtime_id,omitempty"`
	RuntimeARN  string               `json:"runtime_arn,omitempty"`
	Repository  string               `json:"repository,omitempty"` // repository URI
	RoleARN     string               `json:"role_arn,omitempty"`
	Versions    []Version            `json:"versions"`
	Endpoints   map[string]*Endpoint `json:"endpoints"`
	Resources   []Resource           `json:"resources"` // what this tool created (destroy deletes only these)
	// Pending are operations started and not known to have ended (write-ahead): each is saved
	// before its create or update call and removed once the result is recorded. A run that
	// finds one resolves it against what exists before it does anything else.
	Pending []Intent `json:"pending,omitempty"`
	// Rollout is an `agentcore rollout` that started from this environment (its first) and
	// has not ended: a run again carries the same artifact on instead of building anew.
	Rollout *Rollout `json:"rollout,omitempty"`
	// Memory is the AgentCore memory the agent's runtime uses ([memories.NAME]). Agents of an
	// environment that use one memory each record it: destroy deletes it with the last of them.
	Memory *Memory `json:"memory,omitempty"`
	// Credentials are the credential providers the agent lists ([credentials.NAME]), sorted
	// by name. Agents that list one provider each record it: destroy deletes it with the last.
	Credentials []Credential `json:"credentials,omitempty"`
	// Adopted is set on an agent whose runtime `agentcore import runtime` took over rather than
	// created: destroy deletes that runtime (and the endpoints it had) only with
	// --include-adopted, and never its repository or role.
	Adopted *Adopted `json:"adopted,omitempty"`
}

// Adopted records what agentcore import runtime took over.
type Adopted struct {
	Runtime    bool     `json:"runtime"`              // the runtime itself is not agentcore's
	At         string   `json:"at"`                   // when it was imported (RFC 3339)
	Repository string   `json:"repository,omitempty"` // the image repository it ran from: never agentcore's
	RoleARN    string   `json:"role_arn,omitempty"`   // its execution role: never agentcore's
	Endpoints  []string `json:"endpoints,omitempty"`  // the named endpoints it had when imported
}

// Credential records an AgentCore Identity credential provider an agent reads. It never holds
// a secret: KeyHash is a keyed hash (the environment's hash key) of its configuration and key.
type Credential struct {
	Name         string `json:"name"`          // the [credentials] key in agentcore.toml
	ProviderName string `json:"provider_name"` // its name in AgentCore Identity
	ARN          string `json:"arn"`
	Type         string `json:"type"`                 // api_key or oauth2
	SecretARN    string `json:"secret_arn,omitempty"` // the token vault's secret of its key (its ARN: the role may read it)
	KeyHash      string `json:"key_hash,omitempty"`
	// CreatedBy is "agentcore" (destroy may delete it) or "adopted" (agentcore import credential).
	CreatedBy string `json:"created_by"`
	Updated   string `json:"updated,omitempty"` // its last change, as AgentCore reports it
}

// Memory records an AgentCore memory an agent uses.
type Memory struct {
	Name       string `json:"name"`        // the [memories] key in agentcore.toml
	MemoryName string `json:"memory_name"` // its name in AgentCore
	ID         string `json:"id"`
	ARN        string `json:"arn"`
	// CreatedBy is "agentcore" (created by agentcore, for this project and environment: destroy
	// may delete it) or "adopted" (recorded by agentcore import memory: never deleted unless asked).
	CreatedBy  string             `json:"created_by"`
	Strategies []MemoryStrategyID `json:"strategies"`
}

// MemoryStrategyID is a strategy of a recorded memory: its name and the id AgentCore gave it.
type MemoryStrategyID struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Rollout records what a rollout carries through its environments (recipes/rollout.lua).
type Rollout struct {
	Through   string    `json:"through"` // the waves, as --through writes them: dev,staging,prod-us|prod-eu
	Version   int       `json:"version"` // the version of this environment that is carried
	Image     string    `json:"image"`
	Digest    string    `json:"digest"`
	StartedAt time.Time `json:"started_at"`
}

// Intent is one started operation (write-ahead record). Token is the idempotency token sent
// with the call (clientToken, ClientRequestToken) and put in the agentcore:token tag of what
// it creates, so the next run can tell the resource this run created from any other.
type Intent struct {
	Op        string    `json:"op"`    // create_agent, create_repository, create_stack, create_runtime, update_runtime, create_endpoint, update_endpoint, create_memory, update_memory, create_credential
	Name      string    `json:"name"`  // repository, stack, runtime or endpoint name
	Token     string    `json:"token"` // 33-64 characters [a-zA-Z0-9-]
	StartedAt time.Time `json:"started_at"`
	// What the operation deploys, so that what it created can be recorded as if it had ended:
	RuntimeID  string `json:"runtime_id,omitempty"`
	MemoryID   string `json:"memory_id,omitempty"` // update_memory: the memory updated
	Version    int    `json:"version,omitempty"`   // the endpoint's target version
	Image      string `json:"image,omitempty"`
	Digest     string `json:"digest,omitempty"`
	ConfigHash string `json:"config_hash,omitempty"`
	// SourceHash is the build's inputs (context, Dockerfile, build settings) when the
	// artifact was built here (docker, go), so that the version it makes records it too.
	SourceHash string `json:"source_hash,omitempty"`
}

// Version is one immutable AgentCore runtime version.
type Version struct {
	Number     int    `json:"number"`
	Image      string `json:"image"`
	Digest     string `json:"digest"`
	ConfigHash string `json:"config_hash"`
	// SourceHash is the content hash of what the image was built from (the build context as
	// the build sends it, the Dockerfile, the build settings), for a version built here:
	// update compares it before building, so an unchanged source makes no version even when
	// a rebuild would give a new digest (a lost build cache).
	SourceHash string    `json:"source_hash,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Status     string    `json:"status"`
}

// Endpoint is a runtime endpoint and the version it points at.
type Endpoint struct {
	Version int    `json:"version"`
	ARN     string `json:"arn,omitempty"`
	Status  string `json:"status,omitempty"`
	// History is every move of the endpoint agentcore made, oldest first (at most
	// MaxEndpointHistory): rollback goes back to the version it served before, not to the
	// previous number. An endpoint recorded before schema 4 has none.
	History []EndpointMove `json:"history,omitempty"`
}

// EndpointMove is one move of a named endpoint: from one version (0: the endpoint was
// created) to another, when, and by which recipe.
type EndpointMove struct {
	From int       `json:"from,omitempty"`
	To   int       `json:"to"`
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"` // the recipe that moved it: release, rollback, promote, drift...
}

// Resource is something agentcore created and so may delete.
type Resource struct {
	Kind string `json:"kind"` // ecr_repository, runtime, endpoint, stack, role...
	ID   string `json:"id"`   // name or id
	ARN  string `json:"arn,omitempty"`
}

// LockInfo names the holder of an environment lock.
type LockInfo struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user,omitempty"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
	// StartTime and BootID tell a live holder from a reused pid (see lock.go).
	StartTime uint64 `json:"start_time,omitempty"`
	BootID    string `json:"boot_id,omitempty"`
}

// Store loads, saves and locks environment state.
type Store interface {
	// Load returns the environment's state, or an empty one when none was saved yet.
	Load(ctx context.Context, env string) (*State, error)
	// Save replaces the environment's state atomically, as a new serial.
	Save(ctx context.Context, env string, st *State) error
	// Put replaces the environment's state with st exactly as given (serial included): for
	// taking a copy from elsewhere (sync pull).
	Put(ctx context.Context, env string, st *State) error
	// Lock takes the environment's lock. With wait it waits until the holder releases it (or
	// ctx ends); without, it fails at once with an error naming the holder.
	Lock(ctx context.Context, env string, info LockInfo, wait bool) (unlock func() error, err error)
}

// Ops are the operations an intent may record. create_agent spans a whole create recipe: a
// create run again after an interrupted one finishes it rather than refusing a second create.
var Ops = map[string]bool{
	"create_agent": true, "create_repository": true, "create_stack": true, "create_runtime": true, "create_memory": true, "update_memory": true, "create_credential": true,
	"update_runtime": true, "create_endpoint": true, "update_endpoint": true,
}

// tokenPattern is AgentCore's ClientToken (33 to 256 characters) within CloudFormation's
// ClientRequestToken (up to 128), so one token fits both: 33 to 128 letters and digits, with
// hyphens between them. The count is checked apart: a counted repetition {32,127} compiles to
// 127 copies, paid at every start-up of the binary.
var tokenPattern = lazyregexp.New(`^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`)

func validToken(t string) bool {
	n := len(t) - strings.Count(t, "-")
	return n >= 33 && n <= 128 && tokenPattern.MatchString(t)
}

func (a *Agent) validatePending(agent string) error {
	seen := map[string]bool{}
	for _, in := range a.Pending {
		if !Ops[in.Op] {
			return fmt.Errorf("agent %q: pending operation %q is not known", agent, in.Op)
		}
		if in.Name == "" {
			return fmt.Errorf("agent %q: pending %s names nothing", agent, in.Op)
		}
		if !validToken(in.Token) {
			return fmt.Errorf("agent %q: pending %s %s: token %q is not 33 to 128 letters, digits and hyphens", agent, in.Op, in.Name, in.Token)
		}
		if seen[in.Token] {
			return fmt.Errorf("agent %q: pending token %s recorded twice", agent, in.Token)
		}
		seen[in.Token] = true
	}
	return nil
}
