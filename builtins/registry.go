// Package builtins lists every Lua module agentcore ships; cmd hands this registry to the
// engine. Each module lives in its own package below this one.
package builtins

import (
	"github.com/agentcore/agentcore/builtins/agentcore"
	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/cfn"
	"github.com/agentcore/agentcore/builtins/codezip"
	"github.com/agentcore/agentcore/builtins/diff"
	"github.com/agentcore/agentcore/builtins/docker"
	"github.com/agentcore/agentcore/builtins/duration"
	"github.com/agentcore/agentcore/builtins/ecr"
	"github.com/agentcore/agentcore/builtins/env"
	"github.com/agentcore/agentcore/builtins/exec"
	"github.com/agentcore/agentcore/builtins/fs"
	"github.com/agentcore/agentcore/builtins/iam"
	"github.com/agentcore/agentcore/builtins/journal"
	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/builtins/logs"
	"github.com/agentcore/agentcore/builtins/metrics"
	"github.com/agentcore/agentcore/builtins/naming"
	"github.com/agentcore/agentcore/builtins/oci"
	"github.com/agentcore/agentcore/builtins/project"
	"github.com/agentcore/agentcore/builtins/retry"
	"github.com/agentcore/agentcore/builtins/s3"
	"github.com/agentcore/agentcore/builtins/secrets"
	"github.com/agentcore/agentcore/builtins/ssm"
	"github.com/agentcore/agentcore/builtins/state"
	"github.com/agentcore/agentcore/builtins/store"
	"github.com/agentcore/agentcore/builtins/ui"
	"github.com/agentcore/agentcore/engine"
)

// Modules returns every builtin module.
func Modules() []*engine.Module {
	return []*engine.Module{
		ui.Module, jsonmod.Module, diff.Module, exec.Module, fs.Module,
		project.Module, env.Module, state.Module,
		docker.Module, aws.Module, ecr.Module, agentcore.Module, ssm.Module, store.Module, cfn.Module, oci.Module,
		codezip.Module, s3.Module, secrets.Module,
		iam.Module,
		logs.Module, metrics.Module,
		journal.Module, naming.Module, duration.Module, retry.Module,
	}
}

// Registry returns a registry holding every builtin module.
func Registry() *engine.Registry {
	r := engine.NewRegistry()
	for _, m := range Modules() {
		r.Add(m)
	}
	return r
}
