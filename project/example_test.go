package project

import (
	"path/filepath"
	"testing"
)

// The repository's example agentcore.toml stays valid.
func TestRepositoryExampleLoads(t *testing.T) {
	p, err := Load(filepath.Join("..", FileName))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Agents) < 2 || len(p.Environments) < 3 || !p.Environments["prod"].Protected {
		t.Fatalf("example project lost its agents or environments: %+v", p)
	}
	if p.Environments["prod"].Agents["echo"].ExecutionRole == "" {
		t.Fatal("prod override of echo not applied")
	}
}
