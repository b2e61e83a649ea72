// Package secrets is the `secrets` Lua module: AWS Secrets Manager secrets of the selected
// environment, which agents read at run time with their execution role (agentcore.toml's
// { secret = "NAME" } values). It reaches Secrets Manager through builtins/aws/awscall, so
// local environments use the local endpoint's Secrets Manager. No function returns a
// secret's value, and every value it sends is registered as a secret of the run (masked in
// all output) before it is sent.
package secrets

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
)

// MaxValue is the largest secret value Secrets Manager stores (SecretString, 64 KiB).
const MaxValue = 65536

// Module is the secrets Lua module.
var Module = &engine.Module{
	Name: "secrets",
	Doc: "AWS Secrets Manager secrets of the selected environment (the local endpoint's on local " +
		"environments). Values go in and never come out: no function returns one, and a value sent " +
		"is masked in all output. Errors keep the Secrets Manager error code first " +
		"(\"ResourceExistsException: ...\"); err.aws_code holds it after pcall.",
	Classes: []*engine.Class{
		{Name: "secrets.EnsureOpts", Of: ensureArgs{}},
		{Name: "secrets.Ensured", Fields: "name: string, arn: string, created: boolean"},
		{Name: "secrets.PutOpts", Of: putArgs{}},
		{Name: "secrets.PutResult", Fields: "name: string, arn: string, version_id: string"},
		{Name: "secrets.NameRef", Of: nameArgs{}},
		{Name: "secrets.ListOpts", Of: listArgs{}},
		{Name: "secrets.DeleteOpts", Of: deleteArgs{}},
		{Name: "secrets.DeleteResult", Fields: "deleted: boolean, arn?: string, deletion_date?: string"},
		{Name: "secrets.Secret", Of: Secret{}},
	},
	Funcs: []engine.Func{
		{Name: "ensure", Fn: luaEnsure,
			Params:  "opts: secrets.EnsureOpts",
			Returns: "secrets.Ensured",
			Doc: "Creates the secret, without a value, when it does not exist (tags and description " +
				"applied); an existing secret is left as it is and created is false. A secret scheduled " +
				"for deletion is an error (InvalidRequestException) saying how to restore or purge it."},
		{Name: "put", Fn: luaPut,
			Params:  "opts: secrets.PutOpts",
			Returns: "secrets.PutResult",
			Doc: "Stores a new value of an existing secret (a new version labelled AWSCURRENT; the " +
				"former one becomes AWSPREVIOUS). The value is given as value, or read by Go from the " +
				"environment variable from_env, the file from_file (relative to the project) or the " +
				"run's stdin, so that it never passes through Lua; one trailing newline of a file or " +
				"stdin is dropped. It is registered as a secret of the run before anything is sent. " +
				"Empty values and values over 64 KiB are refused (exit 2)."},
		{Name: "describe", Fn: luaDescribe,
			Params:  "opts: secrets.NameRef",
			Returns: "secrets.Secret?",
			Doc: "The secret's metadata, or nil when it does not exist. version_id is the AWSCURRENT " +
				"version's, absent when no value was ever put; deleted is true when a deletion is " +
				"scheduled (deleted_date: when it was asked). name may also be an ARN."},
		{Name: "list", Fn: luaList,
			Params:  "opts: secrets.ListOpts",
			Returns: "secrets.Secret[]",
			Doc:     "The secrets whose name starts with prefix (all pages), sorted by name; secrets scheduled for deletion are left out."},
		{Name: "delete", Fn: luaDelete,
			Params:  "opts: secrets.DeleteOpts",
			Returns: "secrets.DeleteResult",
			Doc: "Deletes the secret: at once and for good with force = true, otherwise after a " +
				"recovery window of recovery_days (7 to 30) during which it can be restored and its " +
				"name cannot be reused. deleted is false when there was no such secret."},
	},
}

