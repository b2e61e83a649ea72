package local

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
)

// TestNetworkDuplicates: endpoints that create the agents' network at the same moment make
// several networks of one name (Docker refuses a second one only when the first exists
// already), and the name is then ambiguous to every call that uses it. ensureNetwork takes the
// oldest, every time, and removes the others while no container is on them. The test races
// its own network's creations, so that the shared one is left alone.
func TestNetworkDuplicates(t *testing.T) {
	cli := dockerEngine(t)
	ctx := context.Background()
	name := fmt.Sprintf("agentcore-test-dup-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		nws, _ := networksNamed(context.Background(), cli, name)
		for _, nw := range nws {
			cli.NetworkRemove(context.Background(), nw.ID)
		}
	})
	var nws []network.Summary
	for try := 0; try < 5 && len(nws) < 2; try++ {
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge"})
			}()
		}
		wg.Wait()
		var err error
		if nws, err = networksNamed(ctx, cli, name); err != nil {
			t.Fatal(err)
		}
	}
	if len(nws) < 2 {
		t.Fatalf("6 concurrent creations made %d network(s) named %s: the engine no longer makes duplicates, and this test cannot make its case", len(nws), name)
	}
	if _, err := cli.NetworkInspect(ctx, name, network.InspectOptions{}); err == nil {
		t.Fatalf("%d networks named %s, yet the name is not ambiguous", len(nws), name)
	}
	oldest := nws[0].ID
	for i := 0; i < 2; i++ {
		id, gw, err := ensureNetwork(ctx, cli, name)
		if err != nil {
			t.Fatalf("with %d networks of the name: %v", len(nws), err)
		}
		if id != oldest {
			t.Fatalf("ensureNetwork chose %s, not the oldest %s", id, oldest)
		}
		if gw == "" {
			t.Errorf("no gateway for %s", id)
		}
	}
	left, err := networksNamed(ctx, cli, name)
	if err != nil || len(left) != 1 || left[0].ID != oldest {
		t.Fatalf("after ensureNetwork: %d networks named %s (%v), want only the oldest", len(left), name, err)
	}
}
