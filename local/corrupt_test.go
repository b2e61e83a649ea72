package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// damagedDB leaves in dir a state.db grown past 64 KiB by parameters, then cut to 64 KiB
// (`truncate -s 65536 state.db`), or with pages overwritten when scramble is set.
func damagedDB(t *testing.T, dir string, scramble bool) string {
	t.Helper()
	r := start(t, dir)
	c := ssm.NewFromConfig(r.cfg, func(o *ssm.Options) { o.BaseEndpoint = aws.String(r.url) })
	for i := range 60 {
		if _, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/p/" + strings.Repeat("x", i) + "p"),
			Value: aws.String(strings.Repeat("v", 3000)), Type: ssmtypes.ParameterTypeString}); err != nil {
			t.Fatal(err)
		}
	}
	r.stop(t)
	path := filepath.Join(dir, "state.db")
	if info, err := os.Stat(path); err != nil || info.Size() <= 65536 {
		t.Fatalf("state.db: %v, %v: want more than 64 KiB to cut", info, err)
	}
	if scramble {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := []byte(strings.Repeat("\xff\x13\x00\x7f", 1024))
		for off := int64(2 * 4096); off < 20*4096; off += 3 * 4096 {
			f.WriteAt(junk, off)
		}
		f.Close()
	} else if err := os.Truncate(path, 65536); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDamagedStateDB: a damaged state.db is an error naming the file and the way out, never a
// panic, for the server and for StopProcesses (what `local reset` runs first).
func TestDamagedStateDB(t *testing.T) {
	needDocker(t)
	for _, scramble := range []bool{false, true} {
		name := map[bool]string{false: "truncated", true: "scrambled"}[scramble]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := damagedDB(t, dir, scramble)
			srv, err := New(Config{Dir: dir, PingTimeout: time.Second})
			if err == nil {
				srv.Shutdown(context.Background())
				t.Fatal("New opened a damaged state.db")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "agentcore local reset --yes") {
				t.Fatalf("New: %v: want the file's name and the way out", err)
			}
			t.Logf("New: %v", err)
			if err := StopProcesses(dir); err != nil {
				t.Fatalf("StopProcesses on a damaged state.db: %v (reset must get past it)", err)
			}
		})
	}
}
