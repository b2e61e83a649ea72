//go:build unix

package logs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKillHelper is run by TestKill9 in a child process: it appends numbered events (and a
// cursor) until it is killed.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv("LOGS_KILL_DIR")
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	f := open(t, dir, 256<<10) // small bound: segments roll and are dropped while writing
	for i := 0; ; i++ {
		evs := map[string][]Event{"s": {{Timestamp: time.Now().UnixMilli(), Message: fmt.Sprintf("n=%d %s", i, strings.Repeat("x", i%300))}}}
		if err := f.store.PutTracked("/g", evs, "src"+os.Getenv("LOGS_KILL_ROUND"), int64(i+1)); err != nil {
			t.Fatal(err)
		}
		if i == 2000 {
			os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600)
		}
	}
}

// The store survives kill -9 in the middle of appends: what is read back is a contiguous run
// of events ending with the last one whose cursor was recorded, and appending goes on.
func TestKill9(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		os.Remove(filepath.Join(dir, "ready"))
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$")
		cmd.Env = append(os.Environ(), "LOGS_KILL_DIR="+dir, "LOGS_KILL_ROUND="+strconv.Itoa(round))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the writer never got going")
			}
		}
		time.Sleep(time.Duration(50+round*37) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		f := open(t, dir, 256<<10)
		out, err := f.store.Filter(FilterInput{LogGroupName: "/g"})
		if err != nil {
			t.Fatal(err)
		}
		var nums []int
		for {
			for _, e := range out.Events {
				n, err := strconv.Atoi(strings.TrimPrefix(strings.Fields(e.Message)[0], "n="))
				if err != nil {
					t.Fatalf("damaged event %q", e.Message)
				}
				nums = append(nums, n)
			}
			if out.NextToken == "" {
				break
			}
			if out, err = f.store.Filter(FilterInput{LogGroupName: "/g", NextToken: out.NextToken}); err != nil {
				t.Fatal(err)
			}
		}
		if len(nums) == 0 {
			t.Fatal("no events after kill -9")
		}
		// Each round restarts numbering at 0: check the last round's run.
		last := nums[len(nums)-1]
		for i := len(nums) - 1; i > 0 && nums[i] != 0; i-- {
			if nums[i-1] != nums[i]-1 {
				t.Fatalf("round %d: gap or repeat between %d and %d", round, nums[i-1], nums[i])
			}
		}
		if c := f.store.Cursor("/g", "src"+strconv.Itoa(round)); c != int64(last+1) {
			t.Fatalf("round %d: cursor %d, last event n=%d", round, c, last)
		}
		t.Logf("round %d: %d events kept, last n=%d", round, len(nums), last)
		f.close()
	}
}
