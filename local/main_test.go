package local

import (
	"os"
	"testing"

	"github.com/agentcore/agentcore/internal/netns"
)

func TestMain(m *testing.M) {
	netns.Init() // code sessions' sandboxes re-execute this binary (internal/netns)
	os.Exit(m.Run())
}
