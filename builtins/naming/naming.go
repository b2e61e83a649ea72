// Package naming is the Lua naming module: the fingerprints that make agentcore's resource
// names fit their length limits (code buckets, CI roles) and the random parts of names (push
// tags, session ids). Names of existing deployments depend on Hash8: it must never change.
package naming

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"

	"github.com/agentcore/agentcore/engine"
)

// Module is the naming module.
var Module = &engine.Module{
	Name: "naming",
	Doc:  "Stable fingerprints for resource names with length limits, and random name parts.",
	Funcs: []engine.Func{
		{Name: "hash8", Params: "text: string", Returns: "string", Go: luaHash8,
			Doc: "A short, stable fingerprint of text: its 32-bit FNV-1a hash as 8 lowercase hex digits. Code bucket and CI role names hold it, so the same text always gives the same name."},
		{Name: "random_hex", Params: "n: integer", Returns: "string", Go: luaRandomHex,
			Doc: "n random lowercase hex digits (1 to 256) from the system's cryptographic source, for names that must not collide (push tags, session ids)."},
	},
}

// Hash8 is the 32-bit FNV-1a hash of s as 8 lowercase hex digits.
func Hash8(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return fmt.Sprintf("%08x", h.Sum32())
}

// RandomHex returns n random lowercase hex digits.
func RandomHex(n int) (string, error) {
	if n < 1 || n > 256 {
		return "", fmt.Errorf("random_hex: n is %d, not 1 to 256", n)
	}
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b)[:n], nil
}

func luaHash8(text string) string { return Hash8(text) }

func luaRandomHex(n int) (string, error) {
	s, err := RandomHex(n)
	if err != nil {
		return "", engine.Usagef("", "%s", err.Error())
	}
	return s, nil
}
