// Package statesync shares environment state through SSM Parameter Store, under
// /agentcore/PROJECT/ENV/: the Lua store module (sync status, push, pull; a push that would
// overwrite a newer cloud copy is refused unless forced, naming who pushed what when) and
// SSMStore, the state.Store of environments with state = "ssm". The recorded state itself is
// package state; its Lua module is builtins/envstate.
package statesync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/state"
)

// New returns the store module, which reaches SSM through the program's AWS layer a.
func New(a *awscall.AWS) *engine.Module {
	m := &module{ssm: a.SSM()}
	return &engine.Module{
		Name: "store",
		Doc: "The environment's state shared through SSM Parameter Store: a meta parameter " +
			"(/agentcore/PROJECT/ENV/meta: serial, digest, who pushed when) and the state document " +
			"in one or more parameters (/agentcore/PROJECT/ENV/state/0001...; the advanced tier is " +
			"used when a part outgrows a standard parameter). The last synced copy is remembered in " +
			".agentcore/sync/ENV.json, which is how ahead, behind and diverged are told apart.",
		Classes: []*engine.Class{
			{Name: "store.ForceOpts", Of: forceOpts{}},
			{Name: "store.Status", Of: statusResult{}},
			{Name: "store.CloudCopy", Of: Meta{}, Doc: "The cloud copy's header: its serial and digest, in how many parameters it is, who pushed it when."},
			{Name: "store.SyncMarker", Of: Marker{}, Doc: "A copy of the state as this checkout knows it: serial, digest, and when it was last synced (at)."},
			{Name: "store.PushResult", Of: pushResult{}},
			{Name: "store.PullResult", Of: pullResult{}},
		},
		Funcs: []engine.Func{
			{Name: "status", Go: m.luaStatus, Returns: "store.Status",
				Doc: "Compares the recorded state with the cloud copy and with the copy last synced here."},
			{Name: "push", Params: "opts?: store.ForceOpts", Go: m.luaPush, Returns: "store.PushResult",
				Doc: "Writes the recorded state to the cloud. Refused (exit 1) when the cloud copy changed since this checkout last synced (behind or diverged), naming who pushed it and when, unless force. Pushing what is already there changes nothing."},
			{Name: "pull", Params: "opts?: store.ForceOpts", Go: m.luaPull, Returns: "store.PullResult",
				Doc: "Replaces the recorded state with the cloud copy (its digest is verified). Refused when the recorded state has changes that were never pushed (ahead or diverged), unless force."},
			{Name: "get", Go: m.luaGet, Returns: "table?",
				Doc: "The cloud copy of the state, or nil when the environment was never pushed."},
			{Name: "path", Go: luaPath, Returns: "string",
				Doc: "The parameter path of the environment: /agentcore/PROJECT/ENV."},
		},
	}
}

// module is the store module's builtins, with the SSM service of the program's AWS layer.
type module struct {
	ssm *awscall.Service[*ssm.Client]
}

// SSM value limits: 4 KB for standard parameters, 8 KB for advanced ones.
const (
	standardLimit = 4096
	partSize      = 8000
	maxParts      = 64
)

// Meta is the cloud copy's header.
type Meta struct {
	Schema   int    `json:"schema"`
	Serial   int64  `json:"serial"`
	Digest   string `json:"digest"`
	Parts    int    `json:"parts"`
	PushedBy string `json:"pushed_by"`
	PushedAt string `json:"pushed_at"`
}

// Marker is what this checkout last synced (.agentcore/sync/ENV.json).
type Marker struct {
	Serial int64  `json:"serial"`
	Digest string `json:"digest"`
	At     string `json:"at,omitempty"`
}

