package proctree

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"testing"
	"time"
)

// helperEnv makes the test binary a helper process instead of running tests:
// "sleep" sleeps; "tree" starts a "sleep" child, prints its pid and sleeps; "interrupt" prints
// "ready", waits for os.Interrupt and prints "interrupted".
const helperEnv = "AGENTCORE_PROCTREE_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "sleep":
		time.Sleep(time.Minute)
	case "tree":
		child := helper("sleep")
		if err := child.Start(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(child.Process.Pid)
		time.Sleep(time.Minute)
	case "interrupt":
		c := make(chan os.Signal, 1)
		signal.Notify(c, os.Interrupt)
		fmt.Println("ready")
		select {
		case <-c:
			fmt.Println("interrupted")
		case <-time.After(time.Minute):
		}
	}
	os.Exit(0)
}

// helper is a command running the test binary as the helper mode.
func helper(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}
