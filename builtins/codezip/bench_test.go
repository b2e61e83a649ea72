package codezip

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func copyHashed(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BenchmarkPackageWarm packages an agent whose dependency layer (50 MB unzipped, in 2,000
// files: half text-like, half random bytes, about the mix of a Python ML stack) is already in
// the cache: what `agentcore update` pays when only the agent's code changed. Target < 1 s.
// copy-ms/op is a plain copy of the cached layer's zip with its sha256, timed in the same
// iterations: the floor any packaging of those bytes has.
//
//	go test -run XXX -bench PackageWarm ./builtins/codezip/
func BenchmarkPackageWarm(b *testing.B) {
	const depsBytes, depsFiles = 50 << 20, 2000
	root := b.TempDir()
	agent := filepath.Join(root, "agents", "bot")
	write(b, agent, "main.py", "print('hi')\n", 0o644)
	write(b, agent, "requirements.txt", "fakepkg==1.0\n", 0o644)
	for i := range 20 {
		write(b, agent, fmt.Sprintf("lib/mod%02d.py", i), fmt.Sprintf("X = %d\n", i), 0o644)
	}
	o := Options{Dir: agent, Runtime: "PYTHON_3_12", Entrypoint: []string{"main.py"}, Target: TargetAarch64,
		Out: filepath.Join(root, ".agentcore", "build", "bot.zip"), Cache: true, CacheDir: filepath.Join(root, "cache"),
		Env: []string{"PIP_NO_INDEX=1"}}
	rt, err := parseRuntime(o.Runtime)
	if err != nil {
		b.Fatal(err)
	}
	spec, err := findDeps(agent, rt)
	if err != nil {
		b.Fatal(err)
	}
	// The layer, as buildLayer would leave it in the cache.
	stage := filepath.Join(root, "stage")
	rnd := rand.New(rand.NewSource(1))
	text := []byte("def function_%d(value):\n    return value * 2  # a comment that repeats\n")
	for i := range depsFiles {
		buf := make([]byte, depsBytes/depsFiles)
		if i%2 == 0 {
			rnd.Read(buf)
		} else {
			for j := range buf {
				buf[j] = text[j%len(text)]
			}
		}
		write(b, stage, fmt.Sprintf("fakepkg/sub%02d/file%04d.py", i%40, i), string(buf), 0o644)
	}
	write(b, stage, "fakepkg-1.0.dist-info/METADATA", "Name: fakepkg\nVersion: 1.0\n", 0o644)
	layerDir := filepath.Join(o.CacheDir, spec.cacheKey(rt, o.Target, o.Env))
	es, err := collect(stage, "", depsExcludes, "")
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := writeZip(filepath.Join(layerDir, layerZip), es, nil); err != nil {
		b.Fatal(err)
	}
	meta, _ := json.Marshal(layer{Deps: installed(stage, "pip")})
	if err := os.WriteFile(filepath.Join(layerDir, layerMeta), meta, 0o644); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(stage)

	b.ResetTimer()
	var res *Result
	var copying time.Duration
	for b.Loop() {
		res, err = Package(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if !res.DepsCached {
			b.Fatal("the layer was not taken from the cache")
		}
		// The baseline, in the same iterations: copying the cached layer's bytes to a new file
		// while hashing them, the least any packaging must do.
		b.StopTimer()
		start := time.Now()
		if err := copyHashed(filepath.Join(layerDir, layerZip), filepath.Join(root, "copy.zip")); err != nil {
			b.Fatal(err)
		}
		copying += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(copying.Nanoseconds())/float64(b.N)/1e6, "copy-ms/op")
	b.ReportMetric(float64(res.UnzippedSize)/(1<<20), "MB-unzipped")
	b.ReportMetric(float64(res.Size)/(1<<20), "MB-zipped")
	b.ReportMetric(float64(res.Files), "files")
}