// Digest fingerprints what a state records, ignoring serial, timestamps and who saved it.
func Digest(st *state.State) string {
	b, _ := json.Marshal(struct {
		Agents map[string]*state.Agent `json:"agents"`
	}{st.Agents})
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Status names the relation between the recorded state, the cloud copy and the last sync.
func Status(localDigest string, cloud *Meta, base *Marker) string {
	switch {
	case cloud == nil:
		return "never pushed"
	case cloud.Digest == localDigest:
		return "in sync"
	case base == nil:
		return "diverged"
	}
	localChanged := localDigest != base.Digest
	cloudChanged := cloud.Digest != base.Digest
	switch {
	case localChanged && cloudChanged:
		return "diverged"
	case cloudChanged:
		return "behind"
	default:
		return "ahead"
	}
}

type env struct {
	run   *engine.Run
	name  string
	path  string // /agentcore/PROJECT/ENV
	mfile string // sync marker file
}

func envOf(L *lua.LState) (env, error) {
	r := engine.FromL(L)
	if r.Project == nil || r.EnvName == "" || r.Store == nil {
		return env{}, engine.Usagef("run it inside a project (agentcore init creates one)", "store: no project environment here")
	}
	return env{run: r, name: r.EnvName, path: "/agentcore/" + r.Project.Name + "/" + r.EnvName,
		mfile: filepath.Join(r.Dir, ".agentcore", "sync", r.EnvName+".json")}, nil
}

func (e env) marker() (*Marker, error) {
	b, err := os.ReadFile(e.mfile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s is not readable (%v); delete it and pull or push again", e.mfile, err)
	}
	return &m, nil
}

func (e env) setMarker(serial int64, digest string) error {
	b, _ := json.MarshalIndent(Marker{Serial: serial, Digest: digest, At: time.Now().UTC().Format(time.RFC3339)}, "", "  ")
	return state.WriteFileAtomic(e.mfile, append(b, '\n'), 0o644)
}

func readMeta(ctx context.Context, c *ssm.Client, path string) (*Meta, error) {
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: awssdk.String(path + "/meta")})
	if err != nil {
		if awscall.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal([]byte(awssdk.ToString(out.Parameter.Value)), &m); err != nil {
		return nil, fmt.Errorf("%s/meta is not an agentcore sync header: %w", path, err)
	}
	return &m, nil
}

// readCloud fetches and verifies the cloud copy.
func readCloud(ctx context.Context, c *ssm.Client, path string) (*Meta, *state.State, error) {
	m, err := readMeta(ctx, c, path)
	if err != nil || m == nil {
		return m, nil, err
	}
	parts := map[string]string{}
	p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: awssdk.String(path + "/state"), Recursive: awssdk.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, prm := range page.Parameters {
			parts[awssdk.ToString(prm.Name)] = awssdk.ToString(prm.Value)
		}
	}
	var b strings.Builder
	for i := 1; i <= m.Parts; i++ {
		v, ok := parts[partName(path, i)]
		if !ok {
			return nil, nil, fmt.Errorf("the cloud copy at %s is incomplete: part %d of %d is missing (a push was interrupted?); push again from the checkout that has the right state", path, i, m.Parts)
		}
		b.WriteString(v)
	}
	st, err := state.Decode([]byte(b.String()), path)
	if err != nil {
		return nil, nil, err
	}
	if d := Digest(st); d != m.Digest {
		return nil, nil, fmt.Errorf("the cloud copy at %s does not match its header (digest %s, header says %s): a push was interrupted or someone edited it; push again", path, short(d), short(m.Digest))
	}
	return m, st, nil
}

func partName(path string, i int) string { return fmt.Sprintf("%s/state/%04d", path, i) }

