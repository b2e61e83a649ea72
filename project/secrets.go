package project

import (
	"sort"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// Secrets kept in AWS Secrets Manager: environment = { API_KEY_ARN = { secret = "openai" } }.
// Each is one secret per project and environment, named SecretID(project, env, NAME),
// created by `agentcore secret set NAME`; the runtime's variable holds the secret's ARN, and
// the agent reads the value with GetSecretValue through its execution role, which may read
// exactly the secrets its agent names. Build args cannot name one: a build has no role.

// MaxSecretName bounds NAME in { secret = "NAME" }, so that the full name stays well within
// Secrets Manager's limits whatever the project and environment names.
const MaxSecretName = 128

var (
	secretNameRE = lazyregexp.New(`^[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*$`)
	// AWS resolves partial ARNs by name, and a name ending in -XXXXXX looks like a full ARN's
	// random suffix: its documentation says not to end a name so.
	arnSuffixRE = lazyregexp.New(`-[A-Za-z0-9]{6}$`)
)

// SecretID is the Secrets Manager name of secret name in a project's environment.
func SecretID(project, env, name string) string {
	return "agentcore/" + project + "/" + env + "/" + name
}

// SecretIDPrefix is the common prefix of every secret of a project's environment.
func SecretIDPrefix(project, env string) string { return SecretID(project, env, "") }

// CheckSecretName returns what is wrong with name as NAME in { secret = "NAME" }, or "".
func CheckSecretName(name string) string { return checkSecretName(name) }

func checkSecretName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > MaxSecretName:
		return "is too long: at most 128 characters"
	case !secretNameRE.MatchString(name):
		return "is invalid: use letters, digits and _+=.@- (and / between parts)"
	case arnSuffixRE.MatchString(name):
		return "ends with a hyphen and six characters, which Secrets Manager mistakes for an ARN's suffix: rename it"
	}
	return ""
}

// SecretRefs returns the agent's { secret = "NAME" } values: variable name -> NAME.
func (a *Agent) SecretRefs() map[string]string {
	out := map[string]string{}
	for k, v := range a.Environment {
		if v.Stored() {
			out[k] = v.SecretName
		}
	}
	return out
}

// SecretNames returns the distinct NAMEs the agent's values refer to, sorted.
func (a *Agent) SecretNames() []string {
	set := map[string]bool{}
	for _, n := range a.SecretRefs() {
		set[n] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
