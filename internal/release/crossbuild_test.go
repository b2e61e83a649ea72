package release

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// releaseTargets are the platforms make release builds.
var releaseTargets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// Every package builds for the six release targets, and go vet (tests included) passes for
// Windows and macOS: the OS-specific calls stay behind internal/proctree and the *_unix.go /
// *_windows.go files. Outputs are discarded; the build cache makes later runs cheap.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-builds six targets")
	}
	run := func(target string, args ...string) {
		t.Helper()
		goos, goarch, _ := strings.Cut(target, "/")
		cmd := exec.Command("go", args...)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("GOOS=%s GOARCH=%s go %s: %v\n%s", goos, goarch, strings.Join(args, " "), err, out)
		}
	}
	for _, target := range releaseTargets {
		run(target, "build", "./...")
	}
	for _, target := range []string{"windows/amd64", "darwin/arm64"} {
		run(target, "vet", "./...")
	}
}

// make release builds the same targets.
func TestReleaseTargetsMatchMakefile(t *testing.T) {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "PLATFORMS := "+strings.Join(releaseTargets, " ")+"\n") {
		t.Fatalf("the Makefile's PLATFORMS differ from %v", releaseTargets)
	}
}
