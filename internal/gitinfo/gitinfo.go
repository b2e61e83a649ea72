// Package gitinfo says which git commit a directory is checked out at, and whether its tracked
// files differ from it, for the history entries of the runs made from it.
package gitinfo

import (
	"context"
	"os/exec"
	"strings"
)

// Info is a checkout's commit, or why there is none.
type Info struct {
	Commit string // HEAD's full hash; "" when there is none
	Dirty  bool   // tracked files differ from HEAD (untracked files do not count)
	Note   string // why Commit is empty: "not a git checkout", "git is not installed", "no commit yet"
}

// Of asks git about dir. Untracked files are left out of Dirty: a project's .agentcore/ and
// build outputs are often untracked, and they are not what was deployed from.
func Of(ctx context.Context, dir string) Info {
	if _, err := exec.LookPath("git"); err != nil {
		return Info{Note: "git is not installed"}
	}
	out, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree")
	if err != nil || out != "true" {
		return Info{Note: "not a git checkout"}
	}
	head, err := git(ctx, dir, "rev-parse", "--verify", "-q", "HEAD")
	if err != nil || head == "" {
		return Info{Note: "no commit yet"}
	}
	st, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=no")
	return Info{Commit: head, Dirty: err == nil && st != ""}
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	b, err := cmd.Output()
	return strings.TrimSpace(string(b)), err
}
