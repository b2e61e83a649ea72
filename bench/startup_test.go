package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/agentcore/agentcore/builtins"
	"github.com/agentcore/agentcore/engine"
	"github.com/agentcore/agentcore/recipes"
)

// newRun is the smallest run a VM needs: no project, output discarded.
func newRun() *engine.Run {
	return &engine.Run{
		Ctx: context.Background(),
		Dir: os.TempDir(),
		Out: &engine.Output{Stdout: io.Discard, Stderr: io.Discard},
	}
}

// stockSources lists every stock recipe, read once (reading the embedded FS is not what is
// measured).
func stockSources(tb testing.TB) (*engine.Resolver, []engine.Source) {
	tb.Helper()
	res := &engine.Resolver{Stock: recipes.FS}
	srcs, err := res.List()
	if err != nil {
		tb.Fatal(err)
	}
	if len(srcs) == 0 {
		tb.Fatal("no stock recipes")
	}
	return res, srcs
}

// loadAll is what `agentcore recipes` does in process: one VM with every builtin, every stock
// recipe compiled and its declaration evaluated.
func loadAll(tb testing.TB, reg *engine.Registry, res *engine.Resolver, srcs []engine.Source) {
	vm := engine.NewVM(newRun(), reg)
	vm.Recipes = res
	for _, s := range srcs {
		if _, err := vm.LoadRecipe(s); err != nil {
			vm.Close()
			tb.Fatalf("loading %s: %v", s.Chunk, err)
		}
	}
	vm.Close()
}

// TestStockRecipesLoad keeps the benchmark honest under a plain go test: every stock recipe
// loads in a VM with every builtin. It takes milliseconds.
func TestStockRecipesLoad(t *testing.T) {
	res, srcs := stockSources(t)
	loadAll(t, builtins.Registry(builtins.Deps{}), res, srcs)
}

// BenchmarkLuaStart: the Lua state ready for `agentcore create`, as the command builds it:
// the registry, a VM with every builtin, and the create recipe compiled and declared with what
// it requires (the deploy library), nothing else. Target < 3 ms. The chunks come from the
// compiled-chunk cache under AGENTCORE_HOME, as from the second run of a command on
// (BenchmarkLuaStartCold compiles them every time, as the first run does).
func BenchmarkLuaStart(b *testing.B) {
	b.Setenv("AGENTCORE_HOME", b.TempDir())
	luaStart(b, func() {})
}

// BenchmarkLuaStartCold: BenchmarkLuaStart with an empty compiled-chunk cache each time.
func BenchmarkLuaStartCold(b *testing.B) {
	dir := b.TempDir()
	n := 0
	luaStart(b, func() {
		n++
		b.Setenv("AGENTCORE_HOME", filepath.Join(dir, fmt.Sprint(n)))
	})
}

func luaStart(b *testing.B, each func()) {
	res, _ := stockSources(b)
	src, err := res.Find("create")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		each()
		vm := engine.NewVM(newRun(), builtins.Registry(builtins.Deps{}))
		vm.Recipes = res
		if _, err := vm.LoadRecipe(src); err != nil {
			b.Fatal(err)
		}
		vm.Close()
	}
}

// BenchmarkLoadAllRecipes: a VM with every builtin plus every stock recipe loaded, what
// `agentcore recipes` does.
func BenchmarkLoadAllRecipes(b *testing.B) {
	res, srcs := stockSources(b)
	b.ReportAllocs()
	for b.Loop() {
		loadAll(b, builtins.Registry(builtins.Deps{}), res, srcs)
	}
	b.ReportMetric(float64(len(srcs)), "recipes")
}

// BenchmarkLuaVM: the VM alone (every builtin registered, no recipe), to read
// BenchmarkLuaStart against.
func BenchmarkLuaVM(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		vm := engine.NewVM(newRun(), builtins.Registry(builtins.Deps{}))
		vm.Close()
	}
}

