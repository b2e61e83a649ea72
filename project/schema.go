package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// The raw shapes decoded strictly from the file. Maps of values are `any` because a value is
// a string or a { env = "NAME" } reference; they are checked by the validator.
type rawFile struct {
	Project      rawProject               `toml:"project"`
	Agents       map[string]rawAgent      `toml:"agents"`
	Environments map[string]rawEnv        `toml:"environments"`
	Rollouts     map[string]rawRollout    `toml:"rollouts"`
	Memories     map[string]rawMemory     `toml:"memories"`
	Credentials  map[string]rawCredential `toml:"credentials"`
}

type rawProject struct {
	Name               string `toml:"name"`
	DefaultEnvironment string `toml:"default_environment"`
	ID                 string `toml:"id"`
	// Guardrails every environment starts from (guardrails.go).
	PermissionsBoundary string         `toml:"permissions_boundary"`
	Tags                map[string]any `toml:"tags"`
}

type rawLifecycle struct {
	IdleTimeout any `toml:"idle_timeout"` // seconds or a duration string ("15m")
	MaxLifetime any `toml:"max_lifetime"`
}

type rawAgent struct {
	Description   string         `toml:"description"`
	Dockerfile    string         `toml:"dockerfile"`
	Context       string         `toml:"context"`
	Platform      string         `toml:"platform"`
	Protocol      string         `toml:"protocol"`
	Environment   map[string]any `toml:"environment"`
	BuildArgs     map[string]any `toml:"build_args"`
	Lifecycle     *rawLifecycle  `toml:"lifecycle"`
	ExecutionRole string         `toml:"execution_role"`
	Models        []string       `toml:"models"`
	RuntimeName   string         `toml:"runtime_name"`
	Auth          *rawAuth       `toml:"auth"`
	Build         string         `toml:"build"`
	Image         string         `toml:"image"`
	Package       string         `toml:"package"`
	Files         []string       `toml:"files"`
	BaseImage     string         `toml:"base_image"`
	Runtime       string         `toml:"runtime"`
	Entrypoint    []string       `toml:"entrypoint"`
	Smoke         []rawSmoke     `toml:"smoke"`
	Alarms        *rawAlarms     `toml:"alarms"`
	Memory        string         `toml:"memory"`
	Credentials   []string       `toml:"credentials"`
}

type rawAuth struct {
	Type            string   `toml:"type"`
	DiscoveryURL    string   `toml:"discovery_url"`
	AllowedClients  []string `toml:"allowed_clients"`
	AllowedAudience []string `toml:"allowed_audience"`
}

type rawEnv struct {
	Provider    string                   `toml:"provider"`
	Region      string                   `toml:"region"`
	Account     string                   `toml:"account"`
	Profile     string                   `toml:"profile"`
	EndpointURL string                   `toml:"endpoint_url"`
	Registry    string                   `toml:"registry"`
	Protected   bool                     `toml:"protected"`
	State       string                   `toml:"state"`
	Release     string                   `toml:"release"`
	Variables   map[string]any           `toml:"variables"`
	Agents      map[string]rawAgent      `toml:"agents"`
	Memories    map[string]rawMemory     `toml:"memories"`
	Credentials map[string]rawCredential `toml:"credentials"`
	// Guardrails (guardrails.go).
	PermissionsBoundary string         `toml:"permissions_boundary"`
	Network             *rawNetwork    `toml:"network"`
	Tags                map[string]any `toml:"tags"`
}

func tomlKeys(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("toml"); tag != "" {
			out = append(out, strings.Split(tag, ",")[0])
		}
	}
	sort.Strings(out)
	return out
}

// positions maps dotted key paths to where the key stands in the file.
type positions map[string][2]int