func short(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

func loadLocal(ctx context.Context, e env) (*state.State, error) {
	return e.run.Store.Load(ctx, e.name)
}

type statusResult struct {
	Status string  `json:"status" lua:"\"in sync\"|\"ahead\"|\"behind\"|\"diverged\"|\"never pushed\""`
	Local  Marker  `json:"local" lua:"store.SyncMarker"`
	Cloud  *Meta   `json:"cloud,omitempty" lua:"store.CloudCopy"`
	Base   *Marker `json:"base,omitempty" lua:"store.SyncMarker"`
	Path   string  `json:"path"`
}

type forceOpts struct {
	Force bool `json:"force,omitempty"`
}

func status(ctx context.Context, e env, c *ssm.Client) (statusResult, error) {
	st, err := loadLocal(ctx, e)
	if err != nil {
		return statusResult{}, err
	}
	m, err := readMeta(ctx, c, e.path)
	if err != nil {
		return statusResult{}, err
	}
	base, err := e.marker()
	if err != nil {
		return statusResult{}, err
	}
	d := Digest(st)
	return statusResult{Status: Status(d, m, base), Local: Marker{Serial: st.Serial, Digest: d}, Cloud: m, Base: base, Path: e.path}, nil
}

func (m *module) luaStatus(L *lua.LState) (statusResult, error) {
	e, err := envOf(L)
	if err != nil {
		return statusResult{}, err
	}
	return awscall.Call(L, m.ssm, "reading the cloud copy of "+e.name, func(ctx context.Context, c *ssm.Client) (statusResult, error) {
		return status(ctx, e, c)
	})
}

func who() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

type pushResult struct {
	Pushed bool   `json:"pushed"`
	Serial int64  `json:"serial"`
	Digest string `json:"digest"`
	Parts  int    `json:"parts"` // 0 and "" when nothing was pushed
	Tier   string `json:"tier"`
	historyCounts
}

// historyCounts says what push and pull did with the history (merged whatever the state did).
type historyCounts struct {
	History int `json:"history"`         // entries the cloud copy holds now
	Brought int `json:"history_brought"` // entries pushed by others, now in the history here
}

func (m *module) luaPush(L *lua.LState, o forceOpts) (pushResult, error) {
	e, err := envOf(L)
	if err != nil {
		return pushResult{}, err
	}
	return awscall.Call(L, m.ssm, "pushing the state of "+e.name, func(ctx context.Context, c *ssm.Client) (pushResult, error) {
		return push(ctx, e, c, o.Force)
	})
}

func push(ctx context.Context, e env, c *ssm.Client, force bool) (pushResult, error) {
	st, err := loadLocal(ctx, e)
	if err != nil {
		return pushResult{}, err
	}
	d := Digest(st)
	m, err := readMeta(ctx, c, e.path)
	if err != nil {
		return pushResult{}, err
	}
	base, err := e.marker()
	if err != nil {
		return pushResult{}, err
	}
	if err := shareHashKey(ctx, e, c); err != nil {
		return pushResult{}, err
	}
	// the history is merged whatever happens to the state: it is never overwritten
	var hc historyCounts
	if hc.History, hc.Brought, err = syncHistory(ctx, e, c, true); err != nil {
		return pushResult{}, err
	}
	if m != nil && m.Digest == d {
		return pushResult{Pushed: false, Serial: m.Serial, Digest: d, Parts: m.Parts, historyCounts: hc}, e.setMarker(st.Serial, d)
	}
	if s := Status(d, m, base); !force && (s == "behind" || s == "diverged") {
		return pushResult{}, &engine.Error{Code: engine.ExitFailure,
			Msg:  fmt.Sprintf("the cloud copy of %s is newer than this checkout's: pushed by %s at %s (serial %d, %s); this checkout is %s", e.name, m.PushedBy, m.PushedAt, m.Serial, short(m.Digest), s),
			Hint: "agentcore sync pull takes it (agentcore drift shows what differs); agentcore sync push --force overwrites it"}
	}
	// Refuse if someone pushed meanwhile (optimistic concurrency on the header).
	check := func() error {
		now, err := readMeta(ctx, c, e.path)
		if err != nil {
			return err
		}
		if !force && now != nil && (m == nil || now.Digest != m.Digest) {
			return &engine.Error{Code: engine.ExitFailure,
				Msg:  fmt.Sprintf("%s pushed the state of %s at %s while this push ran", now.PushedBy, e.name, now.PushedAt),
				Hint: "agentcore sync status, then pull or push --force"}
		}
		return nil
	}
	parts, tier, err := writeCloud(ctx, c, e.path, st, m, check)
	if err != nil {
		return pushResult{}, err
	}
	return pushResult{Pushed: true, Serial: st.Serial, Digest: d, Parts: parts, Tier: string(tier), historyCounts: hc}, e.setMarker(st.Serial, d)
}

// writeCloud writes st under path: the parts first, then (after check, when given) the
// header, then it deletes parts left over from an older, larger document (old is the header
// read before).
func writeCloud(ctx context.Context, c *ssm.Client, path string, st *state.State, old *Meta, check func() error) (int, ssmtypes.ParameterTier, error) {
	doc, err := json.Marshal(st)
	if err != nil {
		return 0, "", err
	}
	chunks := split(string(doc), partSize)
	if len(chunks) > maxParts {
		return 0, "", fmt.Errorf("the state is %d bytes, more than %d parameters of %d bytes can hold", len(doc), maxParts, partSize)
	}
	tier := ssmtypes.ParameterTierStandard
	for _, ch := range chunks {
		if len(ch) > standardLimit {
			tier = ssmtypes.ParameterTierAdvanced
		}
	}
	// Parts first, the header last: a reader never sees a header whose parts are not there.
	for i, ch := range chunks {
		if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: awssdk.String(partName(path, i+1)), Value: awssdk.String(ch),
			Type: ssmtypes.ParameterTypeString, Overwrite: awssdk.Bool(true), Tier: tier}); err != nil {
			return 0, "", err
		}
	}
	if check != nil {
		if err := check(); err != nil {
			return 0, "", err
		}
	}
	meta := Meta{Schema: 1, Serial: st.Serial, Digest: Digest(st), Parts: len(chunks), PushedBy: who(), PushedAt: time.Now().UTC().Format(time.RFC3339)}
	mb, _ := json.Marshal(meta)
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: awssdk.String(path + "/meta"), Value: awssdk.String(string(mb)),
		Type: ssmtypes.ParameterTypeString, Overwrite: awssdk.Bool(true)}); err != nil {
		return 0, "", err
	}
	if old != nil {
		for i := len(chunks) + 1; i <= old.Parts; i++ {
			_, _ = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: awssdk.String(partName(path, i))})
		}
	}
	return len(chunks), tier, nil
}