// The binary under test: $AGENTCORE_BIN when set (bench/run.sh builds it once), otherwise
// built once into a temp dir on first use, and removed by TestMain.
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binTmp  string
)

func agentcoreBin(b *testing.B) string {
	b.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("AGENTCORE_BIN"); p != "" {
			binPath, binErr = filepath.Abs(p)
			return
		}
		binTmp, binErr = os.MkdirTemp("", "agentcore-bench-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binTmp, "agentcore")
		// Static, as make build and the release binaries (a cgo build also pays the dynamic
		// loader and libc's start, ~8% of --help's CPU).
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/agentcore")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = ".." // the module root: go test runs in bench/
		cmd.Stderr = os.Stderr
		binErr = cmd.Run()
	})
	if binErr != nil {
		b.Fatalf("building agentcore: %v", binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binTmp != "" {
		os.RemoveAll(binTmp)
	}
	os.Exit(code)
}

// commandEnv isolates the binary from the user's setup: its own AGENTCORE_HOME, no colours, a
// port nobody listens on (nothing here should start the local endpoint).
func commandEnv(home string) []string {
	return append(os.Environ(), "AGENTCORE_HOME="+home, "NO_COLOR=1", "AGENTCORE_LOCAL_PORT=1")
}

// benchExec times one exec of name args per iteration, and in the same iteration (timer
// stopped) one exec of /bin/true, the process start cost it is read against. It reports
// true-ms/op and x-true (the ratio of the medians would be sturdier, but both are measured
// under the same load, interleaved). With $AGENTCORE_BASE_BIN set (another build of agentcore,
// say the one before a change), each iteration also runs that binary with the same arguments
// (timer stopped) and reports base-ms/op and x-base: a before/after ratio from one run.
func benchExec(b *testing.B, dir string, env []string, name string, args ...string) {
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	other := os.Getenv("AGENTCORE_BASE_BIN")
	run(name, args...) // warm the page cache
	if other != "" {
		run(other, args...)
	}
	var base, prev time.Duration
	for b.Loop() {
		b.StopTimer()
		t := time.Now()
		run("/bin/true")
		base += time.Since(t)
		if other != "" {
			t = time.Now()
			run(other, args...)
			prev += time.Since(t)
		}
		b.StartTimer()
		run(name, args...)
	}
	n := float64(b.N)
	b.ReportMetric(float64(base.Nanoseconds())/n/1e6, "true-ms/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n/1e6, "ms/op")
	b.ReportMetric(float64(b.Elapsed())/float64(base), "x-true")
	if other != "" {
		b.ReportMetric(float64(prev.Nanoseconds())/n/1e6, "base-ms/op")
		b.ReportMetric(float64(b.Elapsed())/float64(prev), "x-base")
	}
}

// BenchmarkCommandRecipes: `agentcore recipes` in a project made by `agentcore init` (its
// create and update recipes override the stock ones). Target < 15 ms.
func BenchmarkCommandRecipes(b *testing.B) {
	bin := agentcoreBin(b)
	dir := b.TempDir()
	env := commandEnv(filepath.Join(dir, "home"))
	proj := filepath.Join(dir, "proj")
	if err := os.Mkdir(proj, 0o755); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "init")
	cmd.Dir, cmd.Env = proj, env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("agentcore init: %v\n%s", err, out)
	}
	benchExec(b, proj, env, bin, "recipes")
}

// BenchmarkCommandHelp: `agentcore --help`. Target <= 25 ms on 2 cores (issue 19).
func BenchmarkCommandHelp(b *testing.B) {
	bin := agentcoreBin(b)
	dir := b.TempDir()
	benchExec(b, dir, commandEnv(filepath.Join(dir, "home")), bin, "--help")
}

// BenchmarkExecTrue: the process start cost alone (fork, exec, wait of /bin/true), the
// baseline the command benchmarks are read against.
func BenchmarkExecTrue(b *testing.B) {
	for b.Loop() {
		if err := exec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
	}
}
