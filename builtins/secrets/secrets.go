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
	"maps"
	"os"
	"path/filepath"
	"slices"
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

// New returns the secrets Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "secrets",
		Doc: "AWS Secrets Manager secrets of the selected environment (the local endpoint's on local " +
			"environments). Values go in and never come out: no function returns one, and a value sent " +
			"is masked in all output. Errors keep the Secrets Manager error code first " +
			"(\"ResourceExistsException: ...\"); err.aws_code holds it after pcall.",
		Classes: []*engine.Class{
			{Name: "secrets.EnsureOpts", Of: ensureArgs{}},
			{Name: "secrets.Ensured", Of: ensured{}},
			{Name: "secrets.PutOpts", Of: putArgs{}},
			{Name: "secrets.PutResult", Of: putResult{}},
			{Name: "secrets.NameRef", Of: nameArgs{}},
			{Name: "secrets.ListOpts", Of: listArgs{}},
			{Name: "secrets.DeleteOpts", Of: deleteArgs{}},
			{Name: "secrets.DeleteResult", Of: deleteResult{}},
			{Name: "secrets.Secret", Of: Secret{}},
		},
		Funcs: []engine.Func{
			{Name: "ensure", Go: m.luaEnsure,
				Params:  "opts: secrets.EnsureOpts",
				Returns: "secrets.Ensured",
				Doc: "Creates the secret, without a value, when it does not exist (tags and description " +
					"applied); an existing secret is left as it is and created is false. A secret scheduled " +
					"for deletion is an error (InvalidRequestException) saying how to restore or purge it."},
			{Name: "put", Go: m.luaPut,
				Params:  "opts: secrets.PutOpts",
				Returns: "secrets.PutResult",
				Doc: "Stores a new value of an existing secret (a new version labelled AWSCURRENT; the " +
					"former one becomes AWSPREVIOUS). The value is given as value, or read by Go from the " +
					"environment variable from_env, the file from_file (relative to the project) or the " +
					"run's stdin, so that it never passes through Lua; one trailing newline of a file or " +
					"stdin is dropped. It is registered as a secret of the run before anything is sent. " +
					"Empty values and values over 64 KiB are refused (exit 2)."},
			{Name: "describe", Go: m.luaDescribe,
				Params:  "opts: secrets.NameRef",
				Returns: "secrets.Secret?",
				Doc: "The secret's metadata, or nil when it does not exist. version_id is the AWSCURRENT " +
					"version's, absent when no value was ever put; deleted is true when a deletion is " +
					"scheduled (deleted_date: when it was asked). name may also be an ARN."},
			{Name: "list", Go: m.luaList,
				Params:  "opts: secrets.ListOpts",
				Returns: "secrets.Secret[]",
				Doc:     "The secrets whose name starts with prefix (all pages), sorted by name; secrets scheduled for deletion are left out."},
			{Name: "delete", Go: m.luaDelete,
				Params:  "opts: secrets.DeleteOpts",
				Returns: "secrets.DeleteResult",
				Doc: "Deletes the secret: at once and for good with force = true, otherwise after a " +
					"recovery window of recovery_days (7 to 30) during which it can be restored and its " +
					"name cannot be reused. deleted is false when there was no such secret."},
		},
	}
}

// module is the secrets module built with the program's AWS layer.
type module struct {
	service *awscall.Service[*sm.Client] // Secrets Manager
}

func newModule(a *awscall.AWS) *module {
	return &module{service: &awscall.Service[*sm.Client]{AWS: a, Name: "secretsmanager",
		New: func(s *awscall.Session) *sm.Client { return sm.NewFromConfig(s.Config) }, Hint: hint}}
}

// hint gives the hints of Secrets Manager's own error codes.
func hint(code, msg string) string {
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
}

// Secret is what describe and list return.
type Secret struct {
	Name        string            `json:"name"`
	ARN         string            `json:"arn"`
	VersionID   *string           `json:"version_id,omitempty"` // nil: no value yet
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
	Tags        engine.StringMap `json:"tags,omitempty"`
	Description string           `json:"description,omitempty"`
}

type ensured struct {
	Name    string `json:"name"`
	ARN     string `json:"arn"`
	Created bool   `json:"created"`
}