// service is Secrets Manager, as this module calls it, with hints for its own error codes.
var service = &awscall.Service[*sm.Client]{Name: "secretsmanager",
	New: func(s *awscall.Session) *sm.Client { return sm.NewFromConfig(s.Config) },
	Hint: func(code, msg string) string {
		switch code {
		case "ResourceNotFoundException":
			return "the secret does not exist: create it first (secrets.ensure, or agentcore secret set NAME)"
		case "InvalidRequestException":
			if strings.Contains(strings.ToLower(msg), "deletion") {
				return "the secret is scheduled for deletion: restore it (aws secretsmanager restore-secret --secret-id NAME) or delete it for good (secrets.delete{name = ..., force = true})"
			}
		case "AccessDeniedException":
			return "the credentials may not use this secret: check your IAM permissions (secretsmanager:*) and the secret's resource policy"
		}
		return ""
	}}

func decode(L *lua.LState, fn, usage string, out any, name *string) {
	if _, ok := L.Get(1).(*lua.LTable); !ok {
		engine.RaiseUsage(L, usage, "%s: expects a table, got a %s", fn, L.Get(1).Type())
	}
	if err := engine.Decode(L.Get(1), out); err != nil {
		engine.RaiseUsage(L, usage, "%s: %v", fn, err)
	}
	if *name == "" {
		engine.RaiseUsage(L, usage, "%s: name is required", fn)
	}
}

// Secret is what describe and list return.
type Secret struct {
	Name        string            `json:"name"`
	ARN         string            `json:"arn"`
	VersionID   *string           `json:"version_id"` // nil: no value yet
	LastChanged *time.Time        `json:"last_changed,omitempty"`
	Created     *time.Time        `json:"created,omitempty"`
	Tags        map[string]string `json:"tags"`
	Deleted     bool              `json:"deleted"`
	DeletedDate *time.Time        `json:"deleted_date,omitempty"` // when a deletion was asked
}

func current(stages map[string][]string) *string {
	for id, st := range stages {
		for _, s := range st {
			if s == "AWSCURRENT" {
				return &id
			}
		}
	}
	return nil
}

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return m
}

type ensureArgs struct {
	Name        string           `json:"name"`
	Tags        engine.StringMap `json:"tags"`
	Description string           `json:"description"`
}

func luaEnsure(L *lua.LState) int {
	const fn, usage = "secrets.ensure", `secrets.ensure{name = "agentcore/shop/dev/openai", tags = {team = "a"}}`
	var a ensureArgs
	decode(L, fn, usage, &a, &a.Name)
	var tags []types.Tag
	for _, k := range sortedKeys(a.Tags) {
		tags = append(tags, types.Tag{Key: awssdk.String(k), Value: awssdk.String(a.Tags[k])})
	}
	type result struct {
		Name    string `json:"name"`
		ARN     string `json:"arn"`
		Created bool   `json:"created"`
	}
	out := awscall.Call(L, service, "creating secret "+a.Name, func(ctx context.Context, c *sm.Client) (result, error) {
		d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name})
		if err == nil {
			if d.DeletedDate != nil {
				return result{}, &engine.Error{Code: engine.ExitFailure,
					Msg:  fmt.Sprintf("secret %s is scheduled for deletion (on %s)", a.Name, d.DeletedDate.UTC().Format(time.RFC3339)),
					Hint: "restore it (aws secretsmanager restore-secret --secret-id " + a.Name + ") or delete it for good (agentcore secret delete NAME --force), then run again"}
			}
			return result{Name: awssdk.ToString(d.Name), ARN: awssdk.ToString(d.ARN)}, nil
		}
		if !awscall.IsNotFound(err) {
			return result{}, err
		}
		in := &sm.CreateSecretInput{Name: &a.Name, Tags: tags}
		if a.Description != "" {
			in.Description = &a.Description
		}
		cr, err := c.CreateSecret(ctx, in)
		if awscall.ErrorCode(err) == "ResourceExistsException" { // created meanwhile by another run
			d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name})
			if err != nil {
				return result{}, err
			}
			return result{Name: awssdk.ToString(d.Name), ARN: awssdk.ToString(d.ARN)}, nil
		}
		if err != nil {
			return result{}, err
		}
		return result{Name: awssdk.ToString(cr.Name), ARN: awssdk.ToString(cr.ARN), Created: true}, nil
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

