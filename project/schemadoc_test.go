package project

import (
	"strings"
	"testing"
)

// Every key of the schema has a documentation entry with a meaning, and every entry names a
// key of the schema: adding a key to rawFile (or a struct it holds) without documenting it
// fails here.
func TestKeyDocsCoverSchema(t *testing.T) {
	missing, stale := undocumentedKeys()
	if len(missing) > 0 {
		t.Errorf("keys of agentcore.toml without a KeyDocs entry (project/schemadoc.go): %s", strings.Join(missing, ", "))
	}
	if len(stale) > 0 {
		t.Errorf("KeyDocs entries naming no key of the schema: %s", strings.Join(stale, ", "))
	}
}

// The reference shows each key with its table, type, default and allowed values.
func TestTOMLReference(t *testing.T) {
	ref := TOMLReference()
	for _, want := range []string{
		"## `[project]`",
		"| `name` | string | the directory's name |",
		"## `[agents.NAME.lifecycle]`",
		"| `idle_timeout` | seconds or a duration (\"15m\") |",
		"## `[[agents.NAME.smoke]]`",
		"| `provider` | string |  | local, aws |",
		"| `protected` | boolean | false |",
		"## `[environments.ENV.agents.NAME]`",
		"| `runtime` | string |  | PYTHON_3_10,",
	} {
		if !strings.Contains(ref, want) {
			t.Errorf("the reference lacks %q", want)
		}
	}
}
