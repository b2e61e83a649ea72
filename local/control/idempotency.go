package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// idempotency remembers the clientToken of the call that made a runtime, version or endpoint
// and a hash of that call's other parameters. AWS's rule for idempotency tokens: a retry with
// the same token and the same parameters returns the first call's result and changes nothing;
// the same token with other parameters is refused. The model documents only ConflictException
// and ValidationException for these operations; a token reused with other parameters answers
// ConflictException here (as EC2's IdempotentParameterMismatch is a conflict).
type idempotency struct {
	Token string `json:"token,omitempty"`
	Hash  string `json:"hash,omitempty"`
}

// newIdempotency hashes a request body; in's clientToken must already be cleared by the
// caller, or be part of a struct where it is the same for both calls.
func newIdempotency(token string, in any) idempotency {
	if token == "" {
		return idempotency{}
	}
	b, _ := json.Marshal(in)
	sum := sha256.Sum256(b)
	return idempotency{Token: token, Hash: hex.EncodeToString(sum[:])}
}

// matches reports whether a call with idempotency n retries the call recorded as i: true when
// it does, an error when the token is the same and the parameters differ, false otherwise.
func (i idempotency) matches(n idempotency, what string) (bool, error) {
	if n.Token == "" || i.Token != n.Token {
		return false, nil
	}
	if i.Hash != n.Hash {
		return false, conflictf("clientToken %s was already used for a different %s request; use a new token for new parameters", n.Token, what)
	}
	return true, nil
}

// idempotency of a CreateAgentRuntime or UpdateAgentRuntime body: its token, and a hash of
// everything else.
func (in runtimeInput) idempotency() idempotency {
	token := in.ClientToken
	in.ClientToken = ""
	return newIdempotency(token, in)
}

// retriedBy reports whether a CreateAgentRuntime with idem retries the one that made r.
// Runtimes stored before hashes were kept compare by token alone.
func (r *runtimeRec) retriedBy(idem idempotency, token string) (bool, error) {
	if r.Idem.Token == "" {
		return token != "" && r.ClientToken == token, nil
	}
	return r.Idem.matches(idem, "CreateAgentRuntime")
}

// versionMadeBy finds the version an UpdateAgentRuntime with idem made before (nil when it
// is a new call).
func (r *runtimeRec) versionMadeBy(idem idempotency) (*versionRec, error) {
	for _, v := range r.Versions {
		if ok, err := v.Idem.matches(idem, "UpdateAgentRuntime"); err != nil || ok {
			return v, err
		}
	}
	return nil, nil
}

// idempotency of a CreateAgentRuntimeEndpoint or UpdateAgentRuntimeEndpoint body.
func (in endpointInput) idempotency() idempotency {
	token := in.ClientToken
	in.ClientToken = ""
	return newIdempotency(token, in)
}

// retriedBy reports whether a CreateAgentRuntimeEndpoint with idem retries the one that made e.
func (e *endpointRec) retriedBy(idem idempotency, token string) (bool, error) {
	if e.Idem.Token == "" {
		return token != "" && e.ClientToken == token, nil
	}
	return e.Idem.matches(idem, "CreateAgentRuntimeEndpoint")
}
