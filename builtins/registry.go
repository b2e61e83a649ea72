// Package builtins lists every Lua module agentcore ships; cmd hands this registry to the
// engine. Each module lives in its own package below this one.
package builtins

import (
	"github.com/agentcore/agentcore/builtins/agentcore"
	"github.com/agentcore/agentcore/builtins/aws"
	"github.com/agentcore/agentcore/builtins/aws/awscall"
	"github.com/agentcore/agentcore/builtins/cfn"
	"github.com/agentcore/agentcore/builtins/codezip"
	"github.com/agentcore/agentcore/builtins/diff"
	"github.com/agentcore/agentcore/builtins/docker"
	"github.com/agentcore/agentcore/builtins/duration"
	"github.com/agentcore/agentcore/builtins/ec2"
	"github.com/agentcore/agentcore/builtins/ecr"
	"github.com/agentcore/agentcore/builtins/env"
	"github.com/agentcore/agentcore/builtins/envstate"
	"github.com/agentcore/agentcore/builtins/exec"
	"github.com/agentcore/agentcore/builtins/fs"
	"github.com/agentcore/agentcore/builtins/iam"
	"github.com/agentcore/agentcore/builtins/identity"
	"github.com/agentcore/agentcore/builtins/journal"
	"github.com/agentcore/agentcore/builtins/jsonmod"
	"github.com/agentcore/agentcore/builtins/logs"
	"github.com/agentcore/agentcore/builtins/mcp"
	"github.com/agentcore/agentcore/builtins/memory"
	"github.com/agentcore/agentcore/builtins/metrics"
	"github.com/agentcore/agentcore/builtins/naming"
	"github.com/agentcore/agentcore/builtins/oci"
	"github.com/agentcore/agentcore/builtins/project"
	"github.com/agentcore/agentcore/builtins/retry"
	"github.com/agentcore/agentcore/builtins/s3"
	"github.com/agentcore/agentcore/builtins/secrets"
	"github.com/agentcore/agentcore/builtins/ssm"
	"github.com/agentcore/agentcore/builtins/statesync"
	"github.com/agentcore/agentcore/builtins/ui"
	"github.com/agentcore/agentcore/engine"
)

// Deps is what the modules need from the program that runs them, given once when the
// registry is built (cmd fills it); a module that needs some of it gets it through its
// constructor.
type Deps struct {
	// AWS is the program's AWS layer (awscall.New with the local endpoint): the AWS modules
	// and the store module reach AWS through it. nil gives a layer without a local endpoint,
	// enough for the declarations (docs) and for tests that reach no local environment.
	AWS *awscall.AWS
}

// Modules returns every builtin module, built with d.
func Modules(d Deps) []*engine.Module {
	a := d.AWS
	if a == nil {
		a = awscall.New(awscall.Local{})
	}
	return []*engine.Module{
		ui.Module, jsonmod.Module, diff.Module, exec.Module, fs.Module,
		project.Module, env.Module, envstate.Module,
		docker.Module, aws.New(a), ecr.New(a), agentcore.New(a), ssm.New(a), statesync.New(a), cfn.New(a), oci.Module,
		codezip.Module, s3.New(a), secrets.New(a),
		iam.New(a), ec2.New(a), memory.New(a), identity.New(a),
		logs.New(a), metrics.New(a), mcp.New(a),
		journal.Module, naming.Module, duration.Module, retry.Module,
	}
}

// Registry returns a registry holding every builtin module, built with d.
func Registry(d Deps) *engine.Registry {
	r := engine.NewRegistry()
	for _, m := range Modules(d) {
		r.Add(m)
	}
	return r
}
