package project

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/agentcore/agentcore/internal/lazyregexp"
)

// A project's identity ([project] id) tells two checkouts of the same project name apart: the
// name is what people choose and copy, the id is random. agentcore init writes it (NewID); it
// goes into the agentcore:project-id tag of what agentcore creates, and a resource whose tag
// names another id is another checkout's. Projects made before ids have none and keep working:
// their resources carry no id tag, and a resource without one is judged by the name alone, as
// before (see recipes/lib/deploy.lua, deploy.owner).

// IDLength is the number of hex digits of a project id.
const IDLength = 12

var idRE = lazyregexp.New(`^[0-9a-f]{12}$`)

// ValidID reports whether id is a project id: 12 lowercase hex digits.
func ValidID(id string) bool { return idRE.MatchString(id) }

// NewID returns a new random project id (12 lowercase hex digits, from crypto/rand).
func NewID() string {
	var b [IDLength / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("project: no randomness for a project id: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b[:])
}
