// Package cfn is the `cfn` Lua module: CloudFormation stacks deployed from the templates
// agentcore ships (package templates) or from a recipe's own template text. Deploys create
// or update (through a change set) idempotently and stream the stack's events while they
// wait; every stack carries the tag agentcore:managed=true, by which cfn.list finds them.
package cfn

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	lua "github.com/yuin/gopher-lua"

	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/templates"
)

// Module is the cfn Lua module.
var Module = &engine.Module{
	Name: "cfn",
	Doc: "CloudFormation stacks of the selected environment: deploy the embedded templates " +
		"(ecr-repository, agent-role, cognito, code-bucket, ci-role) or your own, with the stack's events streamed while " +
		"waiting. Every stack is tagged agentcore:managed=true.",
	Classes: []*engine.Class{
		{Name: "cfn.DeployOpts", Of: deployOpts{}},
		{Name: "cfn.DeployResult", Fields: `stack_id: string, status: string, outputs: table<string, string>, changed: boolean, operation: "create"|"update"|"replace"|"none"`},
		{Name: "cfn.DeleteOpts", Of: deleteOpts{}},
		{Name: "cfn.DeleteResult", Fields: "stack_id?: string, status?: string, deleted: boolean"},
		{Name: "cfn.Stack", Fields: "name: string, status: string, updated: string, stack_id: string"},
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
			Fn: deploy},
		{Name: "outputs", Params: "stack: string", Returns: "table<string, string>?",
			Doc: "The stack's outputs, or nil when the stack does not exist.", Fn: stackOutputs},
		{Name: "delete", Params: "stack: string, opts?: cfn.DeleteOpts", Returns: "cfn.DeleteResult",
			Doc: "Deletes the stack and waits until it is gone, showing its events. A stack that does not " +
				"exist is success with deleted = false. Raises on DELETE_FAILED, naming the resource that " +
				"could not be deleted.",
			Fn: deleteStack},
		{Name: "list", Returns: "cfn.Stack[]",
			Doc: "The stacks tagged agentcore:managed=true, by name; updated is the last update (or the " +
				"creation) time, RFC 3339.", Fn: list},
		{Name: "template", Params: "name: string", Returns: "string",
			Doc: "The text of an embedded template (\"agent-role\" or \"agent-role.yaml\"); raises naming " +
				"the available ones for an unknown name.", Fn: template},
	},
}

// defaultTimeout bounds a deploy or delete: CloudFormation itself gives up on most resources
// well before.
const defaultTimeout = 1800 * time.Second

// call runs fn against the run's CloudFormation client with the interpreter lock released,
// with the stack events rendered to the run's output from the calling Lua thread's branch.
func call[T any](L *lua.LState, fn func(ctx context.Context, o *ops) (T, error)) T {
	run := engine.FromL(L)
	r := outputRenderer{out: run.Out, branch: run.Branch(L)}
	out, err := awscall.Try(L, service, func(ctx context.Context, c api) (T, error) {
		return fn(ctx, newOps(c, r))
	})
	if err != nil {
		engine.Raise(L, err)
	}
	return out
}

var stackNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func stackArg(L *lua.LState, fn, name string) string {
	if !stackNameRE.MatchString(name) {
		engine.RaiseUsage(L, "a stack name is a letter, then letters, digits and hyphens (128 at most)",
			"%s: invalid stack name %q", fn, name)
	}
	return name
}

type deployOpts struct {
	Stack         string            `json:"stack"`
	Template      string            `json:"template"`
	Body          string            `json:"body"`
	Parameters    map[string]any    `json:"parameters"`
	Tags          engine.StringMap  `json:"tags"`
	Capabilities  engine.StringList `json:"capabilities"`
	Timeout       *float64          `json:"timeout"`
	ReplaceFailed bool              `json:"replace_failed"`
	ClientToken   string            `json:"client_token"`
}

func deploy(L *lua.LState) int {
	const fn = "cfn.deploy"
	if L.Get(1).Type() != lua.LTTable {
		engine.RaiseUsage(L, `cfn.deploy{stack = "my-stack", template = "ecr-repository", parameters = {...}}`,
			"%s: expects an options table, got a %s", fn, L.Get(1).Type())
	}
	var o deployOpts
	engine.OptionsArg(L, 1, fn, &o)
	in := deployInput{Stack: stackArg(L, fn, o.Stack), Timeout: timeoutOpt(L, fn, o.Timeout), ClientToken: o.ClientToken}
	if t := o.ClientToken; t != "" && (len(t) > 128 || !clientTokenPattern.MatchString(t)) {
		engine.RaiseUsage(L, "up to 128 letters, digits and hyphens, starting with a letter or digit", "%s: client_token %q is not valid", fn, t)
	}
	switch {
	case o.Template != "" && o.Body != "":
		engine.RaiseUsage(L, "", "%s: give template or body, not both", fn)
	case o.Template != "":
		body, err := templateText(o.Template)
		if err != nil {
			engine.Raise(L, err)
		}
		in.Body = body
	case o.Body != "":
		in.Body = o.Body
	default:
		engine.RaiseUsage(L, "template names an embedded template (see cfn.template), body is template text",
			"%s: template or body is required", fn)
	}
	params, err := parameterValues(o.Parameters)
	if err != nil {
		engine.RaiseUsage(L, "", "%s: %v", fn, err)
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
			engine.RaiseUsage(L, "use CAPABILITY_IAM, CAPABILITY_NAMED_IAM or CAPABILITY_AUTO_EXPAND",
				"%s: unknown capability %q", fn, c)
		}
		in.Capabilities = append(in.Capabilities, c)
	}

	existing := call(L, func(ctx context.Context, o *ops) (*types.Stack, error) {
		st, err := o.describe(ctx, in.Stack)
		if err != nil {
			return nil, service.Error(fmt.Sprintf("describing stack %q", in.Stack), err)
		}
		return st, nil
	})
	if existing != nil && string(existing.StackStatus) == statusRollbackComplete {
		confirmReplace(L, in.Stack, o.ReplaceFailed)
	}
	res := call(L, func(ctx context.Context, o *ops) (deployResult, error) {
		return o.deploy(ctx, in, existing)
	})
	t := L.NewTable()
	t.RawSetString("stack_id", lua.LString(res.StackID))
	t.RawSetString("status", lua.LString(res.Status))
	t.RawSetString("outputs", stringTable(L, res.Outputs))
	t.RawSetString("changed", lua.LBool(res.Changed))
	t.RawSetString("operation", lua.LString(res.Operation))
	L.Push(t)
	return 1
}