func (m *module) luaEnsure(L *lua.LState, a ensureArgs) (ensured, error) {
	var tags []types.Tag
	for _, k := range slices.Sorted(maps.Keys(a.Tags)) {
		tags = append(tags, types.Tag{Key: awssdk.String(k), Value: awssdk.String(a.Tags[k])})
	}
	return awscall.Call(L, m.service, "creating secret "+a.Name, func(ctx context.Context, c *sm.Client) (ensured, error) {
		d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name})
		if err == nil {
			if d.DeletedDate != nil {
				return ensured{}, &engine.Error{Code: engine.ExitFailure,
					Msg:  fmt.Sprintf("secret %s is scheduled for deletion (on %s)", a.Name, d.DeletedDate.UTC().Format(time.RFC3339)),
					Hint: "restore it (aws secretsmanager restore-secret --secret-id " + a.Name + ") or delete it for good (agentcore secret delete NAME --force), then run again"}
			}
			return ensured{Name: awssdk.ToString(d.Name), ARN: awssdk.ToString(d.ARN)}, nil
		}
		if !awscall.IsNotFound(err) {
			return ensured{}, err
		}
		in := &sm.CreateSecretInput{Name: &a.Name, Tags: tags}
		if a.Description != "" {
			in.Description = &a.Description
		}
		cr, err := c.CreateSecret(ctx, in)
		if awscall.ErrorCode(err) == "ResourceExistsException" { // created meanwhile by another run
			d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name})
			if err != nil {
				return ensured{}, err
			}
			return ensured{Name: awssdk.ToString(d.Name), ARN: awssdk.ToString(d.ARN)}, nil
		}
		if err != nil {
			return ensured{}, err
		}
		return ensured{Name: awssdk.ToString(cr.Name), ARN: awssdk.ToString(cr.ARN), Created: true}, nil
	})
}

type putArgs struct {
	Name     string  `json:"name"`
	Value    *string `json:"value,omitempty"`
	FromEnv  string  `json:"from_env,omitempty"`
	FromFile string  `json:"from_file,omitempty"`
	Stdin    bool    `json:"stdin,omitempty"`
}

// readValue returns the value put sends, from the one source the arguments name.
func readValue(L *lua.LState, a *putArgs) (string, error) {
	const fn, usage = "secrets.put", `secrets.put{name = "agentcore/shop/dev/openai", from_env = "OPENAI_API_KEY"}`
	n := 0
	for _, set := range []bool{a.Value != nil, a.FromEnv != "", a.FromFile != "", a.Stdin} {
		if set {
			n++
		}
	}
	if n != 1 {
		return "", engine.Usagef(usage, "%s: give exactly one of value, from_env, from_file, stdin = true", fn)
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
			return "", engine.Usagef("export "+a.FromEnv+"=... first (or use another source)", "%s: environment variable %s is not set", fn, a.FromEnv)
		}
		v, from = s, "environment variable "+a.FromEnv
	case a.FromFile != "":
		path := a.FromFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(run.Dir, path)
		}
		b, err := engine.Unlocked(L, func(context.Context) ([]byte, error) { return readAtMost(path, MaxValue+2) })
		if err != nil {
			return "", engine.Usagef("give the path of a file holding the value", "%s: reading %s: %v", fn, a.FromFile, err)
		}
		v, from = trim(string(b)), a.FromFile
	default:
		if run.Stdin == nil {
			return "", engine.Usagef("", "%s: there is no stdin to read the value from", fn)
		}
		b, err := engine.Unlocked(L, func(context.Context) ([]byte, error) {
			return io.ReadAll(io.LimitReader(run.Stdin, MaxValue+2))
		})
		if err != nil {
			return "", fmt.Errorf("%s: reading the value from stdin: %w", fn, err)
		}
		v, from = trim(string(b)), "stdin"
	}
	run.Out.AddSecret(v)
	if v == "" {
		return "", engine.Usagef("", "%s: the value from %s is empty; Secrets Manager stores 1 to %d bytes", fn, from, MaxValue)
	}
	if len(v) > MaxValue {
		return "", engine.Usagef("", "%s: the value from %s is over %d bytes, the most Secrets Manager stores", fn, from, MaxValue)
	}
	return v, nil
}

