package gitinfo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestOf(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if got := Of(ctx, dir); got.Commit != "" || got.Note != "not a git checkout" {
		t.Fatalf("outside a checkout: %+v", got)
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	if got := Of(ctx, dir); got.Note != "no commit yet" {
		t.Fatalf("no commit: %+v", got)
	}
	f := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(f, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "a.txt")
	git("commit", "-qm", "one")
	clean := Of(ctx, dir)
	if len(clean.Commit) != 40 || clean.Dirty {
		t.Fatalf("clean: %+v", clean)
	}
	// an untracked file is not a change of what was deployed from
	if err := os.WriteFile(filepath.Join(dir, "new.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Of(ctx, dir); got.Dirty {
		t.Fatalf("an untracked file made it dirty: %+v", got)
	}
	if err := os.WriteFile(f, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Of(ctx, dir); !got.Dirty || got.Commit != clean.Commit {
		t.Fatalf("a tracked change: %+v", got)
	}
}

func BenchmarkOf(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Of(context.Background(), ".")
	}
}