type putArgs struct {
	Name     string  `json:"name"`
	Value    *string `json:"value"`
	FromEnv  string  `json:"from_env"`
	FromFile string  `json:"from_file"`
	Stdin    bool    `json:"stdin"`
}

// readValue returns the value put sends, from the one source the arguments name.
func readValue(L *lua.LState, fn, usage string, a *putArgs) string {
	n := 0
	for _, set := range []bool{a.Value != nil, a.FromEnv != "", a.FromFile != "", a.Stdin} {
		if set {
			n++
		}
	}
	if n != 1 {
		engine.RaiseUsage(L, usage, "%s: give exactly one of value, from_env, from_file, stdin = true", fn)
	}
	run := engine.FromL(L)
	trim := func(s string) string {
		if s, ok := strings.CutSuffix(s, "\n"); ok {
			return strings.TrimSuffix(s, "\r")
		}
		return s
	}
	var v, from string
	switch {
	case a.Value != nil:
		v, from = *a.Value, "value"
	case a.FromEnv != "":
		s, ok := os.LookupEnv(a.FromEnv)
		if !ok {
			engine.RaiseUsage(L, "export "+a.FromEnv+"=... first (or use another source)", "%s: environment variable %s is not set", fn, a.FromEnv)
		}
		v, from = s, "environment variable "+a.FromEnv
	case a.FromFile != "":
		path := a.FromFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(run.Dir, path)
		}
		b, err := engine.Unlocked(L, func(context.Context) ([]byte, error) { return readAtMost(path, MaxValue+2) })
		if err != nil {
			engine.RaiseUsage(L, "give the path of a file holding the value", "%s: reading %s: %v", fn, a.FromFile, err)
		}
		v, from = trim(string(b)), a.FromFile
	default:
		if run.Stdin == nil {
			engine.RaiseUsage(L, "", "%s: there is no stdin to read the value from", fn)
		}
		b, err := engine.Unlocked(L, func(context.Context) ([]byte, error) {
			return io.ReadAll(io.LimitReader(run.Stdin, MaxValue+2))
		})
		if err != nil {
			engine.Raise(L, fmt.Errorf("%s: reading the value from stdin: %w", fn, err))
		}
		v, from = trim(string(b)), "stdin"
	}
	run.Out.AddSecret(v)
	if v == "" {
		engine.RaiseUsage(L, "", "%s: the value from %s is empty; Secrets Manager stores 1 to %d bytes", fn, from, MaxValue)
	}
	if len(v) > MaxValue {
		engine.RaiseUsage(L, "", "%s: the value from %s is over %d bytes, the most Secrets Manager stores", fn, from, MaxValue)
	}
	return v
}

func readAtMost(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

func luaPut(L *lua.LState) int {
	const fn, usage = "secrets.put", `secrets.put{name = "agentcore/shop/dev/openai", from_env = "OPENAI_API_KEY"}`
	var a putArgs
	decode(L, fn, usage, &a, &a.Name)
	value := readValue(L, fn, usage, &a)
	type result struct {
		Name      string `json:"name"`
		ARN       string `json:"arn"`
		VersionID string `json:"version_id"`
	}
	out := awscall.Call(L, service, "storing a new value of secret "+a.Name, func(ctx context.Context, c *sm.Client) (result, error) {
		p, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &a.Name, SecretString: &value})
		if err != nil {
			return result{}, err
		}
		return result{Name: awssdk.ToString(p.Name), ARN: awssdk.ToString(p.ARN), VersionID: awssdk.ToString(p.VersionId)}, nil
	})
	L.Push(engine.ToLua(L, out))
	return 1
}

type nameArgs struct {
	Name string `json:"name"`
}

