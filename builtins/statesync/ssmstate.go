package statesync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/state"
)

// SSMStore keeps environment state in SSM Parameter Store (state = "ssm" in agentcore.toml):
// the same documents sync push writes, under /agentcore/PROJECT/ENV/, and a lock parameter
// (/agentcore/PROJECT/ENV/lock, created only when absent) that works across machines.
type SSMStore struct {
	run     *engine.Run
	ssm     *awscall.Service[*ssm.Client]
	project string
	// Poll is how often a waiting Lock retries (default 1s).
	Poll time.Duration
}

// NewSSMStore returns the SSM-backed store of a run's project, reaching SSM through the
// program's AWS layer a.
func NewSSMStore(run *engine.Run, a *awscall.AWS) *SSMStore {
	return &SSMStore{run: run, ssm: a.SSM(), project: run.Project.Name}
}

func (s *SSMStore) path(env string) string { return "/agentcore/" + s.project + "/" + env }

// Where says where env's state is kept, for messages.
func (s *SSMStore) Where(env string) string { return "SSM " + s.path(env) }

func (s *SSMStore) client(ctx context.Context) (*ssm.Client, error) {
	return s.ssm.For(ctx, s.run)
}

// Load implements state.Store.
func (s *SSMStore) Load(ctx context.Context, env string) (*state.State, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	m, st, err := readCloud(ctx, c, s.path(env))
	if err != nil {
		return nil, awscall.Error("reading the state of "+env+" from SSM", err)
	}
	if m == nil {
		return state.New(env), nil
	}
	st.Environment = env
	return st, nil
}

// Save implements state.Store: a new serial, written parts first and header last.
func (s *SSMStore) Save(ctx context.Context, env string, st *state.State) error {
	st.Serial++
	st.UpdatedAt = time.Now().UTC()
	st.UpdatedBy = who()
	return s.Put(ctx, env, st)
}

// Put implements state.Store.
func (s *SSMStore) Put(ctx context.Context, env string, st *state.State) error {
	if err := st.Validate(); err != nil {
		return fmt.Errorf("refusing to save state of %s: %w", env, err)
	}
	st.Schema = state.SchemaVersion
	st.Environment = env
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	old, err := readMeta(ctx, c, s.path(env))
	if err != nil {
		return awscall.Error("saving the state of "+env+" to SSM", err)
	}
	if _, _, err := writeCloud(ctx, c, s.path(env), st, old, nil); err != nil {
		return awscall.Error("saving the state of "+env+" to SSM", err)
	}
	return nil
}

// LockPoll is how often state.Acquire tries a held SSM lock again.
func (s *SSMStore) LockPoll() time.Duration {
	if s.Poll == 0 {
		return time.Second
	}
	return s.Poll
}

// Lock implements state.Store with a parameter created only when absent (PutParameter
// without Overwrite fails with ParameterAlreadyExists while another run holds it). A lock
// whose holder ran on this host and is gone (state.Stale: pid, start time, boot) is broken;
// on other hosts it is kept (the error names the holder, so a person can delete the parameter
// if that machine died). A parameter that is not a lock is an *state.InvalidLockError.
// With wait, state.Acquire does the waiting.
func (s *SSMStore) Lock(ctx context.Context, env string, info state.LockInfo, wait bool) (func() error, error) {
	if wait {
		return state.Acquire(ctx, s, env, info, state.WaitOptions{Wait: true, Timeout: 100 * 365 * 24 * time.Hour})
	}
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	name := s.path(env) + "/lock"
	data, _ := json.Marshal(info)
	for attempt := 0; ; attempt++ {
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: awssdk.String(name), Value: awssdk.String(string(data)),
			Type: ssmtypes.ParameterTypeString, Overwrite: awssdk.Bool(false)})
		if err == nil {
			return func() error { return s.unlock(c, name, string(data)) }, nil
		}
		var exists *ssmtypes.ParameterAlreadyExists
		if !errors.As(err, &exists) {
			return nil, awscall.Error("taking the lock of "+env+" ("+name+")", err)
		}
		out, gerr := c.GetParameter(ctx, &ssm.GetParameterInput{Name: awssdk.String(name)})
		if gerr != nil {
			if awscall.IsNotFound(gerr) && attempt < 100 {
				continue // released meanwhile
			}
			return nil, awscall.Error("reading the lock of "+env, gerr)
		}
		raw := awssdk.ToString(out.Parameter.Value)
		holder, perr := state.ParseLock([]byte(raw))
		if perr != nil {
			return nil, &state.InvalidLockError{Env: env, Where: name, Kind: "lock parameter", Reason: perr.Error(),
				Break: func(ctx context.Context) error { return s.unlock(c, name, raw) }}
		}
		if stale, _ := state.Stale(holder); stale && attempt < 100 {
			_, _ = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: awssdk.String(name)})
			continue
		}
		e := &state.LockedError{Env: env, Holder: holder}
		return nil, &engine.Error{Code: engine.ExitFailure, Msg: e.Error() + " (lock " + name + " in SSM)", Err: e,
			Hint: "wait for it, or run again with --wait; if that machine died, delete the parameter: aws ssm delete-parameter --name " + name}
	}
}

