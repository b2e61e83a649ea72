// Command agentcore deploys AI agents to Amazon Bedrock AgentCore Runtime (or to the local
// AgentCore-compatible endpoint it serves itself) through Lua recipes.
package main

import (
	"os"

	"github.com/agentcore/agentcore/internal/netns"
	"github.com/agentcore/agentcore/internal/startgc"
)

func main() {
	netns.Init() // a re-executed sandbox init runs here and exits (internal/netns)
	startgc.Release()
	os.Exit(newApp(os.Stdin, os.Stdout, os.Stderr).main(os.Args[1:]))
}
