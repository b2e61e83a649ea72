// Package journal is the Lua journal module: the write-ahead journal that makes an
// interrupted deploy harmless, and every record of the agents' state that goes with it.
//
// Before a call that creates or changes something, a recipe records an intent (begin: its op,
// what it names, a fresh idempotency token) and the state is saved; the service gets the token
// (clientToken, ClientRequestToken) and the agentcore:token tag. The result is recorded and
// the intent removed in one save (finish). A run killed in between leaves the intent, and
// the next run resolves it against what exists (reconcile) before anything else. Every
// function here that changes the state saves it, so a recipe (stock or ejected) never records
// half a result: safety lives here, orchestration in recipes/lib/deploy.lua.
package journal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	st "github.com/agentcore/agentcore/state"
)

// tokenPrefix starts every token, so a token in a tag or a log is recognisably agentcore's.
const tokenPrefix = "agentcore-"

// NewToken returns a client token: "agentcore-" and 32 random hex digits (42 characters),
// valid for AgentCore (33 to 256 characters) and CloudFormation (up to 128, [a-zA-Z0-9-]).
func NewToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reading random bytes for a client token: %w", err)
	}
	return tokenPrefix + hex.EncodeToString(b[:]), nil
}

// Begin records an intent in a: a token when it has none, the start time, and appends it.
func Begin(a *st.Agent, in st.Intent, now time.Time) (st.Intent, error) {
	if !st.Ops[in.Op] {
		return in, fmt.Errorf("journal.begin: %q is not an operation the journal knows", in.Op)
	}
	if in.Name == "" {
		return in, fmt.Errorf("journal.begin: the %s intent names nothing", in.Op)
	}
	if in.Token == "" {
		t, err := NewToken()
		if err != nil {
			return in, err
		}
		in.Token = t
	}
	in.StartedAt = now.UTC().Truncate(time.Second)
	a.Pending = append(a.Pending, in)
	return in, nil
}

// Finish removes the intent with this token; it reports whether one was recorded.
func Finish(a *st.Agent, token string) bool {
	for i, p := range a.Pending {
		if p.Token == token {
			a.Pending = append(a.Pending[:i:i], a.Pending[i+1:]...)
			return true
		}
	}
	return false
}

// Pending returns the intents of op ("" for all of them), oldest first.
func Pending(a *st.Agent, op string) []st.Intent {
	out := []st.Intent{}
	for _, p := range a.Pending {
		if op == "" || p.Op == op {
			out = append(out, p)
		}
	}
	return out
}

// ToReconcile returns the intents an interrupted run left: every pending one but
// create_agent, which spans a whole create and is finished by create itself.
func ToReconcile(a *st.Agent) []st.Intent {
	out := []st.Intent{}
	for _, p := range a.Pending {
		if p.Op != "create_agent" {
			out = append(out, p)
		}
	}
	return out
}

// RecordResource records that agentcore created r (destroy deletes only these); an existing
// record of the same kind and id gets r's ARN when r has one.
func RecordResource(a *st.Agent, r st.Resource) {
	for i := range a.Resources {
		if a.Resources[i].Kind == r.Kind && a.Resources[i].ID == r.ID {
			if r.ARN != "" {
				a.Resources[i].ARN = r.ARN
			}
			return
		}
	}
	a.Resources = append(a.Resources, r)
}

// ForgetResource removes the record of a resource; it reports whether there was one.
func ForgetResource(a *st.Agent, kind, id string) bool {
	for i, r := range a.Resources {
		if r.Kind == kind && r.ID == id {
			a.Resources = append(a.Resources[:i:i], a.Resources[i+1:]...)
			return true
		}
	}
	return false
}

// HasResource tells whether agentcore recorded creating the resource.
func HasResource(a *st.Agent, kind, id string) bool {
	for _, r := range a.Resources {
		if r.Kind == kind && r.ID == id {
			return true
		}
	}
	return false
}

// SetVersion records v, replacing the version of the same number; versions stay sorted.
func SetVersion(a *st.Agent, v st.Version) {
	for i := range a.Versions {
		if a.Versions[i].Number == v.Number {
			a.Versions[i] = v
			return
		}
	}
	a.Versions = append(a.Versions, v)
	sort.SliceStable(a.Versions, func(i, j int) bool { return a.Versions[i].Number < a.Versions[j].Number })
}

// SetEndpoint records where an endpoint points.
func SetEndpoint(a *st.Agent, name string, e st.Endpoint) {
	if a.Endpoints == nil {
		a.Endpoints = map[string]*st.Endpoint{}
	}
	a.Endpoints[name] = &e
}

// SetCredential records the credential provider [credentials.NAME] an agent reads (nil
// forgets it), keeping the list sorted by name.
func SetCredential(a *st.Agent, name string, c *st.Credential) {
	out := a.Credentials[:0:0]
	for _, x := range a.Credentials {
		if x.Name != name {
			out = append(out, x)
		}
	}
	if c != nil {
		c.Name = name
		out = append(out, *c)
		slices.SortFunc(out, func(x, y st.Credential) int { return strings.Compare(x.Name, y.Name) })
	}
	if len(out) == 0 {
		out = nil
	}
	a.Credentials = out
}

// SetGateway records the gateway [gateways.NAME] an agent calls (nil forgets it), keeping the
// list sorted by name.
func SetGateway(a *st.Agent, name string, g *st.Gateway) {
	out := a.Gateways[:0:0]
	for _, x := range a.Gateways {
		if x.Name != name {
			out = append(out, x)
		}
	}
	if g != nil {
		g.Name = name
		if g.Targets == nil {
			g.Targets = []st.GatewayTarget{}
		}
		out = append(out, *g)
		slices.SortFunc(out, func(x, y st.Gateway) int { return strings.Compare(x.Name, y.Name) })
	}
	if len(out) == 0 {
		out = nil
	}
	a.Gateways = out
}
