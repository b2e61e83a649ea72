// Package cfn is the `cfn` Lua module: CloudFormation stacks deployed from the templates
// agentcore ships (package templates) or from a recipe's own template text. Deploys create
// or update (through a change set) idempotently and stream the stack's events while they
// wait; every stack carries the tag agentcore:managed=true, by which cfn.list finds them.
package cfn

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/internal/lazyregexp"
	"github.com/agentcore/agentcore/templates"
)

// New returns the cfn Lua module.
func New(a *awscall.AWS) *engine.Module {
	m := newModule(a)
	return &engine.Module{
		Name: "cfn",
		Doc: "CloudFormation stacks of the selected environment: deploy the embedded templates " +
			"(ecr-repository, agent-role, cognito, code-bucket, ci-role) or your own, with the stack's events streamed while " +
			"waiting. Every stack is tagged agentcore:managed=true.",
		Classes: []*engine.Class{
			{Name: "cfn.DeployOpts", Of: deployOpts{}},
			{Name: "cfn.DeployResult", Of: deployResult{}},
			{Name: "cfn.DeleteOpts", Of: deleteOpts{}},
			{Name: "cfn.DeleteResult", Of: deleteResult{}},
			{Name: "cfn.Stack", Of: stackRow{}},
		},
		Funcs: []engine.Func{
			{Name: "deploy",
				Params: "opts: cfn.DeployOpts", Returns: "cfn.DeployResult",
				Doc: "Creates the stack when it does not exist, otherwise updates it through a change set; a " +
					"change set without changes is success with changed = false (and is deleted). template names an " +
					"embedded template (\"ecr-repository\" or \"ecr-repository.yaml\", see cfn.template); body is " +
					"template text. parameters are name = value (a list value is joined with commas, for " +
					"CommaDelimitedList); parameters not given take the template's defaults, not their previous " +
					"values. tags are added to agentcore:managed=true on the stack (CloudFormation passes them on to " +
					"the resources). capabilities: e.g. {\"CAPABILITY_NAMED_IAM\"} for agent-role. The stack's events " +
					"are shown as they happen (progress/info events; in -o json one JSON line each, with fields " +
					"status, logical_id, resource_type, reason). A stack left in ROLLBACK_COMPLETE by a failed " +
					"creation cannot be updated: it is deleted and created again after a confirmation (--yes, or " +
					"replace_failed = true). Raises on failure, naming the first failed resource and its reason; " +
					"raises after timeout seconds (the operation goes on in CloudFormation). client_token is sent as " +
					"ClientRequestToken (CreateStack, ExecuteChangeSet): a retry with the same token is not taken " +
					"for a second operation.",
				Go: m.luaDeploy},
			{Name: "outputs", Params: "stack: string", Returns: "table<string, string>?",
				Doc: "The stack's outputs, or nil when the stack does not exist.", Go: m.luaOutputs},
			{Name: "delete", Params: "stack: string, opts?: cfn.DeleteOpts", Returns: "cfn.DeleteResult",
				Doc: "Deletes the stack and waits until it is gone, showing its events. A stack that does not " +
					"exist is success with deleted = false. Raises on DELETE_FAILED, naming the resource that " +
					"could not be deleted.",
				Go: m.luaDelete},
			{Name: "list", Returns: "cfn.Stack[]",
				Doc: "The stacks tagged agentcore:managed=true, by name; updated is the last update (or the " +
					"creation) time, RFC 3339.", Go: m.luaList},
			{Name: "template", Params: "name: string", Returns: "string",
				Doc: "The text of an embedded template (\"agent-role\" or \"agent-role.yaml\"); raises naming " +
					"the available ones for an unknown name.", Go: m.luaTemplate},
		},
	}
}

// defaultTimeout bounds a deploy or delete: CloudFormation itself gives up on most resources
// well before.
const defaultTimeout = 1800 * time.Second

// withOps runs fn with the stack operations on the CloudFormation client of the run's
// environment, with the interpreter lock released and the stack events rendered to the run's
// output from the calling Lua thread's branch. The operations explain their own errors.
func withOps[T any](L *lua.LState, sv *awscall.Service[api], fn func(ctx context.Context, o *ops) (T, error)) (T, error) {
	run := engine.FromL(L)
	r := outputRenderer{out: run.Out, branch: run.Branch(L)}
	return awscall.Try(L, sv, func(ctx context.Context, c api) (T, error) {
		return fn(ctx, newOps(c, r))
	})
}

