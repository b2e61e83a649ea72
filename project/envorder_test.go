package project

import (
	"reflect"
	"testing"
)

// DeclaredEnvNames follows the file, whichever way an environment is declared; EnvNames stays
// sorted.
func TestDeclaredEnvNames(t *testing.T) {
	src := `
[project]
name = "demo"

[environments.staging]
provider = "local"

[environments.prod-us.agents]

[environments]
dev = { provider = "local" }

[environments.prod-us]
provider = "local"
`
	p, err := parse(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.DeclaredEnvNames(), []string{"staging", "prod-us", "dev"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("DeclaredEnvNames = %v, want %v", got, want)
	}
	if got, want := p.EnvNames(), []string{"dev", "prod-us", "staging"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("EnvNames = %v, want %v", got, want)
	}

	dotted, err := parse(t, "project.name = \"demo\"\nenvironments.zeta.provider = \"local\"\nenvironments.alpha.provider = \"local\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dotted.DeclaredEnvNames(), []string{"zeta", "alpha"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("dotted keys: DeclaredEnvNames = %v, want %v", got, want)
	}

	none, err := parse(t, "[project]\nname = \"demo\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := none.DeclaredEnvNames(), []string{"local"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("no environments: DeclaredEnvNames = %v, want %v", got, want)
	}
}
