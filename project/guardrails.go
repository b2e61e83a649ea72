package project

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// The guardrails accounts require (issue 20): a permissions boundary on every role agentcore
// creates, runtimes in a VPC, and cost-allocation tags on everything. They are read from
// [project] (boundary and tags) and [environments.NAME] (all three; the environment wins),
// and checked here, with positions, before any work.

// rawNetwork is network = { subnets = [...], security_groups = [...] }.
type rawNetwork struct {
	Subnets        []string `toml:"subnets"`
	SecurityGroups []string `toml:"security_groups"`
}

// Network is the VPC an environment's runtimes run in (AgentCore's VpcConfig).
type Network struct {
	Subnets        []string
	SecurityGroups []string
}

// ReservedTags is how many tags of its own agentcore may put on a resource (agentcore:project,
// agentcore:environment, agentcore:project-id, the owner key and agentcore:token): they count
// against AWS's 50 tags per resource, so the user's tags may be at most MaxTags-ReservedTags.
const ReservedTags = 5

var (
	// An IAM managed policy's ARN: a customer-managed one (the account) or an AWS-managed one.
	policyArnRE = lazyregexp.New(`^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,128}$`)
	subnetIDRE  = fullMatch(Constraints["SubnetId"].Pattern)
	sgIDRE      = fullMatch(Constraints["SecurityGroupId"].Pattern)
	tagKeyRE    = fullMatch(Constraints["TagKey"].Pattern)
	tagValueRE  = fullMatch(Constraints["TagValue"].Pattern)
)

// boundary checks a permissions_boundary value at path.
func (v *validator) boundary(path []string, arn string) string {
	if arn == "" {
		return ""
	}
	if !policyArnRE.MatchString(arn) {
		v.addf(path, "permissions_boundary %q is not an IAM policy ARN: use arn:aws:iam::123456789012:policy/NAME (a managed policy; roles agentcore creates get it as their permissions boundary)", arn)
		return ""
	}
	return arn
}

// network checks network = { subnets, security_groups } against the VpcConfig shape.
func (v *validator) network(path []string, r *rawNetwork) *Network {
	if r == nil {
		return nil
	}
	at := func(k string) []string { return append(append([]string{}, path...), k) }
	check := func(key string, ids []string, shape string, re *lazyregexp.Regexp, example string) {
		c := Constraints[shape]
		if len(ids) < c.Min || len(ids) > c.Max {
			v.addf(at(key), "network.%s has %d entries; AgentCore needs %d to %d", key, len(ids), c.Min, c.Max)
		}
		seen := map[string]bool{}
		for i, id := range ids {
			switch {
			case !re.MatchString(id):
				v.addf(at(key), "network.%s[%d] = %q is not a %s ID (%s: the ID, not a name, an ARN or an availability zone)", key, i+1, id, strings.TrimSuffix(key, "s"), example)
			case seen[id]:
				v.addf(at(key), "network.%s[%d] = %q is listed twice", key, i+1, id)
			}
			seen[id] = true
		}
	}
	check("subnets", r.Subnets, "Subnets", subnetIDRE, "subnet-0123456789abcdef0")
	check("security_groups", r.SecurityGroups, "SecurityGroups", sgIDRE, "sg-0123456789abcdef0")
	return &Network{Subnets: append([]string{}, r.Subnets...), SecurityGroups: append([]string{}, r.SecurityGroups...)}
}

// tags checks a tags table at path and returns it as strings.
func (v *validator) tags(path []string, m map[string]any) map[string]string {
	out := map[string]string{}
	for _, k := range sortedKeys(m) {
		kp := append(append([]string{}, path...), k)
		s, ok := m[k].(string)
		if !ok {
			v.addf(kp, "tags.%s must be a string, not a %s: quote it: %s = %q", k, tomlType(m[k]), k, tomlText(m[k]))
			continue
		}
		lk := strings.ToLower(k)
		switch {
		case strings.HasPrefix(lk, "aws:"):
			v.addf(kp, "tag key %q starts with aws:, which AWS reserves for its own tags; choose another key", k)
			continue
		case strings.HasPrefix(lk, "agentcore:"):
			v.addf(kp, "tag key %q starts with agentcore:, which agentcore reserves for the tags that say what it created; choose another key", k)
			continue
		case utf8.RuneCountInString(k) > MaxTagKey || !tagKeyRE.MatchString(k):
			v.addf(kp, "tag key %q is invalid: AWS takes 1 to %d letters, digits, spaces and . _ : / = + @ -", k, MaxTagKey)
			continue
		case utf8.RuneCountInString(s) > MaxTagValue || !tagValueRE.MatchString(s):
			v.addf(kp, "tags.%s = %q is invalid: AWS takes up to %d letters, digits, spaces and . _ : / = + @ -", k, s, MaxTagValue)
			continue
		}
		out[k] = s
	}
	return out
}

// countTags reports a merged tag set that, with agentcore's own tags, would exceed AWS's limit.
func (v *validator) countTags(path []string, n int, what string) {
	if max := MaxTags - ReservedTags; n > max {
		v.addf(path, "%s %d tags; AWS accepts at most %d per resource and agentcore adds up to %d of its own (agentcore:*), so at most %d: remove %d", what, n, MaxTags, ReservedTags, max, n-max)
	}
}

// projectGuardrails checks [project] permissions_boundary and tags, once, for every
// environment to start from.
func (v *validator) projectGuardrails(r rawProject) {
	v.projBoundary = v.boundary([]string{"project", "permissions_boundary"}, r.PermissionsBoundary)
	v.projTags = v.tags([]string{"project", "tags"}, r.Tags)
	v.countTags([]string{"project", "tags"}, len(v.projTags), "[project] tags has")
}

// guardrails resolves an environment's boundary, network and tags over the project's.
func (v *validator) guardrails(e *Environment, r rawEnv) {
	path := []string{"environments", e.Name}
	at := func(k string) []string { return append(append([]string{}, path...), k) }
	e.PermissionsBoundary = v.projBoundary
	if r.PermissionsBoundary != "" {
		e.PermissionsBoundary = v.boundary(at("permissions_boundary"), r.PermissionsBoundary)
	}
	e.Network = v.network(at("network"), r.Network)
	own := v.tags(at("tags"), r.Tags)
	merged := make(map[string]string, len(v.projTags)+len(own))
	for k, val := range v.projTags {
		merged[k] = val
	}
	for k, val := range own {
		merged[k] = val
	}
	switch max := MaxTags - ReservedTags; {
	case len(own) > max:
		v.countTags(at("tags"), len(own), "tags has")
	case len(v.projTags) <= max: // a [project] over the limit is reported once, there
		v.countTags(at("tags"), len(merged), fmt.Sprintf("environment %q gets ([project] tags and its own)", e.Name))
	}
	e.Tags = merged
}

// SortedTagKeys lists a tag set's keys in order (for messages and stable output).
func SortedTagKeys(t map[string]string) []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
