// Package state owns an environment's recorded state: its schema, the atomic file store and
// the per-environment lock. The Store interface lets a later backend (SSM) replace the file.
package state

import (
	"context"
	"time"
)

// SchemaVersion is written into every state document; Load refuses newer ones.
const SchemaVersion = 1

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
}

// Version is one immutable AgentCore runtime version.
type Version struct {
	Number     int       `json:"number"`
	Image      string    `json:"image"`
	Digest     string    `json:"digest"`
	ConfigHash string    `json:"config_hash"`
	CreatedAt  time.Time `json:"created_at"`
	Status     string    `json:"status"`
}

// Endpoint is a runtime endpoint and the version it points at.
type Endpoint struct {
	Version int    `json:"version"`
	ARN     string `json:"arn,omitempty"`
	Status  string `json:"status,omitempty"`
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