var stackNameRE = lazyregexp.New(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func checkStackName(fn, name string) error {
	if !stackNameRE.MatchString(name) {
		return engine.Usagef("a stack name is a letter, then letters, digits and hyphens (128 at most)",
			"%s: invalid stack name %q", fn, name)
	}
	return nil
}

type deployOpts struct {
	Stack         string            `json:"stack"`
	Template      string            `json:"template,omitempty"`
	Body          string            `json:"body,omitempty"`
	Parameters    map[string]any    `json:"parameters,omitempty"`
	Tags          engine.StringMap  `json:"tags,omitempty"`
	Capabilities  engine.StringList `json:"capabilities,omitempty"`
	Timeout       *float64          `json:"timeout,omitempty"`
	ReplaceFailed bool              `json:"replace_failed,omitempty"`
	ClientToken   string            `json:"client_token,omitempty"`
}

func (m *module) luaDeploy(L *lua.LState, o deployOpts) (*deployResult, error) {
	const fn = "cfn.deploy"
	if err := checkStackName(fn, o.Stack); err != nil {
		return nil, err
	}
	timeout, err := timeoutOpt(fn, o.Timeout)
	if err != nil {
		return nil, err
	}
	in := deployInput{Stack: o.Stack, Timeout: timeout, ClientToken: o.ClientToken}
	if t := o.ClientToken; t != "" && (len(t) > 128 || !clientTokenPattern.MatchString(t)) {
		return nil, engine.Usagef("up to 128 letters, digits and hyphens, starting with a letter or digit", "%s: client_token %q is not valid", fn, t)
	}
	switch {
	case o.Template != "" && o.Body != "":
		return nil, engine.Usagef("", "%s: give template or body, not both", fn)
	case o.Template != "":
		body, err := templateText(o.Template)
		if err != nil {
			return nil, err
		}
		in.Body = body
	case o.Body != "":
		in.Body = o.Body
	default:
		return nil, engine.Usagef("template names an embedded template (see cfn.template), body is template text",
			"%s: template or body is required", fn)
	}
	params, err := parameterValues(o.Parameters)
	if err != nil {
		return nil, engine.Usagef("", "%s: %v", fn, err)
	}
	in.Parameters = params
	in.Tags = map[string]string{managedTag: "true"}
	for k, v := range o.Tags {
		if k == managedTag {
			continue // ours
		}
		in.Tags[k] = v
	}
	for _, c := range o.Capabilities {
		switch c {
		case "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND":
		default:
			return nil, engine.Usagef("use CAPABILITY_IAM, CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND",
				"%s: unknown capability %q", fn, c)
		}
		in.Capabilities = append(in.Capabilities, c)
	}

	existing, err := withOps(L, m.service, func(ctx context.Context, o *ops) (*types.Stack, error) {
		st, err := o.describe(ctx, in.Stack)
		if err != nil {
			return nil, hints.Error(fmt.Sprintf("describing stack %q", in.Stack), err)
		}
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	if existing != nil && string(existing.StackStatus) == statusRollbackComplete {
		if err := confirmReplace(L, in.Stack, o.ReplaceFailed); err != nil {
			return nil, err
		}
	}
	res, err := withOps(L, m.service, func(ctx context.Context, o *ops) (deployResult, error) {
		return o.deploy(ctx, in, existing)
	})
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// confirmReplace asks before deleting a stack whose creation failed (ROLLBACK_COMPLETE), as
// ui.confirm does: --yes or replace_failed answers; without a terminal it stops and says how.
func confirmReplace(L *lua.LState, stack string, replaceFailed bool) error {
	run := engine.FromL(L)
	run.Out.Warn(run.Branch(L), fmt.Sprintf("stack %s is in ROLLBACK_COMPLETE: its creation failed and was rolled back, "+
		"and CloudFormation can only delete such a stack, not update it", stack))
	if replaceFailed || run.Yes {
		return nil
	}
	refuse := &engine.Error{Code: engine.ExitUsage,
		Msg:  fmt.Sprintf("stack %s is in ROLLBACK_COMPLETE and was not replaced", stack),
		Hint: "run again with --yes (or replace_failed = true) to delete it and create it again, or delete it with cfn.delete"}
	if !run.Interactive {
		return refuse
	}
	ok, err := engine.Unlocked(L, func(ctx context.Context) (bool, error) {
		return run.AskYesNo(ctx, fmt.Sprintf("Delete stack %s and create it again?", stack))
	})
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if !ok {
		return refuse
	}
	return nil
}

func timeoutOpt(fn string, t *float64) (time.Duration, error) {
	if t == nil {
		return defaultTimeout, nil
	}
	if *t <= 0 {
		return 0, engine.Usagef("", "%s: timeout must be a positive number of seconds, got %v", fn, *t)
	}
	return time.Duration(*t * float64(time.Second)), nil
}

// parameterValues turns the parameters table into strings: numbers and booleans as Lua
// writes them, lists joined with commas (CommaDelimitedList, List<...>).
func parameterValues(in map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for k, v := range in {
		switch v := v.(type) {
		case string:
			out[k] = v
		case bool, float64, int64, int:
			out[k] = fmt.Sprint(v)
		case nil: // an empty table: an empty list
			out[k] = ""
		case []any:
			parts := make([]string, 0, len(v))
			for _, x := range v {
				switch x.(type) {
				case string, bool, float64, int64:
					parts = append(parts, fmt.Sprint(x))
				default:
					return nil, fmt.Errorf("parameter %s: a list of strings expected", k)
				}
			}
			out[k] = strings.Join(parts, ",")
		default:
			return nil, fmt.Errorf("parameter %s: a string, number, boolean or list expected, got a table", k)
		}
	}
	return out, nil
}

// templateText returns an embedded template by name, with or without .yaml.
func templateText(name string) (string, error) {
	file := name
	if !strings.HasSuffix(file, ".yaml") {
		file += ".yaml"
	}
	b, err := templates.FS.ReadFile(file)
	if err != nil {
		names, _ := fs.Glob(templates.FS, "*.yaml")
		for i := range names {
			names[i] = strings.TrimSuffix(names[i], ".yaml")
		}
		sort.Strings(names)
		return "", engine.Usagef("the embedded templates are: "+strings.Join(names, ", "),
			"no embedded template %q", name)
	}
	return string(b), nil
}

func (m *module) luaTemplate(name string) (string, error) {
	return templateText(name)
}

func (m *module) luaOutputs(L *lua.LState, stack string) (map[string]string, error) {
	if err := checkStackName("cfn.outputs", stack); err != nil {
		return nil, err
	}
	st, err := withOps(L, m.service, func(ctx context.Context, o *ops) (*types.Stack, error) {
		st, err := o.describe(ctx, stack)
		if err != nil {
			return nil, hints.Error(fmt.Sprintf("describing stack %q", stack), err)
		}
		return st, nil
	})
	if st == nil || err != nil {
		return nil, err
	}
	return outputs(st), nil
}

type deleteOpts struct {
	Timeout *float64 `json:"timeout,omitempty"`
}

type deleteResult struct {
	StackID string `json:"stack_id,omitempty"`
	Status  string `json:"status,omitempty"`
	Deleted bool   `json:"deleted"`
}

func (m *module) luaDelete(L *lua.LState, stack string, o deleteOpts) (*deleteResult, error) {
	const fn = "cfn.delete"
	if err := checkStackName(fn, stack); err != nil {
		return nil, err
	}
	timeout, err := timeoutOpt(fn, o.Timeout)
	if err != nil {
		return nil, err
	}
	return withOps(L, m.service, func(ctx context.Context, o *ops) (*deleteResult, error) {
		id, deleted, err := o.remove(ctx, stack, timeout)
		if err != nil {
			return nil, err
		}
		return &deleteResult{StackID: id, Status: statusDeleteComplete, Deleted: deleted}, nil
	})
}

// stackRow is one stack of list.
type stackRow struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Updated string `json:"updated"` // RFC 3339: the last update, or the creation
	StackID string `json:"stack_id"`
}

func (m *module) luaList(L *lua.LState) ([]stackRow, error) {
	stacks, err := withOps(L, m.service, func(ctx context.Context, o *ops) ([]types.Stack, error) {
		return o.managedStacks(ctx)
	})
	rows := make([]stackRow, 0, len(stacks))
	for _, st := range stacks {
		updated := st.LastUpdatedTime
		if updated == nil {
			updated = st.CreationTime
		}
		row := stackRow{Name: awssdk.ToString(st.StackName), Status: string(st.StackStatus), StackID: awssdk.ToString(st.StackId)}
		if updated != nil {
			row.Updated = updated.UTC().Format(time.RFC3339)
		}
		rows = append(rows, row)
	}
	return rows, err
}