func split(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

type pullResult struct {
	Pulled bool   `json:"pulled"`
	Serial int64  `json:"serial"`
	Digest string `json:"digest"`
	historyCounts
}

func (m *module) luaPull(L *lua.LState, o forceOpts) (pullResult, error) {
	e, err := envOf(L)
	if err != nil {
		return pullResult{}, err
	}
	force := o.Force
	return awscall.Call(L, m.ssm, "pulling the state of "+e.name, func(ctx context.Context, c *ssm.Client) (pullResult, error) {
		m, cloud, err := readCloud(ctx, c, e.path)
		if err != nil {
			return pullResult{}, err
		}
		// the history is merged whatever happens to the state: it is never overwritten
		var hc historyCounts
		if hc.History, hc.Brought, err = syncHistory(ctx, e, c, false); err != nil {
			return pullResult{}, err
		}
		if m == nil {
			return pullResult{}, &engine.Error{Code: engine.ExitFailure, Msg: fmt.Sprintf("environment %s was never pushed: there is no cloud copy at %s", e.name, e.path),
				Hint: "agentcore sync push creates it"}
		}
		st, err := loadLocal(ctx, e)
		if err != nil {
			return pullResult{}, err
		}
		base, err := e.marker()
		if err != nil {
			return pullResult{}, err
		}
		d := Digest(st)
		if s := Status(d, m, base); !force && (s == "ahead" || s == "diverged") && len(st.Agents) > 0 {
			return pullResult{}, &engine.Error{Code: engine.ExitFailure,
				Msg:  fmt.Sprintf("the recorded state of %s has changes that were never pushed (%s); pulling would lose them", e.name, s),
				Hint: "agentcore sync push shares them (or push --force); agentcore sync pull --force discards them"}
		}
		if err := shareHashKey(ctx, e, c); err != nil {
			return pullResult{}, err
		}
		if d == m.Digest {
			return pullResult{Pulled: false, Serial: st.Serial, Digest: d, historyCounts: hc}, e.setMarker(st.Serial, d)
		}
		cloud.Environment = e.name
		if err := e.run.Store.Put(ctx, e.name, cloud); err != nil {
			return pullResult{}, err
		}
		return pullResult{Pulled: true, Serial: cloud.Serial, Digest: m.Digest, historyCounts: hc}, e.setMarker(cloud.Serial, m.Digest)
	})
}

func (m *module) luaGet(L *lua.LState) (lua.LValue, error) {
	e, err := envOf(L)
	if err != nil {
		return nil, err
	}
	st, err := awscall.Call(L, m.ssm, "reading the cloud copy of "+e.name, func(ctx context.Context, c *ssm.Client) (*state.State, error) {
		_, st, err := readCloud(ctx, c, e.path)
		return st, err
	})
	if err != nil || st == nil {
		return lua.LNil, err
	}
	b, _ := json.Marshal(st)
	var g any
	_ = json.Unmarshal(b, &g)
	return engine.ToLua(L, g), nil
}

func luaPath(L *lua.LState) (string, error) {
	e, err := envOf(L)
	return e.path, err
}