func luaDescribe(L *lua.LState) int {
	const fn, usage = "secrets.describe", `secrets.describe{name = "agentcore/shop/dev/openai"}`
	var a nameArgs
	decode(L, fn, usage, &a, &a.Name)
	d, err := awscall.Try(L, service, func(ctx context.Context, c *sm.Client) (*sm.DescribeSecretOutput, error) {
		return c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name})
	})
	if awscall.IsNotFound(err) {
		L.Push(lua.LNil)
		return 1
	}
	if err != nil {
		engine.Raise(L, service.Error("describing secret "+a.Name, err))
	}
	s := Secret{Name: awssdk.ToString(d.Name), ARN: awssdk.ToString(d.ARN), VersionID: current(d.VersionIdsToStages),
		LastChanged: d.LastChangedDate, Created: d.CreatedDate, Tags: tagMap(d.Tags), Deleted: d.DeletedDate != nil,
		DeletedDate: d.DeletedDate}
	L.Push(engine.ToLua(L, s))
	return 1
}

type listArgs struct {
	Prefix string `json:"prefix"`
}

func luaList(L *lua.LState) int {
	const fn, usage = "secrets.list", `secrets.list{prefix = "agentcore/shop/dev/"}`
	var a listArgs
	if L.Get(1) != lua.LNil {
		if err := engine.Decode(L.CheckTable(1), &a); err != nil {
			engine.RaiseUsage(L, usage, "%s: %v", fn, err)
		}
	}
	in := &sm.ListSecretsInput{}
	if a.Prefix != "" {
		in.Filters = []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{a.Prefix}}}
	}
	out := awscall.Call(L, service, "listing secrets", func(ctx context.Context, c *sm.Client) ([]Secret, error) {
		var all []Secret
		p := sm.NewListSecretsPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, e := range page.SecretList {
				name := awssdk.ToString(e.Name)
				// The name filter is a prefix match on AWS; emulators may match anywhere.
				if !strings.HasPrefix(name, a.Prefix) || e.DeletedDate != nil {
					continue
				}
				all = append(all, Secret{Name: name, ARN: awssdk.ToString(e.ARN), VersionID: current(e.SecretVersionsToStages),
					LastChanged: e.LastChangedDate, Created: e.CreatedDate, Tags: tagMap(e.Tags)})
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
		return all, nil
	})
	if out == nil {
		out = []Secret{}
	}
	L.Push(engine.ToLua(L, out))
	return 1
}

type deleteArgs struct {
	Name         string `json:"name"`
	Force        bool   `json:"force"`
	RecoveryDays int64  `json:"recovery_days"`
}

func luaDelete(L *lua.LState) int {
	const fn, usage = "secrets.delete", `secrets.delete{name = "agentcore/shop/dev/openai", force = true}`
	var a deleteArgs
	decode(L, fn, usage, &a, &a.Name)
	if a.Force && a.RecoveryDays != 0 {
		engine.RaiseUsage(L, usage, "%s: force deletes at once: give force or recovery_days, not both", fn)
	}
	if a.RecoveryDays != 0 && (a.RecoveryDays < 7 || a.RecoveryDays > 30) {
		engine.RaiseUsage(L, usage, "%s: recovery_days is %d; Secrets Manager takes 7 to 30", fn, a.RecoveryDays)
	}
	in := &sm.DeleteSecretInput{SecretId: &a.Name}
	if a.Force {
		in.ForceDeleteWithoutRecovery = awssdk.Bool(true)
	} else if a.RecoveryDays != 0 {
		in.RecoveryWindowInDays = awssdk.Int64(a.RecoveryDays)
	}
	type result struct {
		Deleted      bool       `json:"deleted"`
		ARN          string     `json:"arn,omitempty"`
		DeletionDate *time.Time `json:"deletion_date,omitempty"`
	}
	d, err := awscall.Try(L, service, func(ctx context.Context, c *sm.Client) (*sm.DeleteSecretOutput, error) {
		// A forced deletion of a secret that does not exist succeeds on AWS: ask first.
		if _, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name}); err != nil {
			return nil, err
		}
		return c.DeleteSecret(ctx, in)
	})
	if awscall.IsNotFound(err) {
		L.Push(engine.ToLua(L, result{}))
		return 1
	}
	if err != nil {
		engine.Raise(L, service.Error("deleting secret "+a.Name, err))
	}
	L.Push(engine.ToLua(L, result{Deleted: true, ARN: awssdk.ToString(d.ARN), DeletionDate: d.DeletionDate}))
	return 1
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