func (s *SSMStore) unlock(c *ssm.Client, name, ours string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: awssdk.String(name)})
	if err != nil {
		if awscall.IsNotFound(err) {
			return nil
		}
		return err
	}
	if awssdk.ToString(out.Parameter.Value) != ours {
		return fmt.Errorf("lock %s is no longer ours; not removing it", name)
	}
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: awssdk.String(name)})
	return err
}

// HashKeyName is the SecureString parameter holding env's hash key (state = "ssm").
func (s *SSMStore) HashKeyName(env string) string { return s.path(env) + "/hash-key" }

// HashKey implements state.HashKeyer: a SecureString parameter /agentcore/PROJECT/ENV/hash-key,
// created when absent (without Overwrite, so two runs creating it at once agree on the first).
func (s *SSMStore) HashKey(ctx context.Context, env string) ([]byte, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	return cloudHashKey(ctx, c, s.HashKeyName(env), env, state.NewHashKey)
}

// cloudHashKey reads the hash key parameter name, creating it with newKey() when absent.
func cloudHashKey(ctx context.Context, c *ssm.Client, name, env string, newKey func() []byte) ([]byte, error) {
	for attempt := 0; attempt < 3; attempt++ {
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: awssdk.String(name), WithDecryption: awssdk.Bool(true)})
		if err == nil {
			k, derr := state.DecodeHashKey(awssdk.ToString(out.Parameter.Value))
			if derr != nil {
				return nil, fmt.Errorf("SSM parameter %s: %w", name, derr)
			}
			return k, nil
		}
		if !awscall.IsNotFound(err) {
			return nil, awscall.Error("reading the hash key of "+env+" ("+name+")", err)
		}
		_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: awssdk.String(name),
			Value: awssdk.String(state.EncodeHashKey(newKey())), Type: ssmtypes.ParameterTypeSecureString,
			Overwrite: awssdk.Bool(false), Description: awssdk.String("agentcore: key of the configuration hashes of " + env)})
		var exists *ssmtypes.ParameterAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return nil, awscall.Error("creating the hash key of "+env+" ("+name+")", err)
		}
	}
	return nil, fmt.Errorf("the hash key %s keeps disappearing", name)
}

// shareHashKey makes a file-state environment that is synced through SSM use one hash key on
// every machine, or config hashes recorded on one would never match another's: the cloud's
// key (/agentcore/PROJECT/ENV/hash-key) wins and is written to .agentcore/state/ENV.key; when
// there is none yet, this machine's key is uploaded. Called by push and pull.
func shareHashKey(ctx context.Context, e env, c *ssm.Client) error {
	fs, ok := e.run.Store.(*state.FileStore)
	if !ok {
		return nil
	}
	cloud, err := cloudHashKey(ctx, c, e.path+"/hash-key", e.name, func() []byte {
		k, err := fs.HashKey(ctx, e.name)
		if err != nil {
			return state.NewHashKey()
		}
		return k
	})
	if err != nil {
		return err
	}
	return fs.SetHashKey(e.name, cloud)
}
