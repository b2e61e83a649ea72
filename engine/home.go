package engine

import (
	"os"
	"path/filepath"
)

// Home returns agentcore's own folder: $AGENTCORE_HOME, else ~/.agentcore (the local
// endpoint's data, caches).
func Home() string {
	if h := os.Getenv("AGENTCORE_HOME"); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "agentcore")
	}
	return filepath.Join(home, ".agentcore")
}