func readAtMost(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, n))
}

type putResult struct {
	Name      string `json:"name"`
	ARN       string `json:"arn"`
	VersionID string `json:"version_id"`
}

func (m *module) luaPut(L *lua.LState, a putArgs) (putResult, error) {
	value, err := readValue(L, &a)
	if err != nil {
		return putResult{}, err
	}
	return awscall.Call(L, m.service, "storing a new value of secret "+a.Name, func(ctx context.Context, c *sm.Client) (putResult, error) {
		p, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &a.Name, SecretString: &value})
		if err != nil {
			return putResult{}, err
		}
		return putResult{Name: awssdk.ToString(p.Name), ARN: awssdk.ToString(p.ARN), VersionID: awssdk.ToString(p.VersionId)}, nil
	})
}

type nameArgs struct {
	Name string `json:"name"`
}

func (m *module) luaDescribe(L *lua.LState, a nameArgs) (*Secret, error) {
	d, err := awscall.Try(L, m.service, func(ctx context.Context, c *sm.Client) (*sm.DescribeSecretOutput, error) {
		return c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name})
	})
	if awscall.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, m.service.Error("describing secret "+a.Name, err)
	}
	return &Secret{Name: awssdk.ToString(d.Name), ARN: awssdk.ToString(d.ARN), VersionID: current(d.VersionIdsToStages),
		LastChanged: d.LastChangedDate, Created: d.CreatedDate, Tags: tagMap(d.Tags), Deleted: d.DeletedDate != nil,
		DeletedDate: d.DeletedDate}, nil
}

type listArgs struct {
	Prefix string `json:"prefix,omitempty"`
}

func (m *module) luaList(L *lua.LState, a listArgs) ([]Secret, error) {
	in := &sm.ListSecretsInput{}
	if a.Prefix != "" {
		in.Filters = []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{a.Prefix}}}
	}
	return awscall.Call(L, m.service, "listing secrets", func(ctx context.Context, c *sm.Client) ([]Secret, error) {
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
}

type deleteArgs struct {
	Name         string `json:"name"`
	Force        bool   `json:"force,omitempty"`
	RecoveryDays int64  `json:"recovery_days,omitempty"`
}

type deleteResult struct {
	Deleted      bool       `json:"deleted"`
	ARN          string     `json:"arn,omitempty"`
	DeletionDate *time.Time `json:"deletion_date,omitempty"`
}

func (m *module) luaDelete(L *lua.LState, a deleteArgs) (deleteResult, error) {
	const fn, usage = "secrets.delete", `secrets.delete{name = "agentcore/shop/dev/openai", force = true}`
	if a.Force && a.RecoveryDays != 0 {
		return deleteResult{}, engine.Usagef(usage, "%s: force deletes at once: give force or recovery_days, not both", fn)
	}
	if a.RecoveryDays != 0 && (a.RecoveryDays < 7 || a.RecoveryDays > 30) {
		return deleteResult{}, engine.Usagef(usage, "%s: recovery_days is %d; Secrets Manager takes 7 to 30", fn, a.RecoveryDays)
	}
	in := &sm.DeleteSecretInput{SecretId: &a.Name}
	if a.Force {
		in.ForceDeleteWithoutRecovery = awssdk.Bool(true)
	} else if a.RecoveryDays != 0 {
		in.RecoveryWindowInDays = awssdk.Int64(a.RecoveryDays)
	}
	d, err := awscall.Try(L, m.service, func(ctx context.Context, c *sm.Client) (*sm.DeleteSecretOutput, error) {
		// A forced deletion of a secret that does not exist succeeds on AWS: ask first.
		if _, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &a.Name}); err != nil {
			return nil, err
		}
		return c.DeleteSecret(ctx, in)
	})
	if awscall.IsNotFound(err) {
		return deleteResult{}, nil
	}
	if err != nil {
		return deleteResult{}, m.service.Error("deleting secret "+a.Name, err)
	}
	return deleteResult{Deleted: true, ARN: awssdk.ToString(d.ARN), DeletionDate: d.DeletionDate}, nil
}
