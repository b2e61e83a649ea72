package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	envmod "github.com/agentcore/agentcore/builtins/env"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/project"
	"github.com/agentcore/agentcore/state"
)

const envUsage = `Usage:
  agentcore env list        the environments of agentcore.toml; * marks the current one
  agentcore env show [NAME] one environment's settings, its agents' runtime names, and its state file
  agentcore env use NAME    make NAME the current environment (kept in .agentcore/env, not in the TOML)`

func (a *app) cmdEnv(args []string) error {
	rest, err := a.parse(pflag.NewFlagSet("env", pflag.ContinueOnError), args, envUsage)
	if err != nil {
		return helpOK(err)
	}
	p, err := a.loadProject()
	if err != nil {
		return err
	}
	current, source, selErr := p.SelectEnv(a.g.env, readCurrentEnv(p))
	sub := "list"
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch sub {
	case "list":
		if a.out.JSON {
			var out []map[string]any
			for _, n := range p.EnvNames() {
				m := envmod.Table(p.Environments[n])
				m["current"] = n == current
				out = append(out, m)
			}
			return json.NewEncoder(a.stdout).Encode(out)
		}
		ev := engine.Event{Type: "table", Headers: []string{"", "ENVIRONMENT", "PROVIDER", "REGION", "ACCOUNT", "PROTECTED"}}
		for _, n := range p.EnvNames() {
			e := p.Environments[n]
			mark, prot := "", ""
			if n == current {
				mark = "*"
			}
			if e.Protected {
				prot = "yes"
			}
			ev.Rows = append(ev.Rows, []string{mark, n, e.Provider, e.Region, e.Account, prot})
		}
		a.out.Emit(ev)
		if selErr != nil {
			a.out.Warn("", selErr.Error()+"; pick one with: agentcore env use NAME")
		}
		return nil
	case "show":
		name := current
		if len(rest) > 1 {
			name = rest[1]
			source = "argument"
		}
		if name == "" {
			return usageErr("agentcore env use NAME, or agentcore env show NAME", "%v", selErr)
		}
		e, ok := p.Environments[name]
		if !ok {
			return usageErr("agentcore env list shows them", "environment %q is not defined%s", name, project.Suggest(name, p.EnvNames()))
		}
		statePath := relPath(filepath.Join(p.Dir, ".agentcore", "state", name+".json"))
		if e.State == "ssm" {
			statePath = "SSM /agentcore/" + p.Name + "/" + name
		}
		if a.out.JSON {
			m := envmod.Table(e)
			m["selected_by"] = source
			m["runtime_names"] = e.RuntimeNames
			m["state_file"] = statePath
			return json.NewEncoder(a.stdout).Encode(m)
		}
		rows := [][]string{
			{"environment", name}, {"selected by", source}, {"provider", e.Provider}, {"region", e.Region},
			{"account", orDash(e.Account)}, {"profile", orDash(e.Profile)}, {"endpoint_url", orDash(e.EndpointURL)},
			{"registry", orDash(e.Registry)}, {"protected", fmt.Sprint(e.Protected)}, {"state", e.State + " (" + statePath + ")"},
		}
		if e.PermissionsBoundary != "" {
			rows = append(rows, []string{"permissions boundary", e.PermissionsBoundary})
		}
		if n := e.Network; n != nil {
			rows = append(rows, []string{"network", "VPC: subnets " + strings.Join(n.Subnets, ", ") + "; security groups " + strings.Join(n.SecurityGroups, ", ")})
		}
		for _, k := range project.SortedTagKeys(e.Tags) {
			rows = append(rows, []string{"tag " + k, e.Tags[k]})
		}
		for _, an := range p.AgentNames() {
			rows = append(rows, []string{"agent " + an, "runtime name " + e.RuntimeNames[an]})
		}
		a.out.Emit(engine.Event{Type: "table", Rows: rows})
		return nil
	case "use":
		if len(rest) != 2 {
			return usageErr(envUsage, "env use takes one environment name")
		}
		name := rest[1]
		if _, ok := p.Environments[name]; !ok {
			return usageErr("agentcore env list shows them", "environment %q is not defined%s", name, project.Suggest(name, p.EnvNames()))
		}
		if err := state.WriteFileAtomic(currentEnvFile(p), []byte(name+"\n"), 0o644); err != nil {
			return err
		}
		a.out.OK("", fmt.Sprintf("current environment: %s", name))
		return nil
	}
	return usageErr(envUsage, "unknown env subcommand %q", sub)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