// indexPositions records the line and column of every table header and key in the file, in
// one pass: offsets become positions through an index of line starts (go-toml's Parser.Shape
// counts lines from the top of the file for each one).
func indexPositions(data []byte) positions {
	pos := positions{}
	var p unstable.Parser
	p.Reset(data)
	lines := lineStarts(data)
	var table []string
	arrays := map[string]int{} // [[array.table]] headers seen: the next index
	keyParts := func(n *unstable.Node) ([]string, *unstable.Node) {
		var parts []string
		var first *unstable.Node
		it := n.Key()
		for it.Next() {
			k := it.Node()
			if first == nil {
				first = k
			}
			parts = append(parts, string(k.Data))
		}
		return parts, first
	}
	record := func(path []string, n *unstable.Node) {
		if n == nil || n.Raw.Length == 0 && n.Raw.Offset == 0 {
			return
		}
		key := strings.Join(path, ".")
		if _, ok := pos[key]; !ok {
			pos[key] = lines.position(int(n.Raw.Offset))
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, first := keyParts(e)
			table = parts
			for i := range parts {
				record(parts[:i+1], first)
			}
			if e.Kind == unstable.ArrayTable { // its keys are recorded under path.INDEX
				key := strings.Join(parts, ".")
				table = append(append([]string{}, parts...), strconv.Itoa(arrays[key]))
				arrays[key]++
				record(table, first)
			}
		case unstable.KeyValue:
			parts, first := keyParts(e)
			full := append(append([]string{}, table...), parts...)
			record(full, first)
			// inline tables: record their keys at the value's position
			if v := e.Value(); v != nil && v.Kind == unstable.InlineTable {
				it := v.Children()
				for it.Next() {
					kv := it.Node()
					sub, f := keyParts(kv)
					record(append(append([]string{}, full...), sub...), f)
				}
			}
			// arrays of inline tables: their keys under path.INDEX
			if v := e.Value(); v != nil && v.Kind == unstable.Array {
				it := v.Children()
				for i := 0; it.Next(); i++ {
					el := it.Node()
					if el.Kind != unstable.InlineTable {
						continue
					}
					at := append(append([]string{}, full...), strconv.Itoa(i))
					kit := el.Children()
					for kit.Next() {
						sub, f := keyParts(kit.Node())
						record(at, f)
						record(append(append([]string{}, at...), sub...), f)
					}
				}
			}
		}
	}
	return pos
}

// lineIndex holds the offset at which each line of a file starts.
type lineIndex []int