// confirmReplace asks before deleting a stack whose creation failed (ROLLBACK_COMPLETE), as
// ui.confirm does: --yes or replace_failed answers; without a terminal it stops and says how.
func confirmReplace(L *lua.LState, stack string, replaceFailed bool) {
	run := engine.FromL(L)
	run.Out.Warn(run.Branch(L), fmt.Sprintf("stack %s is in ROLLBACK_COMPLETE: its creation failed and was rolled back, "+
		"and CloudFormation can only delete such a stack, not update it", stack))
	if replaceFailed || run.Yes {
		return
	}
	refuse := &engine.Error{Code: engine.ExitUsage,
		Msg:  fmt.Sprintf("stack %s is in ROLLBACK_COMPLETE and was not replaced", stack),
		Hint: "run again with --yes (or replace_failed = true) to delete it and create it again, or delete it with cfn.delete"}
	if !run.Interactive {
		engine.Raise(L, refuse)
	}
	ok, err := engine.Unlocked(L, func(ctx context.Context) (bool, error) {
		return run.AskYesNo(ctx, fmt.Sprintf("Delete stack %s and create it again?", stack))
	})
	if err != nil {
		engine.Raise(L, fmt.Errorf("reading the answer: %w", err))
	}
	if !ok {
		engine.Raise(L, refuse)
	}
}

func timeoutOpt(L *lua.LState, fn string, t *float64) time.Duration {
	if t == nil {
		return defaultTimeout
	}
	if *t <= 0 {
		engine.RaiseUsage(L, "", "%s: timeout must be a positive number of seconds, got %v", fn, *t)
	}
	return time.Duration(*t * float64(time.Second))
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

func template(L *lua.LState) int {
	body, err := templateText(engine.StringArg(L, 1, "cfn.template", "name"))
	if err != nil {
		engine.Raise(L, err)
	}
	L.Push(lua.LString(body))
	return 1
}

func stackOutputs(L *lua.LState) int {
	stack := stackArg(L, "cfn.outputs", engine.StringArg(L, 1, "cfn.outputs", "stack"))
	st := call(L, func(ctx context.Context, o *ops) (*types.Stack, error) {
		st, err := o.describe(ctx, stack)
		if err != nil {
			return nil, service.Error(fmt.Sprintf("describing stack %q", stack), err)
		}
		return st, nil
	})
	if st == nil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(stringTable(L, outputs(st)))
	return 1
}

type deleteOpts struct {
	Timeout *float64 `json:"timeout"`
}

func deleteStack(L *lua.LState) int {
	const fn = "cfn.delete"
	stack := stackArg(L, fn, engine.StringArg(L, 1, fn, "stack"))
	var o deleteOpts
	engine.OptionsArg(L, 2, fn, &o)
	timeout := timeoutOpt(L, fn, o.Timeout)
	type gone struct {
		id      string
		deleted bool
	}
	res := call(L, func(ctx context.Context, o *ops) (gone, error) {
		id, deleted, err := o.remove(ctx, stack, timeout)
		return gone{id, deleted}, err
	})
	t := L.NewTable()
	if res.id != "" {
		t.RawSetString("stack_id", lua.LString(res.id))
	}
	t.RawSetString("status", lua.LString(statusDeleteComplete))
	t.RawSetString("deleted", lua.LBool(res.deleted))
	L.Push(t)
	return 1
}

func list(L *lua.LState) int {
	stacks := call(L, func(ctx context.Context, o *ops) ([]types.Stack, error) {
		return o.managedStacks(ctx)
	})
	t := L.CreateTable(len(stacks), 0)
	for _, st := range stacks {
		updated := st.LastUpdatedTime
		if updated == nil {
			updated = st.CreationTime
		}
		row := L.NewTable()
		row.RawSetString("name", lua.LString(awssdk.ToString(st.StackName)))
		row.RawSetString("status", lua.LString(string(st.StackStatus)))
		row.RawSetString("stack_id", lua.LString(awssdk.ToString(st.StackId)))
		if updated != nil {
			row.RawSetString("updated", lua.LString(updated.UTC().Format(time.RFC3339)))
		}
		t.Append(row)
	}
	L.Push(t)
	return 1
}

func stringTable(L *lua.LState, m map[string]string) *lua.LTable {
	t := L.CreateTable(0, len(m))
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}
