package project

import (
	"fmt"
	"os"
	"strings"
)

// Resolve returns the value's text: the literal, or the environment variable it references.
func (v Value) Resolve() (string, error) {
	if v.Env == "" {
		return v.Literal, nil
	}
	s, ok := os.LookupEnv(v.Env)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set (export %s=... before running, or put it in your CI secrets)", v.Env, v.Env)
	}
	return s, nil
}

// EnvNames returns the environment names, sorted.
func (p *Project) EnvNames() []string { return sortedKeys(p.Environments) }

// DeclaredEnvNames returns the environment names in the order agentcore.toml declares them.
func (p *Project) DeclaredEnvNames() []string {
	if len(p.EnvOrder) == len(p.Environments) {
		return append([]string(nil), p.EnvOrder...)
	}
	return p.EnvNames() // a Project built in Go, not parsed
}

// AgentNames returns the agent names, sorted.
func (p *Project) AgentNames() []string { return sortedKeys(p.Agents) }

// SelectEnv picks the environment a command runs against: the -e flag, then AGENTCORE_ENV,
// then the one chosen with `agentcore env use`, then [project].default_environment, then the
// only environment, then one named "local" or "dev". The second result says where the choice
// came from, for `agentcore env show`.
func (p *Project) SelectEnv(flag, current string) (string, string, error) {
	pick := func(name, source string) (string, string, error) {
		if _, ok := p.Environments[name]; !ok {
			return "", "", fmt.Errorf("environment %q (from %s) is not defined in %s%s", name, source, FileName, Suggest(name, p.EnvNames()))
		}
		return name, source, nil
	}
	switch {
	case flag != "":
		return pick(flag, "--env")
	case os.Getenv("AGENTCORE_ENV") != "":
		return pick(os.Getenv("AGENTCORE_ENV"), "AGENTCORE_ENV")
	case current != "":
		return pick(current, "agentcore env use")
	case p.DefaultEnv != "":
		return pick(p.DefaultEnv, "default_environment")
	case len(p.Environments) == 1:
		return p.EnvNames()[0], "the only environment", nil
	}
	for _, n := range []string{"local", "dev"} {
		if _, ok := p.Environments[n]; ok {
			return n, "default", nil
		}
	}
	return "", "", fmt.Errorf("several environments are defined (%s) and none is selected", strings.Join(p.EnvNames(), ", "))
}