func lineStarts(data []byte) lineIndex {
	starts := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// position is the 1-based line and byte column of offset, as go-toml counts them.
func (l lineIndex) position(offset int) [2]int {
	line := sort.Search(len(l), func(i int) bool { return l[i] > offset }) // lines starting at or before offset
	return [2]int{line, offset - l[line-1] + 1}
}

// at returns the position of the nearest recorded ancestor of path.
// declared sorts names (the keys of the table at path) by where agentcore.toml first declares
// them: a [path.NAME] header, a dotted key (path.NAME.key = ...) or an inline table's key. Names
// without a position (the default local environment) keep their order, after the declared ones.
func (v *validator) declared(names []string, path string) []string {
	first := map[string][2]int{}
	for _, n := range names {
		prefix := path + "." + n
		for k, lc := range v.pos {
			if k != prefix && !strings.HasPrefix(k, prefix+".") {
				continue
			}
			if f, ok := first[n]; !ok || lc[0] < f[0] || lc[0] == f[0] && lc[1] < f[1] {
				first[n] = lc
			}
		}
	}
	out := append([]string(nil), names...)
	sort.SliceStable(out, func(i, j int) bool {
		a, aok := first[out[i]]
		b, bok := first[out[j]]
		if aok != bok {
			return aok
		}
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	return out
}

func (p positions) at(path ...string) (int, int) {
	for n := len(path); n > 0; n-- {
		if lc, ok := p[strings.Join(path[:n], ".")]; ok {
			return lc[0], lc[1]
		}
	}
	return 0, 0
}

var (
	// AgentCore runtime and endpoint names.
	runtimeNameRE = lazyregexp.New(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)
	// Agent, environment and project names in agentcore.toml: readable, CLI-friendly.
	nameRE    = lazyregexp.New(`^[a-z][a-z0-9_-]{0,39}$`)
	envVarRE  = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)
	regionRE  = lazyregexp.New(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountRE = lazyregexp.New(`^\d{12}$`)
	roleRE    = lazyregexp.New(`^arn:aws(-[^:]+)?:iam::\d{12}:role/.+$`)
	hostPort  = lazyregexp.New(`^[A-Za-z0-9.-]+:\d{1,5}$`)
)

type validator struct {
	pos         positions
	dir         string
	problems    []Problem
	memories    map[string]rawMemory     // [memories], for agents' and environments' references
	credentials map[string]rawCredential // [credentials]
	reported    map[string]bool          // problems of resolved tables already reported

	projBoundary string            // [project] permissions_boundary, checked
	projTags     map[string]string // [project] tags, checked
}

func (v *validator) addf(path []string, format string, args ...any) {
	l, c := v.pos.at(path...)
	v.problems = append(v.problems, Problem{Line: l, Col: c, Path: strings.Join(path, "."), Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) build(raw *rawFile) *Project {
	p := &Project{
		Name:         raw.Project.Name,
		ID:           raw.Project.ID,
		DefaultEnv:   raw.Project.DefaultEnvironment,
		Agents:       map[string]*Agent{},
		Environments: map[string]*Environment{},
	}
	if p.Name == "" {
		p.Name = filepath.Base(v.dir)
		if !nameRE.MatchString(p.Name) {
			v.addf([]string{"project"}, "[project] name is missing and the directory name %q is not a valid project name; add name = \"my-project\" under [project]", p.Name)
		}
	} else if !nameRE.MatchString(p.Name) {
		v.addf([]string{"project", "name"}, "project name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter, at most 40 characters", p.Name)
	}
	if p.ID != "" && !ValidID(p.ID) {
		v.addf([]string{"project", "id"}, "project id %q is invalid: use 12 lowercase hex digits (agentcore init writes one; make one with: openssl rand -hex 6)", p.ID)
	}
	v.resources(raw)
	v.projectGuardrails(raw.Project)
	for _, name := range sortedKeys(raw.Agents) {
		path := []string{"agents", name}
		if !nameRE.MatchString(name) {
			v.addf(path, "agent name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter, at most 40 characters", name)
		}
		a := v.agent(path, name, raw.Agents[name], nil)
		p.Agents[name] = a
	}
	if len(raw.Environments) == 0 {
		// A project without environments deploys to the local provider.
		raw.Environments = map[string]rawEnv{"local": {Provider: "local"}}
	}
	for _, name := range sortedKeys(raw.Environments) {
		p.Environments[name] = v.env(p, name, raw.Environments[name], raw.Agents)
	}
	p.EnvOrder = v.declared(sortedKeys(raw.Environments), "environments")
	p.Rollouts = v.rollouts(p, raw.Rollouts)
	if p.DefaultEnv != "" {
		if _, ok := p.Environments[p.DefaultEnv]; !ok {
			v.addf([]string{"project", "default_environment"}, "default_environment %q is not defined%s", p.DefaultEnv, Suggest(p.DefaultEnv, sortedKeys(raw.Environments)))
		}
	}
	return p
}

// Suggest returns " (did you mean \"x\"?)" for the known name closest to name, the list of
// known names when none is close, or "" when there are none.
func Suggest(name string, known []string) string {
	if s := closest(name, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(known) > 0 {
		return " (defined: " + strings.Join(known, ", ") + ")"
	}
	return ""
}

// agent validates an agent table; base, when given, is the agent it overrides.
func (v *validator) agent(path []string, name string, r rawAgent, base *Agent) *Agent {
	v.constrainAgent(path, r)
	a := &Agent{Name: name, Environment: map[string]Value{}, BuildArgs: map[string]Value{}}
	if base != nil {
		*a = *base
		a.Environment = copyValues(base.Environment)
		a.BuildArgs = copyValues(base.BuildArgs)
		a.Models = append([]string(nil), base.Models...)
		a.Credentials = append([]string(nil), base.Credentials...)
	}
	if r.Description != "" {
		a.Description = r.Description
	}
	if r.Context != "" {
		a.Context = v.path(r.Context)
	}
	if r.Dockerfile != "" {
		a.Dockerfile = v.path(r.Dockerfile)
	}
	v.artifact(path, name, r, a)
	if base == nil {
		switch {
		case a.Context == "" && a.Dockerfile == "":
			if a.Build != BuildImage {
				v.addf(path, "agent %q needs dockerfile or context (for example dockerfile = \"agents/%s/Dockerfile\", or context = \"agents/%s\" with build = \"go\" or \"zip\"), or a prebuilt image = \"REPO@sha256:...\"", name, name, name)
			}
		case a.Context == "":
			a.Context = filepath.Dir(a.Dockerfile)
		case a.Dockerfile == "":
			a.Dockerfile = filepath.Join(a.Context, "Dockerfile")
		}
	}
	if r.Platform != "" {
		switch r.Platform {
		case "linux/arm64", "linux/amd64":
			a.Platform = r.Platform
		default:
			v.addf(append(path, "platform"), "platform %q is not supported: use linux/arm64 (what AgentCore runs) or linux/amd64", r.Platform)
		}
	}
	if r.Protocol != "" {
		if up := strings.ToUpper(r.Protocol); contains(ServerProtocols, up) {
			a.Protocol = up
		} else {
			v.addf(append(path, "protocol"), "protocol %q is not one of %s", r.Protocol, strings.Join(ServerProtocols, ", "))
		}
	}
	if a.Protocol == "" {
		a.Protocol = "HTTP"
	}
	for k, val := range v.values(append(path, "environment"), r.Environment) {
		a.Environment[k] = val
	}
	for k, val := range v.values(append(path, "build_args"), r.BuildArgs) {
		a.BuildArgs[k] = val
	}
	if r.Lifecycle != nil {
		if d, ok := v.seconds(append(path, "lifecycle", "idle_timeout"), r.Lifecycle.IdleTimeout); ok {
			a.IdleTimeout = d
		}
		if d, ok := v.seconds(append(path, "lifecycle", "max_lifetime"), r.Lifecycle.MaxLifetime); ok {
			a.MaxLifetime = d
		}
	}
	if a.IdleTimeout > 0 && a.MaxLifetime > 0 && a.IdleTimeout > a.MaxLifetime {
		v.addf(append(path, "lifecycle"), "idle_timeout (%ds) is longer than max_lifetime (%ds)", a.IdleTimeout, a.MaxLifetime)
	}
	if r.ExecutionRole != "" {
		if !roleRE.MatchString(r.ExecutionRole) {
			v.addf(append(path, "execution_role"), "execution_role %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", r.ExecutionRole)
		}
		a.ExecutionRole = r.ExecutionRole
	}
	if len(r.Models) > 0 {
		a.Models = r.Models
	}
	if r.Auth != nil {
		ap := append(append([]string{}, path...), "auth")
		au := Auth{Type: r.Auth.Type, DiscoveryURL: r.Auth.DiscoveryURL, AllowedClients: r.Auth.AllowedClients, AllowedAudience: r.Auth.AllowedAudience}
		switch au.Type {
		case "iam", "cognito":
			if au.DiscoveryURL != "" || len(au.AllowedClients) > 0 || len(au.AllowedAudience) > 0 {
				v.addf(ap, "auth type %q takes no discovery_url, allowed_clients or allowed_audience (those are for type \"jwt\")", au.Type)
			}
		case "jwt":
			if !strings.HasPrefix(au.DiscoveryURL, "https://") || !discoveryURLRE.MatchString(au.DiscoveryURL) {
				v.addf(append(ap, "discovery_url"), "auth type \"jwt\" needs discovery_url = \"https://ISSUER/.well-known/openid-configuration\"")
			}
			if len(au.AllowedClients) == 0 && len(au.AllowedAudience) == 0 {
				v.addf(ap, "auth type \"jwt\" needs allowed_clients or allowed_audience")
			}
		default:
			v.addf(append(ap, "type"), "auth type %q is not one of iam, cognito, jwt%s", au.Type, Suggest(au.Type, []string{"iam", "cognito", "jwt"}))
		}
		a.Auth = au
	}
	if a.Auth.Type == "" {
		a.Auth.Type = "iam"
	}
	if r.Smoke != nil {
		a.Smoke = v.smoke(append(append([]string{}, path...), "smoke"), r.Smoke, a.Protocol)
	}
	v.alarms(path, r.Alarms, a)
	v.agentResources(path, r, a)
	if r.RuntimeName != "" {
		if !runtimeNameRE.MatchString(r.RuntimeName) {
			v.addf(append(path, "runtime_name"), "runtime_name %q is invalid: AgentCore runtime names match [a-zA-Z][a-zA-Z0-9_]{0,47}", r.RuntimeName)
		}
		a.runtimeName = r.RuntimeName
	}
	return a
}

// seconds accepts an integer number of seconds or a Go duration string ("15m", "8h").
func (v *validator) seconds(path []string, val any) (int, bool) {
	if val == nil {
		return 0, false
	}
	var secs int64
	switch x := val.(type) {
	case int64:
		secs = x
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			v.addf(path, "%s = %q is not a duration: use seconds (900) or a duration (\"15m\", \"8h\")", path[len(path)-1], x)
			return 0, false
		}
		secs = int64(d / time.Second)
	default:
		v.addf(path, "%s must be seconds or a duration string, not %T", path[len(path)-1], val)
		return 0, false
	}
	// AgentCore's lifecycle configuration accepts 60..28800 seconds for both settings.
	if secs < int64(MinLifecycle) || secs > int64(MaxLifecycle) {
		v.addf(path, "%s = %ds is out of range: AgentCore accepts %ds to 8h (%ds)", path[len(path)-1], secs, MinLifecycle, MaxLifecycle)
		return 0, false
	}
	return int(secs), true
}

// values checks a table of environment variables or build args.
func (v *validator) values(path []string, m map[string]any) map[string]Value {
	out := map[string]Value{}
	for _, k := range sortedKeys(m) {
		kp := append(append([]string{}, path...), k)
		if !envVarRE.MatchString(k) {
			v.addf(kp, "%q is not a valid variable name (letters, digits, '_', not starting with a digit)", k)
			continue
		}
		switch x := m[k].(type) {
		case string:
			out[k] = Value{Literal: x}
		case int64, float64, bool:
			v.nonString(kp, k, x)
		case map[string]any:
			if name, ok := x["secret"].(string); ok && len(x) == 1 {
				if msg := checkSecretName(name); msg != "" {
					v.addf(kp, "%s: secret name %q %s", k, name, msg)
					continue
				}
				out[k] = Value{SecretName: name}
				continue
			}
			ref, ok := x["env"].(string)
			if !ok || len(x) != 1 || !envVarRE.MatchString(ref) {
				v.addf(kp, "%s must be a string, { env = \"VARIABLE\" } (a secret read from the environment) or { secret = \"NAME\" } (kept in Secrets Manager)", k)
				continue
			}
			out[k] = Value{Env: ref}
		default:
			v.addf(kp, "%s must be a string, { env = \"VARIABLE\" } or { secret = \"NAME\" }, not %T", k, x)
		}
	}
	return out
}

func (v *validator) path(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(v.dir, p)
}

func (v *validator) env(p *Project, name string, r rawEnv, agents map[string]rawAgent) *Environment {
	path := []string{"environments", name}
	if !nameRE.MatchString(name) {
		v.addf(path, "environment name %q is invalid: use lowercase letters, digits, '-' and '_', starting with a letter", name)
	}
	e := &Environment{Name: name, Provider: r.Provider, Region: r.Region, Account: r.Account, Profile: r.Profile,
		EndpointURL: r.EndpointURL, Registry: r.Registry, Protected: r.Protected, State: r.State,
		Agents: map[string]*Agent{}, RuntimeNames: map[string]string{}}
	e.Memories = v.resolveMemories(name, r.Memories)
	e.Credentials = v.resolveCredentials(name, r.Credentials)
	switch e.Provider {
	case "local", "aws":
	case "":
		v.addf(path, "environment %q needs provider = \"local\" or \"aws\"", name)
	default:
		v.addf(append(path, "provider"), "provider %q is not one of local, aws%s", e.Provider, Suggest(e.Provider, []string{"local", "aws"}))
	}
	if e.Provider == "aws" && e.Region == "" {
		v.addf(path, "environment %q (provider aws) needs region = \"us-east-1\" (or another AgentCore region)", name)
	}
	if e.Region != "" && !regionRE.MatchString(e.Region) {
		v.addf(append(path, "region"), "region %q is not an AWS region name (e.g. us-east-1)", e.Region)
	}
	if e.Region == "" {
		e.Region = "us-east-1"
	}
	if e.Account != "" && !accountRE.MatchString(e.Account) {
		v.addf(append(path, "account"), "account %q is not a 12-digit AWS account id", e.Account)
	}
	if e.EndpointURL != "" {
		if u, err := url.Parse(e.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.addf(append(path, "endpoint_url"), "endpoint_url %q is not an http(s) URL", e.EndpointURL)
		}
	}
	if e.Registry != "" && !hostPort.MatchString(e.Registry) {
		v.addf(append(path, "registry"), "registry %q must be HOST:PORT", e.Registry)
	}
	switch e.State {
	case "":
		e.State = "file"
	case "file", "ssm":
	default:
		v.addf(append(path, "state"), "state %q is not one of file, ssm", e.State)
	}
	e.Release = v.releaseMode(path, r.Release)
	v.guardrails(e, r)
	e.Variables = v.values(append(path, "variables"), r.Variables)
	v.constrainVars(append(path, "variables"), r.Variables)
	for _, an := range sortedKeys(r.Agents) {
		if _, ok := agents[an]; !ok {
			v.addf(append(path, "agents", an), "environment %q overrides agent %q, which is not defined under [agents]%s", name, an, Suggest(an, sortedKeys(agents)))
		}
	}
	for an, base := range p.Agents {
		a := base
		if ov, ok := r.Agents[an]; ok {
			a = v.agent(append(append([]string{}, path...), "agents", an), an, ov, base)
		} else {
			cp := *base
			a = &cp
		}
		// Environment variables apply to every agent; the agent's own keys win.
		merged := copyValues(e.Variables)
		for k, val := range a.Environment {
			merged[k] = val
		}
		v.constrainResolved(name, an, len(a.Environment), len(merged))
		a.Environment = merged
		a.Network = e.Network
		e.Agents[an] = a
		rn := a.runtimeName
		if rn == "" {
			rn = RuntimeName(p.Name, an, name)
		}
		e.RuntimeNames[an] = rn
	}
	// Two agents must not map to one runtime name.
	seen := map[string]string{}
	for _, an := range sortedKeys(e.RuntimeNames) {
		rn := e.RuntimeNames[an]
		if other, dup := seen[rn]; dup {
			v.addf(path, "agents %q and %q both map to runtime name %q in environment %q; set runtime_name for one of them", other, an, rn, name)
		}
		seen[rn] = an
	}
	return e
}

// RuntimeName maps a project, agent and environment to an AgentCore runtime name:
// "<project>_<agent>_<env>" with every character outside [a-zA-Z0-9_] replaced by '_'.
// Names longer than 48 characters keep their first 39 characters and end with '_' and 8 hex
// digits of a SHA-256 of the full name, so they stay unique and stable.
func RuntimeName(project, agent, env string) string {
	full := project + "_" + agent + "_" + env
	var b strings.Builder
	for i, r := range full {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	s := b.String()
	if s[0] < 'A' || (s[0] > 'Z' && s[0] < 'a') {
		s = "a" + s
	}
	if len(s) <= 48 {
		return s
	}
	sum := sha256.Sum256([]byte(full))
	return s[:39] + "_" + hex.EncodeToString(sum[:])[:8]
}

func copyValues(m map[string]Value) map[string]Value {
	out := make(map[string]Value, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
